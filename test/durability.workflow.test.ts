/**
 * The durability promise under real faults: `tributary worker` processes, a weekly run over enough
 * data to take a while, and processes really killed (SIGKILL) or stopped mid-run. After each run: it
 * completed, every output exists exactly once, no completed stage ran again, and the stages cut short
 * were retried. Worker kills run on the suite's dev server; the server restart on one of its own.
 */
import path from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../activities/ledger';
import type { RunReport } from '../common/report';
import { generateRetailWeek, type Manifest } from '../datagen';
import type { weeklyLoad } from '../workflows';
import { expectExactlyOnceOutputs, expectInFlightRetried, expectNoCompletedStageRanAgain } from './helpers/invariants';
import { tempDir } from './helpers/parquet';
import { DevServer, inFlight, readLedger, waitFor, WorkerProcess } from './helpers/processes';
import { sharedServerAddress, taskQueueFor } from './helpers/temporal';
import { specFor } from './helpers/weekly';

const WEEK = '2026-11-16';
// About 140k stock rows per region: a second or more of polars work per dataset, so kills land mid-stage.
const SIZE = {
  regions: 6,
  stores: 50,
  products: 400,
  days: 7,
  seed: 21,
  week: WEEK,
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};
// Short heartbeat timeouts so the attempts of a dead worker are retried within seconds.
const FAST_RECOVERY = Object.fromEntries(
  ['read', 'compute', 'write'].map((s) => [
    s,
    {
      heartbeatTimeout: '3s',
      startToCloseTimeout: '5 minutes',
      retry: { initialInterval: '200ms', maximumAttempts: 10 },
    },
  ]),
);

let home: string;
let data: string;
let manifest: Manifest;
const workers: WorkerProcess[] = [];
const connections: Connection[] = [];
let ownServer: DevServer | undefined;

beforeAll(async () => {
  home = await tempDir('tributary-durability-');
  data = path.join(home, 'data');
  manifest = await generateRetailWeek({ out: data, ...SIZE });
});
afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL').catch(() => undefined);
  for (const c of connections) await c.close();
  await ownServer?.stop();
});

/** A run on its own task queue and ledger, served only by worker processes this test starts. */
async function startRun(title: string, address: string) {
  const connection = await Connection.connect({ address });
  connections.push(connection);
  const client = new Client({ connection });
  const taskQueue = taskQueueFor(title);
  const out = await tempDir('tributary-durability-out-');
  const ledgerFile = path.join(out, '..', `${path.basename(out)}.ledger.jsonl`);
  const env = {
    TEMPORAL_ADDRESS: address,
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
  const spec = specFor(data, out, { parallelism: { datasets: 2 }, stages: FAST_RECOVERY });
  const handle: WorkflowHandle<typeof weeklyLoad> = await client.workflow.start<typeof weeklyLoad>('weeklyLoad', {
    taskQueue,
    workflowId: taskQueue,
    args: [{ spec, week: WEEK }],
  });
  return { handle, out, ledger: () => readLedger(ledgerFile), startWorker };
}

/** The run's result, waiting through a server that is briefly away. */
async function resultOf(handle: WorkflowHandle<typeof weeklyLoad>, timeoutMs = 240_000): Promise<RunReport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await handle.result();
    } catch (err) {
      if (Date.now() > deadline || !/UNAVAILABLE|unavailable|ECONNREFUSED|deadline/i.test(String(err))) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

const started = (ledger: LedgerEntry[], stage: string) => inFlight(ledger).filter((e) => e.stage === stage);
const finished = (ledger: LedgerEntry[], stage: string) =>
  ledger.filter((e) => e.event === 'done' && e.stage === stage).length;

describe('durability', { timeout: 300_000 }, () => {
  it('survives its worker being SIGKILLed three times: completes, outputs exactly once, no completed stage redone', async () => {
    const run = await startRun('worker killed', await sharedServerAddress());
    let worker = await run.startWorker();
    const interrupted: LedgerEntry[] = [];
    // Three different points: the first compute, after a dataset is published, near the end.
    const killPoints = [
      (l: LedgerEntry[]) => started(l, 'compute').length > 0,
      (l: LedgerEntry[]) => finished(l, 'write') >= 1 && started(l, 'compute').length > 0,
      (l: LedgerEntry[]) => finished(l, 'write') >= 4 && inFlight(l).some((e) => e.pid === worker.pid),
    ];
    for (const [i, point] of killPoints.entries()) {
      await waitFor(`kill point ${i + 1}`, () => point(run.ledger()), 120_000);
      await worker.kill('SIGKILL');
      interrupted.push(...inFlight(run.ledger()).filter((e) => e.pid === worker.pid));
      worker = await run.startWorker();
    }

    const report = await resultOf(run.handle);

    await expectExactlyOnceOutputs(report, run.out, manifest.regions);
    const ledger = run.ledger();
    expectNoCompletedStageRanAgain(report, ledger);
    expectInFlightRetried(report, interrupted);
    expect(new Set(ledger.map((e) => e.pid)).size).toBe(4); // the work really was spread over four processes
  });

  it('lets in-flight work finish on SIGTERM (graceful shutdown) and takes no new work', async () => {
    const run = await startRun('graceful shutdown', await sharedServerAddress());
    const first = await run.startWorker();
    const busy = await waitFor(
      'a compute in flight on the first worker',
      () => started(run.ledger(), 'compute').find((e) => e.pid === first.pid),
      120_000,
    );

    const signalledAt = new Date().toISOString();
    await first.kill('SIGTERM');

    expect(first.child.exitCode).toBe(0);
    const ledger = run.ledger();
    const finishedThere = (e: LedgerEntry) =>
      e.event === 'done' &&
      e.pid === first.pid &&
      e.workflowId === busy.workflowId &&
      e.stage === 'compute' &&
      e.attempt === busy.attempt;
    expect(ledger.some(finishedThere), 'the compute in flight finished before the worker exited').toBe(true);
    // A task the server handed over just as the signal arrived is already this worker's to run; any
    // start later than a second after it would be new work taken while draining.
    const drainingFrom = new Date(Date.parse(signalledAt) + 1_000).toISOString();
    expect(
      ledger.filter((e) => e.event === 'start' && e.pid === first.pid && e.at > drainingFrom),
      'no work started after SIGTERM',
    ).toEqual([]);

    await run.startWorker();
    const report = await resultOf(run.handle);

    await expectExactlyOnceOutputs(report, run.out, manifest.regions);
    expectNoCompletedStageRanAgain(report, run.ledger());
    const dataset = report.datasets.find((d) => `${report.workflowId}/${d.dataset}` === busy.workflowId);
    expect(dataset?.stages.compute?.attempts, 'the stage that finished during shutdown was not retried').toBe(
      busy.attempt,
    );
  });

  it('survives the Temporal server being stopped and restarted on the same database mid-run', async () => {
    // A server of its own (with its state in a file): this test stops it.
    const server = (ownServer = await DevServer.start(path.join(home, 'temporal.db')));
    const run = await startRun('server restart', server.address);
    const worker = await run.startWorker();
    await waitFor('a compute in flight', () => started(run.ledger(), 'compute').length > 0, 120_000);

    await server.stop();
    await new Promise((resolve) => setTimeout(resolve, 3_000)); // the worker's polls and completions fail meanwhile
    await server.start();

    const report = await resultOf(run.handle);

    await expectExactlyOnceOutputs(report, run.out, manifest.regions);
    expectNoCompletedStageRanAgain(report, run.ledger());
    expect(report.totals.succeeded).toBe(SIZE.regions);
    await worker.kill('SIGTERM');
  });
});
