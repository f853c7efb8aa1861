/**
 * weeklyLoad's orchestration on the suite's real dev server, with stub data stages
 * (test/helpers/stubActivities.ts): the window, failFast, continue-as-new, cancellation, batching
 * and waiting for data, in seconds and without polars. The end-to-end files (weeklyLoad, faults,
 * largeRun, arrival) check the same paths with real activities and data.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  type ApplicationFailure,
  CancelledFailure,
  WorkflowFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../common/report';
import { datasetArrivedSignal, progressQuery, type weeklyLoad } from '../workflows';
import { maxOpenChildren } from './helpers/history';
import { tempDir } from './helpers/parquet';
import { waitFor } from './helpers/processes';
import { stubActivities } from './helpers/stubActivities';
import { taskQueueFor, testEnvironment, withWorker } from './helpers/temporal';
import { specFor } from './helpers/weekly';

const WEEK = '2026-11-16';
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await testEnvironment();
});
afterAll(async () => {
  await env?.teardown();
});

type Stubs = ReturnType<typeof stubActivities>;

/** A spec over datasets that exist only in the stubs; its output root is real (the report is written there). */
function stubSpec(names: string[], out: string, overrides: Record<string, unknown> = {}) {
  return specFor('/stub-data', out, { datasets: { list: names.map((n) => `sales/${n}`) }, ...overrides });
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `d${String(i).padStart(4, '0')}`);

/** Starts a run on a worker with the stubs, runs `during` while it goes, and returns how it ended. */
async function runStubbed(
  title: string,
  stubs: Stubs,
  spec: unknown,
  during?: (handle: WorkflowHandle<typeof weeklyLoad>) => Promise<void>,
) {
  const taskQueue = taskQueueFor(title);
  return withWorker({ connection: env.nativeConnection, taskQueue, activities: stubs.activities }, async () => {
    const started = Date.now();
    const handle = await env.client.workflow.start<typeof weeklyLoad>('weeklyLoad', {
      taskQueue,
      workflowId: taskQueue,
      args: [{ spec, week: WEEK }],
    });
    await during?.(handle);
    type Outcome = { report?: RunReport; error?: unknown };
    const outcome = await handle.result().then(
      (report): Outcome => ({ report }),
      (error: unknown): Outcome => ({ error }),
    );
    const seconds = (Date.now() - started) / 1000;
    return { ...outcome, handle, seconds, progress: await handle.query(progressQuery) };
  });
}

const statuses = (report: RunReport) => Object.fromEntries(report.datasets.map((d) => [d.dataset, d.status]));
const readReport = async (out: string) =>
  JSON.parse(await readFile(path.join(out, WEEK, '_report.json'), 'utf8')) as RunReport;

