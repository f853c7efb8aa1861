import { defineConfig } from 'vitest/config';
import SlowestFirst from './test/helpers/slowestFirst';

/**
 * Files that must have a process of their own: they count polars calls that module-level caches
 * (activities/builtOnce.ts) would save after another file, measure the event loop's delays, or
 * register OpenTelemetry's global tracer provider.
 */
const OWN_PROCESS = ['test/trust.readCost.test.ts', 'test/eventLoop.activity.test.ts', 'test/tracing.test.ts'];

/** What every test file takes, in either project. */
const FILE = { setupFiles: ['test/setup.ts'], testTimeout: 120_000, hookTimeout: 180_000 };

export default defineConfig({
  test: {
    // One dev server and one workflow bundle for the whole suite (test/globalSetup.ts), for both projects.
    globalSetup: ['test/globalSetup.ts'],
    // Files no longer start a server each, and many of them mostly wait (CLI processes, retries,
    // deadlines): three at a time on a 2-core machine.
    maxWorkers: 3,
    // The slowest files first, also on a fresh clone (test/helpers/slowestFirst.ts).
    sequence: { sequencer: SlowestFirst },
    reporters: ['default', './test/helpers/summaryReporter.ts'],
    projects: [
      // A process runs one file after another without loading the modules again (the Temporal SDK,
      // polars, the code under test: a second of CPU per file). Files share no state there: each
      // makes its own temporary folders, task queues and workflow ids.
      {
        test: {
          ...FILE,
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: OWN_PROCESS,
          isolate: false,
        },
      },
      { test: { ...FILE, name: 'isolated', include: OWN_PROCESS } },
    ],
  },
});
