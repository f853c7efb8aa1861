/**
 * Runs at scale on a real dev server: small datasets processed in batches (each still with its own
 * status, outputs and error), and a 1,200-dataset run that continues as new to keep its history
 * bounded, with a complete report at the end. The same fan-out at 2,500 datasets, with stub stages,
 * is in orchestration.workflow.test.ts; here every dataset is really read, computed and written.
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../common/report';
import { generateRetailWeek, regionName } from '../datagen';
import { tempDir } from './helpers/parquet';
import { testEnvironment } from './helpers/temporal';
import { filesUnder, runWeekly, specFor } from './helpers/weekly';
import { expectConsistentSnapshot } from './helpers/snapshot';

const WEEK = '2026-11-16';
const TINY = { stores: 2, products: 4, days: 7, seed: 4, week: WEEK, substitutionShare: 0.6, stockoutRate: 0.3 };
let env: TestWorkflowEnvironment;

/**
 * `count` datasets of real parquet for the week: eight generated regions, copied under the names
 * datagen would give the others. This test is about how many datasets there are, not what is in
 * them, and generating each of 1,200 regions (polars frames and writes) took 20 s of it.
 */
async function manyDatasets(data: string, count: number): Promise<string[]> {
  const generated = (await generateRetailWeek({ out: data, regions: 8, ...TINY })).regions;
  const names = Array.from({ length: count }, (_, i) => regionName(i));
  for (const [i, name] of names.entries()) {
    if (i < generated.length) continue;
    const from = path.join(data, 'sales', generated[i % generated.length]!);
    await mkdir(path.join(data, 'sales', name));
    for (const file of await readdir(from)) await copyFile(path.join(from, file), path.join(data, 'sales', name, file));
  }
  return names;
}

beforeAll(async () => {
  env = await testEnvironment();
});
afterAll(async () => {
  await env?.teardown();
});

describe('batching', () => {
  it('processes small datasets many per activity, each with its own status, outputs and error', async () => {
    const data = await tempDir('tributary-batch-');
    const manifest = await generateRetailWeek({ out: data, regions: 8, ...TINY });
    const corrupt = manifest.regions[4]!;
    await writeFile(path.join(data, 'sales', corrupt, 'transactions.parquet'), 'not parquet');
    const out = await tempDir('tributary-out-');

    // Two batches per run: the third batch runs in a continuation, so the report merges parts.
    const { report, handle } = await runWeekly(env, 'batched', {
      spec: specFor(data, out, { batching: { maxDatasets: 3 }, continueAsNewAfter: 2 }),
      week: WEEK,
    });

    expect(report.datasets.map((d) => d.dataset).sort()).toEqual([...manifest.regions].sort());
    const failed = report.datasets.filter((d) => d.status === 'failed');
    expect(failed.map((d) => d.dataset)).toEqual([corrupt]);
    expect(failed[0]?.error).toMatchObject({ stage: 'read', type: 'UnreadableParquet' });
    for (const d of report.datasets.filter((s) => s.dataset !== corrupt)) {
      expect(d.status).toBe('succeeded');
      expect(d.outputs.map((o) => o.table).sort()).toEqual([
        'hierarchy_sales',
        'lost_sales_by_category',
        'lost_sales_detail',
      ]);
    }
    const events = [];
    for await (const run of env.client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) {
      events.push(...((await env.client.workflow.getHandle(handle.workflowId, run.runId).fetchHistory()).events ?? []));
    }
    expect(events.filter((e) => e.workflowExecutionContinuedAsNewEventAttributes)).toHaveLength(1);
    const batches = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'processBatch');
    expect(batches).toHaveLength(3); // 8 datasets, 3 per batch
    expect(events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toHaveLength(0);
    expect((await filesUnder(out)).filter((f) => f.includes(corrupt))).toEqual([]);
    // One snapshot for the whole run, the parts' datasets included, committed once at its end.
    const snapshot = await expectConsistentSnapshot(out, WEEK);
    expect(snapshot.generation).toBe(1);
    expect(snapshot.datasets.map((d) => d.dataset)).toEqual(manifest.regions.filter((r) => r !== corrupt).sort());
    expect(snapshot.notCommitted.map((n) => n.dataset)).toEqual([corrupt]);
    // The batches' pending records went with the commit.
    expect(await filesUnder(path.join(out, '.pending'))).toEqual([]);
  });
});

describe('large fan-out', () => {
  it('runs 1,200 datasets through continue-as-new with bounded histories and a complete report', async () => {
    const data = await tempDir('tributary-large-');
    // More datasets than one run holds (1,000) and than a result carries inline (1,000).
    const regions = await manyDatasets(data, 1_200);
    const out = await tempDir('tributary-out-');
    // continueAsNewAfter at its default (500 batches): what bounds each run here is its datasets
    // (1,000), whose summaries would otherwise exceed the server's payload limit in one report.
    const spec = specFor(data, out, { batching: { maxDatasets: 50 }, parallelism: { datasets: 4 } });

    const { report, handle } = await runWeekly(env, 'large fan-out', { spec, week: WEEK });

    expect(report.totals).toMatchObject({ datasets: 1_200, succeeded: 1_200, failed: 0 });
    expect(report.status).toBe('succeeded');
    // Too many to return inline: the run's result points at the JSON report, which has them all.
    expect(report.datasets).toEqual([]);
    expect(report.datasetsIn).toBe(path.join(out, WEEK, '_report.json'));
    const full = JSON.parse(await readFile(report.datasetsIn!, 'utf8')) as RunReport;
    expect(full.datasets.map((d) => d.dataset).sort()).toEqual([...regions].sort());
    const outputs = (await filesUnder(out)).filter((f) => f.endsWith('lost_sales_by_category.parquet'));
    expect(outputs).toHaveLength(1_200);
    expect((await filesUnder(out)).filter((f) => f.startsWith('.runs') || f.startsWith('.staging'))).toEqual([]);

    // 24 batches, 20 per run (1,000 datasets): the first run and one continuation, each with a short history.
    const runs = [];
    for await (const run of env.client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) runs.push(run);
    expect(runs).toHaveLength(2);
    for (const run of runs) {
      const history = await env.client.workflow.getHandle(handle.workflowId, run.runId).fetchHistory();
      expect(history.events?.length ?? 0).toBeLessThan(200);
    }
  }, 600_000);
});
