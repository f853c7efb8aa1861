import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One dev server and one workflow bundle for the whole suite (test/globalSetup.ts).
    globalSetup: ['test/globalSetup.ts'],
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    setupFiles: ['test/setup.ts'],
    reporters: ['default', './test/helpers/summaryReporter.ts'],
  },
});
