/**
 * Users start runs with the plain Temporal CLI, so a test does exactly that: `temporal workflow start`
 * against a real dev server with a Tributary worker polling, then `temporal workflow result`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createWorker } from '../workers/worker';
import { tempDir, writeNumberedFiles } from './helpers/parquet';
import { startTestServer, taskQueueFor, temporalCliPath, workflowBundle } from './helpers/temporal';

const run = promisify(execFile);
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startTestServer();
});
afterAll(async () => {
  await env?.teardown();
});

it('a run started with `temporal workflow start` completes and `temporal workflow result` reads it', async () => {
  const cli = await temporalCliPath();
  const files = await writeNumberedFiles(await tempDir(), [5, 15, 25]);
  const taskQueue = taskQueueFor('temporal cli start');
  const worker = await createWorker({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle() });
  const common = ['--address', env.address, '--namespace', 'default', '--workflow-id', taskQueue];

  const output = await worker.runUntil(async () => {
    await run(cli, ['workflow', 'start', ...common, '--type', 'scanFiles', '--task-queue', taskQueue,
      '--input', JSON.stringify({ files, maxInFlight: 2 })]);
    return run(cli, ['workflow', 'result', ...common, '--output', 'json']);
  });

  const parsed = JSON.parse(output.stdout) as { status: string; result: { files: number; totalRows: number } };
  expect(parsed.status).toBe('COMPLETED');
  expect(parsed.result.files).toBe(3);
  expect(parsed.result.totalRows).toBe(45);
});
