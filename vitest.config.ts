import { defineConfig } from 'vitest/config';
import SlowestFirst from './test/helpers/slowestFirst';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One dev server and one workflow bundle for the whole suite (test/globalSetup.ts).
    globalSetup: ['test/globalSetup.ts'],
    // Files no longer start a server each, and many of them mostly wait (CLI processes, retries,
    // deadlines): three at a time on a 2-core machine.
    maxWorkers: 3,
    // The slowest files first, also on a fresh clone (test/helpers/slowestFirst.ts).
    sequence: { sequencer: SlowestFirst },
    testTimeout: 120_000,
    hookTimeout: 180_000,
    setupFiles: ['test/setup.ts'],
    reporters: ['default', './test/helpers/summaryReporter.ts'],
  },
});
