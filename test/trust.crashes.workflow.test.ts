/**
 * Issue 12, class 6: a crash must not cost a dataset its retries. A `tributary worker` process is
 * SIGKILLed three times during the same dataset's compute; with the default retry budget the run
 * still succeeds, with the outputs a clean run computes. The spec shortens only the heartbeat
 * timeout and the first backoff (so the test takes seconds); the attempt budget is the default.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LedgerEntry } from '../activities/ledger';
import { generateRetailWeek, type Manifest } from '../datagen';
import type { weeklyLoad } from '../workflows';
import { expectExactlyOnceOutputs } from './helpers/invariants';
import { tempDir } from './helpers/parquet';
import { inFlight, readLedger, waitFor, WorkerProcess } from './helpers/processes';
import { sharedServerAddress, taskQueueFor } from './helpers/temporal';
import { specFor } from './helpers/weekly';
import { committedTable } from './helpers/snapshot';

const WEEK = '2026-11-16';
// One region big enough that its compute takes a second or more, so each kill (within 100 ms of its
// start) lands inside it.
const SIZE = {
  regions: 1,
  stores: 80,
  products: 500,
  days: 7,
  seed: 12,
  week: WEEK,
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};
const KILLS = 3;
// Only timings change: a dead worker's attempt is retried within seconds. No retry.maximumAttempts here.
const QUICK_DETECTION = Object.fromEntries(
  ['read', 'compute', 'write'].map((s) => [s, { heartbeatTimeout: '2s', retry: { initialInterval: '200ms' } }]),
);

let server: { address: string };
let connection: Connection;
let client: Client;
let data: string;
let manifest: Manifest;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  const home = await tempDir('tributary-crashes-');
  server = { address: await sharedServerAddress() };
  data = path.join(home, 'data');
  manifest = await generateRetailWeek({ out: data, ...SIZE });
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
});
afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL').catch(() => undefined);
  await connection?.close();
});

const computeStarts = (ledger: LedgerEntry[]) => inFlight(ledger).filter((e) => e.stage === 'compute');

it(`survives ${KILLS} SIGKILLs of the worker during the same dataset's compute, on the default retry budget`, async () => {
  const taskQueue = taskQueueFor('crashes during compute');
  const out = await tempDir('tributary-crashes-out-');
  const ledgerFile = `${out}.ledger.jsonl`;
  const env = {
    TEMPORAL_ADDRESS: server.address,
    TRIBUTARY_TASK_QUEUE: taskQueue,
    TRIBUTARY_LEDGER: ledgerFile,
    TRIBUTARY_WORKER_ACTIVITIES: '2',
    // A killed worker's runs wait for it this long (default 10 s) before a live worker may take them.
    TRIBUTARY_STICKY_TIMEOUT: '1s',
  };
  const startWorker = async () => {
    const worker = await WorkerProcess.start(env);
    workers.push(worker);
    return worker;
  };
  const spec = specFor(data, out, { stages: QUICK_DETECTION });
  const handle = await client.workflow.start<typeof weeklyLoad>('weeklyLoad', {
    taskQueue,
    workflowId: taskQueue,
    args: [{ spec, week: WEEK }],
  });

  let worker = await startWorker();
  for (let attempt = 1; attempt <= KILLS; attempt++) {
    // Killed as soon as this attempt has started: before it stages a table, so nothing is resumed.
    await waitFor(
      `compute attempt ${attempt}`,
      () => computeStarts(readLedger(ledgerFile)).some((e) => e.attempt === attempt),
      120_000,
    );
    await worker.kill('SIGKILL');
    expect(
      readLedger(ledgerFile).some((e) => e.stage === 'compute' && e.event === 'done'),
      `compute attempt ${attempt} was cut short`,
    ).toBe(false);
    worker = await startWorker();
  }

  const report = await handle.result();

  expect(report.datasets[0]?.error).toBeUndefined();
  await expectExactlyOnceOutputs(report, out, manifest.regions);
  const region = manifest.regions[0]!;
  expect(report.datasets[0]?.stages.compute?.attempts).toBe(KILLS + 1);
  // The figures are those of the data: units per category add up to the week's units sold.
  const hierarchy = pl.readParquet(await committedTable(out, WEEK, region, 'hierarchy_sales'));
  const transactions = pl.readParquet(path.join(data, 'sales', region, 'transactions.parquet'));
  const byCategory = hierarchy.filter(pl.col('level').eq(pl.lit('category')));
  expect(Number(byCategory.getColumn('units').sum())).toBe(Number(transactions.getColumn('units').sum()));
  await worker.kill('SIGTERM');
}, 300_000);
