/**
 * `tributary rerun` as a user runs it: a run where one dataset failed, the input repaired, and a
 * re-run that processes exactly that dataset; a re-run of a clean run starts nothing. Real dev
 * server (the suite's), real parquet, the CLI as a subprocess, a worker in this process.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunReport } from '../common/report';
import { DATAGEN_DEFAULTS, generateRetailWeek } from '../datagen';
import { tributary } from './helpers/cli';
import { tempDir } from './helpers/parquet';
import { taskQueueFor, testEnvironment, withWorker } from './helpers/temporal';
import { specFor } from './helpers/weekly';

const WEEK = DATAGEN_DEFAULTS.week;

let home: string;
let data: string;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  home = await tempDir('tributary-rerun-');
  env = await testEnvironment();
  data = path.join(home, 'data');
  await generateRetailWeek({ ...DATAGEN_DEFAULTS, out: data, regions: 2, stores: 3, products: 20 });
});

afterAll(async () => {
  await env?.teardown();
});

/** The CLI on the test's task queue; a worker in this process (`withWorker`) runs what it starts. */
const cli = (args: string[], taskQueue: string) =>
  tributary(args, { TEMPORAL_ADDRESS: env.address, TRIBUTARY_TASK_QUEUE: taskQueue, TRIBUTARY_HOME: home });
const served = <T>(taskQueue: string, fn: () => Promise<T>) =>
  withWorker({ connection: env.nativeConnection, taskQueue }, fn);

/** Garbage in place of south's transactions while `fn` runs; the good file is back afterwards. */
async function withCorruptSouth<T>(fn: () => Promise<T>): Promise<T> {
  const file = path.join(data, 'sales', 'south', 'transactions.parquet');
  const good = await readFile(file);
  await writeFile(file, Buffer.from('this is not a parquet file, just garbage bytes'));
  try {
    return await fn();
  } finally {
    await writeFile(file, good);
  }
}

const exists = (id: string) =>
  env.client.workflow
    .getHandle(id)
    .describe()
    .then(
      () => true,
      (err: unknown) => (err instanceof WorkflowNotFoundError ? false : Promise.reject(err)),
    );

it('re-runs exactly the dataset that failed, with the same spec and week; a clean run has nothing to re-run', async () => {
  const taskQueue = taskQueueFor('rerun failed dataset');
  const out = path.join(home, 'out-continue');
  const spec = path.join(home, 'continue.json');
  await writeFile(spec, JSON.stringify(specFor(data, out, { name: 'rerun-test' })));
  const original = `rerun-test-${WEEK}`;

  const { first, again, nothing } = await served(taskQueue, async () => {
    const first = await withCorruptSouth(() => cli(['run', spec, '--week', WEEK], taskQueue));
    const again = await cli(['rerun', original], taskQueue);
    const nothing = await cli(['rerun', `${original}-rerun-1`], taskQueue);
    return { first, again, nothing };
  });

  expect(first.code).toBe(1);
  const before = (await env.client.workflow.getHandle(original).result()) as RunReport;
  expect(before.datasets.map((d) => [d.dataset, d.status]).sort()).toEqual([
    ['north', 'succeeded'],
    ['south', 'failed'],
  ]);

  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain(`Re-running 1 of 2 datasets of ${original} (week of ${WEEK}):`);
  expect(again.stderr).toContain('  south: failed (UnreadableParquet');
  const rerun = (await env.client.workflow.getHandle(`${original}-rerun-1`).result()) as RunReport;
  expect(rerun.week).toBe(WEEK);
  expect(rerun.datasets.map((d) => [d.dataset, d.status])).toEqual([['south', 'succeeded']]);
  expect(rerun.status).toBe('succeeded');
  const south = rerun.datasets[0]!;
  expect(south.outputs.length).toBeGreaterThan(0);
  for (const o of south.outputs)
    expect(existsSync(o.path) && o.path.startsWith(path.join(out, WEEK, 'south'))).toBe(true);

  // The re-run of a run where everything succeeded starts nothing.
  expect(nothing.code, nothing.stderr).toBe(0);
  expect(nothing.stderr).toContain(
    `Nothing to re-run: no dataset of ${original}-rerun-1 (week of ${WEEK}) failed or late (1 succeeded).`,
  );
  expect(await exists(`${original}-rerun-2`)).toBe(false);
});

it('reads the report of a failFast run from its failure, and re-runs the cancelled datasets when asked', async () => {
  const taskQueue = taskQueueFor('rerun fail fast');
  const out = path.join(home, 'out-failfast');
  const spec = path.join(home, 'failfast.json');
  // South first and one at a time: its failure stops the run before north starts.
  const overrides = {
    name: 'rerun-ff',
    datasets: { list: ['sales/south', 'sales/north'] },
    parallelism: { datasets: 1 },
    onFailure: 'failFast',
  };
  await writeFile(spec, JSON.stringify(specFor(data, out, overrides)));
  const original = `rerun-ff-${WEEK}`;

  const { first, again } = await served(taskQueue, async () => {
    const first = await withCorruptSouth(() => cli(['run', spec, '--week', WEEK], taskQueue));
    // Without the report file, the report can only come from the run's failure.
    await rm(path.join(out, WEEK, '_report.json'));
    const again = await cli(['rerun', original, '--include-cancelled'], taskQueue);
    return { first, again };
  });

  expect(first.code).toBe(1);
  expect((await env.client.workflow.getHandle(original).describe()).status.name).toBe('FAILED');
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain('  south: failed (UnreadableParquet');
  expect(again.stderr).toContain('  north: cancelled');
  const rerun = (await env.client.workflow.getHandle(`${original}-rerun-1`).result()) as RunReport;
  expect(rerun.datasets.map((d) => [d.dataset, d.status])).toEqual([
    ['south', 'succeeded'],
    ['north', 'succeeded'],
  ]);
});
