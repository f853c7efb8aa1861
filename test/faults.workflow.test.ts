/**
 * Hung work and cancellation, on a real dev server with real data: a transform that stops
 * heartbeating is timed out and retried; a cancelled run stops its children and their activities
 * and leaves no temporary files.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../common/report';
import { generateRetailWeek, type Manifest } from '../datagen';
import type { weeklyLoad } from '../workflows';
import { tempDir } from './helpers/parquet';
import { inFlight, readLedger, waitFor } from './helpers/processes';
import { testEnvironment, taskQueueFor, temporalCliPath, startWorker } from './helpers/temporal';
import { filesUnder, runWeekly, specFor } from './helpers/weekly';

const WEEK = '2026-11-16';
let env: TestWorkflowEnvironment;
let small: string;
let smallManifest: Manifest;

beforeAll(async () => {
  env = await testEnvironment();
  small = await tempDir('tributary-faults-');
  smallManifest = await generateRetailWeek({
    out: small,
    regions: 3,
    stores: 10,
    products: 100,
    days: 7,
    seed: 5,
    week: WEEK,
    substitutionShare: 0.6,
    stockoutRate: 0.15,
  });
});
afterAll(async () => {
  await env?.teardown();
});

/** Blocks this thread, as a synchronous polars call would: no heartbeat can leave meanwhile. */
function blockEventLoop(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('hung work', () => {
  it('times out a transform that stops heartbeating within its heartbeat timeout, and retries it', async () => {
    const out = await tempDir('tributary-out-');
    const hung = smallManifest.regions[0]!;
    const attempts: number[] = [];
    const faults = (stage: string, dataset: string, attempt: number) => {
      if (stage !== 'compute' || dataset !== hung) return;
      attempts.push(attempt);
      if (attempt === 1) blockEventLoop(8_000);
    };
    // The start-to-close timeout is far away: only the heartbeat timeout can end attempt 1 early.
    const stages = {
      compute: {
        heartbeatTimeout: '2s',
        startToCloseTimeout: '10 minutes',
        retry: { initialInterval: '100ms', maximumAttempts: 10 },
      },
    };

    const { report } = await runWeekly(
      env,
      'hung transform',
      { spec: specFor(small, out, { stages }), week: WEEK },
      faults,
    );

    // While this one worker's thread is blocked, the retries handed to it time out too; once it is
    // free, the latest attempt runs and succeeds.
    expect(attempts[0]).toBe(1);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    const summary = report.datasets.find((d) => d.dataset === hung)!;
    expect(summary.status, JSON.stringify(summary.error)).toBe('succeeded');
    expect(summary.stages.compute?.attempts).toBe(attempts.at(-1));
    expect(report.totals.succeeded).toBe(3);
    expect((await filesUnder(out)).filter((f) => f.includes('.staging'))).toEqual([]);
  });
});

describe('cancellation', () => {
  it('`temporal workflow cancel` stops the children and their activities promptly and leaves no temporary files', async () => {
    const data = await tempDir('tributary-faults-big-');
    const manifest = await generateRetailWeek({
      out: data,
      regions: 4,
      stores: 100,
      products: 800,
      days: 7,
      seed: 6,
      week: WEEK,
      substitutionShare: 0.6,
      stockoutRate: 0.15,
    });
    const out = await tempDir('tributary-out-');
    const ledgerFile = path.join(out, '..', `${path.basename(out)}.ledger.jsonl`);
    const taskQueue = taskQueueFor('cancelled run');
    const worker = await startWorker({ connection: env.nativeConnection, taskQueue, activityDeps: { ledgerFile } });
    const handle = await env.client.workflow.start<typeof weeklyLoad>('weeklyLoad', {
      taskQueue,
      workflowId: taskQueue,
      args: [{ spec: specFor(data, out, { parallelism: { datasets: 2 } }), week: WEEK }],
    });

    const outcome = await worker.runUntil(async () => {
      await waitFor(
        'a compute in flight',
        () => inFlight(readLedger(ledgerFile)).some((e) => e.stage === 'compute'),
        60_000,
      );
      const cancelledAt = Date.now();
      await promisify(execFile)(await temporalCliPath(), [
        'workflow',
        'cancel',
        '--address',
        env.address,
        '--workflow-id',
        handle.workflowId,
      ]);
      const error = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      return { error, seconds: (Date.now() - cancelledAt) / 1000 };
    });

    expect(outcome.error).toBeInstanceOf(WorkflowFailedError);
    expect((outcome.error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(outcome.seconds).toBeLessThan(20); // a few heartbeats plus the table being written
    const children = await Promise.all(
      manifest.regions.map((r) =>
        env.client.workflow
          .getHandle(`${handle.workflowId}/${r}`)
          .describe()
          .catch(() => undefined),
      ),
    );
    const started = children.filter((c) => c !== undefined);
    expect(started.length).toBeGreaterThan(0);
    for (const child of started) expect(['CANCELLED', 'COMPLETED']).toContain(child.status.name);
    expect(started.some((c) => c.status.name === 'CANCELLED')).toBe(true);
    const ledger = readLedger(ledgerFile);
    expect(inFlight(ledger), JSON.stringify(inFlight(ledger))).toEqual([]); // every activity that started has ended
    const written = await filesUnder(out);
    expect(written.filter((f) => f.includes('.staging') || f.includes('.tmp'))).toEqual([]);
    // The report says what finished before the run stopped.
    const report = JSON.parse(await readFile(path.join(out, WEEK, '_report.json'), 'utf8')) as RunReport;
    expect(report.totals.cancelled).toBeGreaterThan(0);
    expect(report.totals.cancelled + report.totals.succeeded).toBe(manifest.regions.length);
  });
});
