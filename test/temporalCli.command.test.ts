/**
 * Users start runs with the plain Temporal CLI, so a test does exactly that: `temporal workflow start`
 * against a real dev server with a Tributary worker polling, then `temporal workflow result`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DATAGEN_DEFAULTS, generateRetailWeek } from '../datagen';
import { tempDir, writeNumberedFiles } from './helpers/parquet';
import { testEnvironment, taskQueueFor, temporalCliPath, startWorker } from './helpers/temporal';
import { specFor } from './helpers/weekly';

const run = promisify(execFile);
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await testEnvironment();
});
afterAll(async () => {
  await env?.teardown();
});

it('a run started with `temporal workflow start` completes and `temporal workflow result` reads it', async () => {
  const cli = await temporalCliPath();
  const files = await writeNumberedFiles(await tempDir(), [5, 15, 25]);
  const taskQueue = taskQueueFor('temporal cli start');
  const worker = await startWorker({ connection: env.nativeConnection, taskQueue });
  const common = ['--address', env.address, '--namespace', 'default', '--workflow-id', taskQueue];

  const output = await worker.runUntil(async () => {
    await run(cli, [
      'workflow',
      'start',
      ...common,
      '--type',
      'scanFiles',
      '--task-queue',
      taskQueue,
      '--input',
      JSON.stringify({ files, maxInFlight: 2 }),
    ]);
    return run(cli, ['workflow', 'result', ...common, '--output', 'json']);
  });

  const parsed = JSON.parse(output.stdout) as { status: string; result: { files: number; totalRows: number } };
  expect(parsed.status).toBe('COMPLETED');
  expect(parsed.result.files).toBe(3);
  expect(parsed.result.totalRows).toBe(45);
});

it('a weekly load started with `temporal workflow start` reports progress to `temporal workflow query`', async () => {
  const cli = await temporalCliPath();
  const data = await tempDir('tributary-cli-weekly-');
  const out = await tempDir('tributary-cli-out-');
  await generateRetailWeek({ ...DATAGEN_DEFAULTS, out: data, regions: 2, stores: 4, products: 40 });
  const taskQueue = taskQueueFor('temporal cli weekly');
  const worker = await startWorker({ connection: env.nativeConnection, taskQueue });
  const common = ['--address', env.address, '--namespace', 'default', '--workflow-id', taskQueue];
  const input = { spec: specFor(data, out), week: DATAGEN_DEFAULTS.week };

  const [result, progress] = await worker.runUntil(async () => {
    await run(cli, [
      'workflow',
      'start',
      ...common,
      '--type',
      'weeklyLoad',
      '--task-queue',
      taskQueue,
      '--input',
      JSON.stringify(input),
    ]);
    const done = await run(cli, ['workflow', 'result', ...common, '--output', 'json']);
    const query = await run(cli, ['workflow', 'query', ...common, '--type', 'progress', '--output', 'json']);
    return [done, query];
  });

  const parsed = JSON.parse(result.stdout) as {
    status: string;
    result: { status: string; totals: { succeeded: number } };
  };
  expect(parsed.status).toBe('COMPLETED');
  expect(parsed.result.status).toBe('succeeded');
  expect(parsed.result.totals.succeeded).toBe(2);
  expect(progress.stdout).toMatch(/"phase":\s*"done"/);
  expect(progress.stdout).toMatch(/"succeeded":\s*2/);
});
