/**
 * `tributary rerun` as a user runs it: a run where one dataset failed, the input repaired, and a
 * re-run that processes exactly that dataset; a re-run of a clean run starts nothing. Real dev
 * server, real parquet, the CLI as a subprocess, a worker in this process.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunReport } from '../common/report';
import { DATAGEN_DEFAULTS, generateRetailWeek } from '../datagen';
import { createWorker } from '../workers/worker';
import { tempDir } from './helpers/parquet';
import { DevServer } from './helpers/processes';
import { taskQueueFor, workflowBundle } from './helpers/temporal';
import { specFor } from './helpers/weekly';

const exec = promisify(execFile);
const BIN = path.resolve(__dirname, '../bin/tributary.cjs');
const WEEK = DATAGEN_DEFAULTS.week;

let home: string;
let data: string;
let server: DevServer;
let connection: Connection;
let native: NativeConnection;
let client: Client;

beforeAll(async () => {
  home = await tempDir('tributary-rerun-');
  server = await DevServer.start(path.join(home, 'temporal.db'));
  connection = await Connection.connect({ address: server.address });
  native = await NativeConnection.connect({ address: server.address });
  client = new Client({ connection });
  data = path.join(home, 'data');
  await generateRetailWeek({ ...DATAGEN_DEFAULTS, out: data, regions: 2, stores: 3, products: 20 });
});

afterAll(async () => {
  await native?.close();
  await connection?.close();
  await server?.stop();
});

async function cli(args: string[], taskQueue: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, TEMPORAL_ADDRESS: server.address, TRIBUTARY_TASK_QUEUE: taskQueue, TRIBUTARY_HOME: home };
  return exec(process.execPath, [BIN, ...args], { env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
  );
}

/** Runs `fn` with a worker on the test's own task queue, so the CLI only starts and follows runs. */
async function withWorker<T>(taskQueue: string, fn: () => Promise<T>): Promise<T> {
  const worker = await createWorker({ connection: native, taskQueue, workflowBundle: await workflowBundle() });
  return worker.runUntil(fn);
}

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

const exists = (id: string) => client.workflow.getHandle(id).describe().then(() => true, (err: unknown) => (err instanceof WorkflowNotFoundError ? false : Promise.reject(err)));

it('re-runs exactly the dataset that failed, with the same spec and week; a clean run has nothing to re-run', async () => {
  const taskQueue = taskQueueFor('rerun failed dataset');
  const out = path.join(home, 'out-continue');
  const spec = path.join(home, 'continue.json');
  await writeFile(spec, JSON.stringify(specFor(data, out, { name: 'rerun-test' })));
  const original = `rerun-test-${WEEK}`;

  const { first, again, nothing } = await withWorker(taskQueue, async () => {
    const first = await withCorruptSouth(() => cli(['run', spec, '--week', WEEK], taskQueue));
    const again = await cli(['rerun', original], taskQueue);
    const nothing = await cli(['rerun', `${original}-rerun-1`], taskQueue);
    return { first, again, nothing };
  });

  expect(first.code).toBe(1);
  const before = (await client.workflow.getHandle(original).result()) as RunReport;
  expect(before.datasets.map((d) => [d.dataset, d.status]).sort()).toEqual([['north', 'succeeded'], ['south', 'failed']]);

  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain(`Re-running 1 of 2 datasets of ${original} (week of ${WEEK}):`);
  expect(again.stderr).toContain('  south: failed (UnreadableParquet');
  const rerun = (await client.workflow.getHandle(`${original}-rerun-1`).result()) as RunReport;
  expect(rerun.week).toBe(WEEK);
  expect(rerun.datasets.map((d) => [d.dataset, d.status])).toEqual([['south', 'succeeded']]);
  expect(rerun.status).toBe('succeeded');
  const south = rerun.datasets[0]!;
  expect(south.outputs.length).toBeGreaterThan(0);
  for (const o of south.outputs) expect(existsSync(o.path) && o.path.startsWith(path.join(out, WEEK, 'south'))).toBe(true);

  // The re-run of a run where everything succeeded starts nothing.
  expect(nothing.code, nothing.stderr).toBe(0);
  expect(nothing.stderr).toContain(`Nothing to re-run: no dataset of ${original}-rerun-1 (week of ${WEEK}) failed or late (1 succeeded).`);
  expect(await exists(`${original}-rerun-2`)).toBe(false);
});

it('reads the report of a failFast run from its failure, and re-runs the cancelled datasets when asked', async () => {
  const taskQueue = taskQueueFor('rerun fail fast');
  const out = path.join(home, 'out-failfast');
  const spec = path.join(home, 'failfast.json');
  // South first and one at a time: its failure stops the run before north starts.
  const overrides = { name: 'rerun-ff', datasets: { list: ['sales/south', 'sales/north'] }, parallelism: { datasets: 1 }, onFailure: 'failFast' };
  await writeFile(spec, JSON.stringify(specFor(data, out, overrides)));
  const original = `rerun-ff-${WEEK}`;

  const { first, again } = await withWorker(taskQueue, async () => {
    const first = await withCorruptSouth(() => cli(['run', spec, '--week', WEEK], taskQueue));
    // Without the report file, the report can only come from the run's failure.
    await rm(path.join(out, WEEK, '_report.json'));
    const again = await cli(['rerun', original, '--include-cancelled'], taskQueue);
    return { first, again };
  });

  expect(first.code).toBe(1);
  expect((await client.workflow.getHandle(original).describe()).status.name).toBe('FAILED');
  expect(again.code, again.stderr).toBe(0);
  expect(again.stderr).toContain('  south: failed (UnreadableParquet');
  expect(again.stderr).toContain('  north: cancelled');
  const rerun = (await client.workflow.getHandle(`${original}-rerun-1`).result()) as RunReport;
  expect(rerun.datasets.map((d) => [d.dataset, d.status])).toEqual([['south', 'succeeded'], ['north', 'succeeded']]);
});
