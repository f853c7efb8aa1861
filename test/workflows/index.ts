/**
 * The workflows a test worker registers: Tributary's own and the test-only ones (scanFiles, a small
 * fan-out the connection, codec and CLI tests run). Bundled for tests only (test/globalSetup.ts); the
 * production worker bundles workflows/index.ts.
 */
export * from '../../workflows';
export { scanFiles, scanFile } from './scanFiles';
