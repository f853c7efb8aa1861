/**
 * One place builds the run report (the writeReport activity), and everything reads that report:
 * what the run returns (or its failFast failure carries) is the `_report.json` it wrote, metric
 * totals and week over week included, for a one-part run and for one that continued as new. Real
 * dev server, real parquet.
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wholeReport } from '../cli/runReport';
import type { RunReport } from '../common/report';
import { previousWeekOf } from '../common/week';
import { generateRetailWeek, type Manifest } from '../datagen';
import { tempDir } from './helpers/parquet';
import { startTestServer } from './helpers/temporal';
import { runWeekly, specFor } from './helpers/weekly';

const WEEK = '2026-11-16';
const SIZE = { regions: 3, stores: 3, products: 20, days: 7, seed: 13, week: WEEK };
const EFFECTS = { substitutionShare: 0.6, stockoutRate: 0.2 };
let env: TestWorkflowEnvironment;
let data: string;
let manifest: Manifest;

beforeAll(async () => {
  env = await startTestServer();
  data = await tempDir('tributary-once-');
  manifest = await generateRetailWeek({ out: data, ...SIZE, ...EFFECTS });
});
afterAll(async () => {
  await env?.teardown();
});

const written = async (out: string) =>
  JSON.parse(await readFile(path.join(out, WEEK, '_report.json'), 'utf8')) as RunReport;

describe('the run report, built once', () => {
  it('is what the run returns: the written report, with metric totals and week over week', async () => {
    const out = await tempDir('tributary-once-out-');
    const first = await runWeekly(env, 'report once', { spec: specFor(data, out), week: WEEK });
    expect(first.report).toEqual(await written(out));
    for (const region of manifest.regions) {
      expect(Object.keys(first.report.metricTotals?.[region] ?? {}), region).not.toEqual([]);
    }
    expect(first.report.weekOverWeek).toBeUndefined(); // no previous week yet

    // A previous week whose totals were half this week's: every change is +100%, flagged.
    const half = (totals: Record<string, number>) =>
      Object.fromEntries(Object.entries(totals).map(([metric, value]) => [metric, value / 2]));
    const halved = Object.fromEntries(Object.entries(first.report.metricTotals ?? {}).map(([d, t]) => [d, half(t)]));
    const before = previousWeekOf(WEEK);
    await mkdir(path.join(out, before), { recursive: true });
    const lastWeek = { workflowId: 'last-week', week: before, metricTotals: halved };
    await writeFile(path.join(out, before, '_report.json'), JSON.stringify(lastWeek));
    const second = await runWeekly(env, 'report once again', { spec: specFor(data, out), week: WEEK, force: true });
    expect(second.report).toEqual(await written(out));
    expect(second.report.weekOverWeek?.previousWeek).toBe(before);
    const changes = second.report.weekOverWeek?.changes ?? [];
    expect(changes.filter((c) => c.previous !== 0 && c.flagged && c.change === 1).length).toBeGreaterThan(0);
    expect(await wholeReport(second.report)).toBe(second.report); // nothing left out: no file to read
  });

  it('is the written report for a run that continued as new, every part merged by the activity', async () => {
    const out = await tempDir('tributary-once-parts-');
    const spec = specFor(data, out, { batching: { maxDatasets: 1 }, continueAsNewAfter: 1 });
    const { report, handle } = await runWeekly(env, 'report once parts', { spec, week: WEEK });
    const file = await written(out);
    expect(report).toEqual(file);
    expect(report.datasets.map((d) => d.dataset).sort()).toEqual([...manifest.regions].sort());
    expect(Object.keys(report.metricTotals ?? {}).sort()).toEqual([...manifest.regions].sort());
    let runs = 0;
    for await (const _ of env.client.workflow.list({ query: `WorkflowId = "${handle.workflowId}"` })) runs++;
    expect(runs).toBe(manifest.regions.length);
  });

  it('is what a failFast stop carries in its failure', async () => {
    const broken = await tempDir('tributary-once-broken-');
    const small = await generateRetailWeek({ out: broken, ...SIZE, ...EFFECTS, regions: 2 });
    await writeFile(path.join(broken, 'sales', small.regions[0]!, 'transactions.parquet'), 'not parquet');
    const out = await tempDir('tributary-once-failfast-');
    const spec = specFor(broken, out, { onFailure: 'failFast', parallelism: { datasets: 1 } });
    const run = runWeekly(env, 'report once failfast', { spec, week: WEEK });
    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('RunFailed');
    expect((cause as ApplicationFailure).details?.[0]).toEqual(await written(out));
  });
});
