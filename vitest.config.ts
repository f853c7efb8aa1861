import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Workflow tests each start a real Temporal dev server; two at a time fits a 2-core machine.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    setupFiles: ['test/setup.ts'],
    reporters: ['default', './test/helpers/summaryReporter.ts'],
  },
});
