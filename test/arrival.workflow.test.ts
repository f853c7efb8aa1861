/**
 * Waiting for late data on a real dev server: a dataset whose data lands after the run started is
 * processed as soon as it is signalled; one that never lands is reported late at the deadline, and
 * the others complete meanwhile.
 */
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRetailWeek } from '../datagen';
import { datasetArrivedSignal, progressQuery, type weeklyLoad } from '../workflows';
import { tempDir } from './helpers/parquet';
import { waitFor } from './helpers/processes';
import { testEnvironment, taskQueueFor, startWorker } from './helpers/temporal';
import { filesUnder, specFor } from './helpers/weekly';
import { committedTable } from './helpers/snapshot';

const WEEK = '2026-11-16';
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await testEnvironment();
});
afterAll(async () => {
  await env?.teardown();
});

describe('waiting for data', () => {
  it('processes a dataset that lands mid-run when signalled, reports one that never lands as late, and finishes the rest', async () => {
    const data = await tempDir('tributary-arrival-');
    const manifest = await generateRetailWeek({
      out: data,
      regions: 4,
      stores: 4,
      products: 40,
      days: 7,
      seed: 8,
      week: WEEK,
      substitutionShare: 0.6,
      stockoutRate: 0.15,
    });
    const [onTime, alsoOnTime, lands, never] = manifest.regions as [string, string, string, string];
    for (const region of [onTime, alsoOnTime]) await writeFile(path.join(data, 'sales', region, '_SUCCESS'), '');
    // `lands` has no marker yet and its transactions are still "being written" (not at their final name).
    const landing = path.join(data, 'sales', lands, 'transactions.parquet');
    await rename(landing, `${landing}.partial`);
    const out = await tempDir('tributary-out-');
    // Checks are an hour apart: only the signal can bring `lands` in before the deadline. The on-time
    // datasets take a second or two (several under load): the deadline leaves them five times that.
    const spec = specFor(data, out, { availability: { marker: '_SUCCESS', checkEvery: '1 hour', deadline: '10s' } });
    const taskQueue = taskQueueFor('late data');
    const worker = await startWorker({ connection: env.nativeConnection, taskQueue });
    const started = Date.now();

    const { report, landedAfter } = await worker.runUntil(async () => {
      const handle = await env.client.workflow.start<typeof weeklyLoad>('weeklyLoad', {
        taskQueue,
        workflowId: taskQueue,
        args: [{ spec, week: WEEK }],
      });
      await waitFor('the on-time datasets', async () => (await handle.query(progressQuery)).succeeded === 2, 60_000);
      await rename(`${landing}.partial`, landing);
      await writeFile(path.join(data, 'sales', lands, '_SUCCESS'), '');
      const landedAt = Date.now();
      await handle.signal(datasetArrivedSignal, lands);
      await waitFor(
        `${lands} to be processed`,
        async () => (await handle.query(progressQuery)).succeeded === 3,
        60_000,
      );
      return { landedAfter: Date.now() - landedAt, report: await handle.result() };
    });

    const byName = Object.fromEntries(report.datasets.map((d) => [d.dataset, d]));
    expect(byName[onTime]?.status).toBe('succeeded');
    expect(byName[alsoOnTime]?.status).toBe('succeeded');
    expect(byName[lands]?.status).toBe('succeeded');
    expect(landedAfter).toBeLessThan(10_000); // woken by the signal, not by the hourly check
    // Nor by the deadline: its wait's one timer (to the deadline) was cancelled, never fired.
    const waited = (await env.client.workflow.getHandle(`${taskQueue}/${lands}`).fetchHistory()).events ?? [];
    expect(waited.filter((e) => e.timerStartedEventAttributes)).toHaveLength(1);
    expect(waited.filter((e) => e.timerCanceledEventAttributes)).toHaveLength(1);
    expect(waited.filter((e) => e.timerFiredEventAttributes)).toHaveLength(0);
    expect(byName[never]).toMatchObject({ status: 'late', outputs: [] });
    expect(byName[never]?.note).toContain(`missing marker file ${path.join(data, 'sales', never, '_SUCCESS')}`);
    expect(report.totals).toMatchObject({ succeeded: 3, late: 1, failed: 0 });
    expect(report.status).toBe('partial');
    expect(Date.now() - started).toBeGreaterThanOrEqual(10_000); // the late one was given until the deadline
    const written = await filesUnder(out);
    expect(written.filter((f) => f.includes(never))).toEqual([]);
    expect(written).toContain(path.relative(out, await committedTable(out, WEEK, lands, 'lost_sales_by_category')));
  });
});