// Each test has its own stubs, task queue and worker, and mostly waits on the server: side by side.
describe('weeklyLoad orchestration, stub stages', { concurrent: true }, () => {
  it('keeps no more datasets in flight than the spec’s parallelism, and fills that window', async () => {
    // Computes long enough to overlap however slowly the two children get going beside the other tests.
    const stubs = stubActivities({ computeMs: 1_000 });
    const out = await tempDir('tributary-orch-');

    const { report, handle, progress } = await runStubbed(
      'window',
      stubs,
      stubSpec(names(6), out, { parallelism: { datasets: 2 } }),
    );

    expect(report?.totals).toMatchObject({ datasets: 6, succeeded: 6 });
    expect(maxOpenChildren((await handle.fetchHistory()).events ?? [])).toBe(2);
    expect(stubs.maxComputing()).toBe(2);
    expect(progress).toEqual({
      phase: 'done',
      total: 6,
      pending: 0,
      running: 0,
      succeeded: 6,
      failed: 0,
      late: 0,
      skipped: 0,
    });
  });

  it('failFast: the first failure cancels the dataset in flight and starts no other; the run fails saying why', async () => {
    // a fails at once; b is computing for a long time beside it; c and d wait for the window.
    const stubs = stubActivities({ computeMs: 60_000, fails: { a: { stage: 'read', type: 'UnreadableParquet' } } });
    const out = await tempDir('tributary-orch-');
    const spec = stubSpec(['a', 'b', 'c', 'd'], out, {
      parallelism: { datasets: 2 },
      onFailure: 'failFast',
      stages: { compute: { heartbeatTimeout: '2s' } },
    });

    const { error, seconds } = await runStubbed('fail fast', stubs, spec);

    expect(error).toBeInstanceOf(WorkflowFailedError);
    const failure = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(failure.type).toBe('RunFailed');
    expect(failure.message).toContain(
      'Stopped at the first failure (onFailure: failFast): a: Dataset a: stub read failure',
    );
    const report = failure.details?.[0] as RunReport;
    expect(statuses(report)).toEqual({ a: 'failed', b: 'cancelled', c: 'cancelled', d: 'cancelled' });
    expect(
      stubs
        .of('readDataset')
        .map((c) => c.dataset)
        .sort(),
    ).toEqual(['a', 'b']); // c and d never started
    expect(seconds, 'b was stopped, not waited for').toBeLessThan(30);
    expect(stubs.of('discardStaging')).toHaveLength(2); // a's and b's staging folders
    expect((await readReport(out)).totals).toMatchObject({ failed: 1, cancelled: 3 });
  });

  it('continues as new every continueAsNewAfter units and reports every dataset of every part', async () => {
    const stubs = stubActivities();
    const out = await tempDir('tributary-orch-');

    const { report, handle, progress } = await runStubbed(
      'continue as new',
      stubs,
      stubSpec(names(5), out, { continueAsNewAfter: 2 }),
    );

    expect(report?.status).toBe('succeeded');
    expect(report?.datasets.map((d) => d.dataset).sort()).toEqual(names(5));
    const runs = [];
    for await (const run of env.client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) runs.push(run);
    expect(runs).toHaveLength(3); // units 0-1, 2-3, 4
    expect(progress).toMatchObject({ phase: 'done', total: 5, succeeded: 5, pending: 0 });
    expect((await readReport(out)).datasets).toHaveLength(5);
    expect(existsSync(path.join(out, '.runs', handle.workflowId)), 'the parts saved on the way are removed').toBe(
      false,
    );
  });

  it('processes batches as single activities, one summary per dataset, without child workflows', async () => {
    const stubs = stubActivities({ failedInBatch: ['d0004'] });
    const out = await tempDir('tributary-orch-');

    const { report, handle } = await runStubbed(
      'batches',
      stubs,
      stubSpec(names(8), out, { batching: { maxDatasets: 3 } }),
    );

    expect(
      stubs
        .of('processBatch')
        .map((c) => c.dataset)
        .sort(),
    ).toEqual(['d0000,d0001,d0002', 'd0003,d0004,d0005', 'd0006,d0007']);
    const events = (await handle.fetchHistory()).events ?? [];
    expect(events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(0);
    expect(report?.status).toBe('partial');
    expect(report?.totals).toMatchObject({ datasets: 8, succeeded: 7, failed: 1 });
    expect(report?.datasets.find((d) => d.dataset === 'd0004')?.error).toMatchObject({
      stage: 'read',
      type: 'UnreadableParquet',
    });
  });

  it('a cancelled run cancels its children and their activities, cleans up, and reports them cancelled', async () => {
    const stubs = stubActivities({ computeMs: 60_000 });
    const out = await tempDir('tributary-orch-');
    const spec = stubSpec(['a', 'b', 'c'], out, {
      parallelism: { datasets: 3 },
      stages: { compute: { heartbeatTimeout: '2s' } },
    });

    const { error, handle, seconds } = await runStubbed('cancelled', stubs, spec, async (h) => {
      await waitFor('three computes in flight', () => stubs.of('computeMetrics').length === 3, 30_000);
      await h.cancel();
    });

    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(seconds, 'the computes were stopped, not waited for').toBeLessThan(30);
    for (const d of ['a', 'b', 'c']) {
      expect((await env.client.workflow.getHandle(`${handle.workflowId}/${d}`).describe()).status.name).toBe(
        'CANCELLED',
      );
    }
    expect(stubs.of('discardStaging')).toHaveLength(3);
    expect((await readReport(out)).totals).toMatchObject({ datasets: 3, cancelled: 3 });
  });

  it('waits for data: a signal brings a dataset in at once, one that never lands is late at the deadline', async () => {
    const stubs = stubActivities({ missing: ['b', 'c'] });
    const out = await tempDir('tributary-orch-');
    // Checks are an hour apart: only the signal can bring b in before the deadline, which leaves a
    // (done in half a second alone) room beside the other tests of this file.
    const spec = stubSpec(['a', 'b', 'c'], out, {
      availability: { marker: '_SUCCESS', checkEvery: '1 hour', deadline: '6s' },
    });
    let landedAfter = Infinity;

    const { report, handle, seconds } = await runStubbed('late data', stubs, spec, async (h) => {
      await waitFor('a to succeed', async () => (await h.query(progressQuery)).succeeded === 1, 30_000);
      stubs.arrive('b');
      const landed = Date.now();
      await h.signal(datasetArrivedSignal, 'b');
      await waitFor('b to succeed', async () => (await h.query(progressQuery)).succeeded === 2, 30_000);
      landedAfter = Date.now() - landed;
    });

    expect(statuses(report!)).toEqual({ a: 'succeeded', b: 'succeeded', c: 'late' });
    expect(report?.datasets.find((d) => d.dataset === 'c')?.note).toContain('missing stub marker of c');
    expect(landedAfter).toBeLessThan(4_000); // woken by the signal, not by the hourly check
    // Nor by the deadline: b's wait's one timer (to the deadline) was cancelled, never fired.
    const waited = (await env.client.workflow.getHandle(`${handle.workflowId}/b`).fetchHistory()).events ?? [];
    expect(waited.filter((e) => e.timerStartedEventAttributes)).toHaveLength(1);
    expect(waited.filter((e) => e.timerCanceledEventAttributes)).toHaveLength(1);
    expect(waited.filter((e) => e.timerFiredEventAttributes)).toHaveLength(0);
    expect(seconds).toBeGreaterThanOrEqual(6); // c was given until the deadline
    expect(stubs.of('checkAvailability').filter((c) => c.dataset === 'c').length).toBeLessThanOrEqual(2); // no polling in between
  });

  it('runs 2,500 datasets in batches through continue-as-new: bounded histories, the full report on disk', async () => {
    const stubs = stubActivities();
    const out = await tempDir('tributary-orch-');
    const all = names(2_500);
    const spec = stubSpec(all, out, { batching: { maxDatasets: 50 }, parallelism: { datasets: 4 } });

    const { report, handle } = await runStubbed('large fan-out', stubs, spec);

    expect(report?.totals).toMatchObject({ datasets: 2_500, succeeded: 2_500, failed: 0 });
    // Too many to return inline: the run's result points at the JSON report, which has them all.
    expect(report?.datasets).toEqual([]);
    expect(report?.datasetsIn).toBe(path.join(out, WEEK, '_report.json'));
    expect((await readReport(out)).datasets.map((d) => d.dataset).sort()).toEqual(all);
    expect(stubs.of('processBatch')).toHaveLength(50);
    // 1,000 datasets per run: the first run and two continuations, each with a short history.
    const runs = [];
    for await (const run of env.client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) runs.push(run);
    expect(runs).toHaveLength(3);
    for (const run of runs) {
      const history = await env.client.workflow.getHandle(handle.workflowId, run.runId).fetchHistory();
      expect(history.events?.length ?? 0).toBeLessThan(200);
    }
  });
});
