/**
 * Issue 15: a week's outputs are one committed snapshot, read through its manifest: a publish that
 * fails half-way keeps the previous snapshot; a renamed or dropped dataset disappears; runs of two
 * weeks and a rerun, interleaved, keep each week's snapshot whole. Real dev server, real parquet.
 */
import { cp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StepHook } from '../activities/commit';
import { generateRetailWeek, type Manifest } from '../datagen';
import type { weeklyLoad } from '../workflows';
import type { WeeklyLoadInput } from '../workflows/weeklyLoad';
import { tempDir } from './helpers/parquet';
import { expectConsistentSnapshot, type readSnapshot } from './helpers/snapshot';
import { startWorker, taskQueueFor, testEnvironment } from './helpers/temporal';
import { filesUnder, specFor } from './helpers/weekly';

const WEEK = '2026-11-16';
const NEXT = '2026-11-23';
const SIZE = { regions: 4, stores: 8, products: 60, days: 7, seed: 15, substitutionShare: 0.6, stockoutRate: 0.1 };

let env: TestWorkflowEnvironment;
let data: string;
let nextData: string;
let manifest: Manifest;

beforeAll(async () => {
  env = await testEnvironment();
  data = await tempDir('tributary-snap-data-');
  nextData = await tempDir('tributary-snap-next-');
  [manifest] = await Promise.all([
    generateRetailWeek({ out: data, ...SIZE, week: WEEK }),
    generateRetailWeek({ out: nextData, ...SIZE, week: NEXT, seed: 16 }),
  ]);
});
afterAll(async () => {
  await env?.teardown();
});

async function copyOf(source: string): Promise<string> {
  const dir = await tempDir('tributary-snap-copy-');
  await cp(source, dir, { recursive: true });
  return dir;
}

/** Runs the weekly load on a worker of its own (with `steps` called at each publish and commit step). */
async function run(title: string, input: WeeklyLoadInput, steps?: StepHook) {
  const taskQueue = taskQueueFor(title);
  const worker = await startWorker({
    connection: env.nativeConnection,
    taskQueue,
    activityDeps: steps ? { steps } : {},
  });
  return worker.runUntil(async () => {
    const handle = await env.client.workflow.start<typeof weeklyLoad>('weeklyLoad', {
      taskQueue,
      workflowId: taskQueue,
      args: [input],
    });
    return { report: await handle.result(), workflowId: taskQueue };
  });
}

/** Every output file under the root: what a glob over the week would find. */
const parquetUnder = async (out: string) => (await filesUnder(out)).filter((f) => f.endsWith('.parquet'));
const committedFiles = (m: Awaited<ReturnType<typeof readSnapshot>>) =>
  m.datasets.flatMap((d) => d.tables.map((t) => t.path)).sort();

describe('committed snapshots', () => {
  it('a publish failing between two tables leaves the previous snapshot of that dataset intact and readable', async () => {
    const out = await tempDir('tributary-snap-out-');
    const spec = specFor(data, out);
    await run('snapshot before', { spec, week: WEEK });
    const before = await expectConsistentSnapshot(out, WEEK);
    const victim = manifest.regions[1]!;

    // The second run's publish of one dataset moves its first table, then the next move is refused.
    const refuseAfterFirstTable: StepHook = (step) => {
      const id = Context.current().info.workflowExecution?.workflowId ?? '';
      if (step === 'publish:table-moved' && id.endsWith(`/${victim}`))
        throw ApplicationFailure.nonRetryable('simulated: rename refused', 'SimulatedRenameRefused');
    };
    const { report } = await run('snapshot after', { spec, week: WEEK, force: true }, refuseAfterFirstTable);

    expect(report.status).toBe('partial');
    expect(report.datasets.find((d) => d.dataset === victim)).toMatchObject({
      status: 'failed',
      error: { stage: 'write', type: 'SimulatedRenameRefused' },
    });
    const after = await expectConsistentSnapshot(out, WEEK);
    expect(after.generation).toBe(before.generation + 1);
    // The victim's entry is the one of the first run, whole; the others are the second run's.
    const entry = (m: typeof before, d: string) => m.datasets.find((x) => x.dataset === d)!;
    expect(entry(after, victim)).toEqual(entry(before, victim));
    expect(after.notCommitted).toEqual([
      expect.objectContaining({ dataset: victim, status: 'failed', reason: expect.stringContaining('kept') }),
    ]);
    for (const region of manifest.regions.filter((r) => r !== victim))
      expect(entry(after, region).workflowId).not.toBe(entry(before, region).workflowId);
    // Its tables still agree with each other: every lost unit of the detail is in the by-category table.
    const [detail, byCategory] = ['lost_sales_detail', 'lost_sales_by_category'].map((t) =>
      pl.readParquet(path.join(out, entry(after, victim).tables.find((x) => x.table === t)!.path)),
    );
    expect(Number(byCategory!.getColumn('lost_units').sum())).toBeCloseTo(
      Number(detail!.getColumn('lost_units').sum()),
      6,
    );
    // What the failed publish had moved is gone; nothing but the snapshot's files is left.
    expect(await parquetUnder(out)).toEqual(committedFiles(after));
    expect(await filesUnder(path.join(out, '.pending'))).toEqual([]);
  });

  it('a renamed or a dropped dataset disappears from the snapshot and from the disk', async () => {
    const own = await copyOf(data);
    const out = await tempDir('tributary-snap-out-');
    const spec = specFor(own, out);
    await run('rename before', { spec, week: WEEK });
    const before = await expectConsistentSnapshot(out, WEEK);
    const [kept, renamed, dropped] = manifest.regions as [string, string, string];
    await rename(path.join(own, 'sales', renamed), path.join(own, 'sales', `${renamed}-v2`));
    await rm(path.join(own, 'sales', dropped), { recursive: true });

    const { report } = await run('rename after', { spec, week: WEEK });

    expect(report.status).toBe('succeeded');
    const after = await expectConsistentSnapshot(out, WEEK);
    const names = after.datasets.map((d) => d.dataset);
    expect(names).toEqual(
      manifest.regions
        .filter((r) => r !== dropped)
        .map((r) => (r === renamed ? `${r}-v2` : r))
        .sort(),
    );
    // Unchanged datasets keep their files (skipped, not recomputed); the renamed one is computed anew.
    expect(after.datasets.find((d) => d.dataset === kept)).toEqual(before.datasets.find((d) => d.dataset === kept));
    // A glob over the week finds exactly the snapshot: no south beside south-v2, nothing of the dropped one.
    expect(await parquetUnder(out)).toEqual(committedFiles(after));
    expect((await filesUnder(out)).filter((f) => f.split(path.sep).includes(dropped))).toEqual([]);
    expect((await filesUnder(out)).filter((f) => f.split(path.sep).includes(renamed))).toEqual([]);
  });

  it('runs of two weeks and a rerun, interleaved, keep each week’s snapshot whole', async () => {
    const own = await copyOf(data);
    const out = await tempDir('tributary-snap-out-');
    const broken = manifest.regions[2]!;
    const transactions = path.join(own, 'sales', broken, 'transactions.parquet');
    const good = path.join(await tempDir('tributary-snap-keep-'), 'transactions.parquet');
    await cp(transactions, good);
    await writeFile(transactions, 'PAR1 not parquet');

    // Week one (one dataset broken) and week two, side by side.
    const [one, two] = await Promise.all([
      run('interleaved week one', { spec: specFor(own, out), week: WEEK }),
      run('interleaved week two', { spec: specFor(nextData, out), week: NEXT }),
    ]);
    expect(one.report.status).toBe('partial');
    expect(two.report.status).toBe('succeeded');

    // The broken dataset is repaired and rerun (only it), while week two runs again.
    await cp(good, transactions);
    const rerunSpec = specFor(own, out, { datasets: { list: [`sales/${broken}`] } });
    const [rerun, twoAgain] = await Promise.all([
      run('interleaved rerun', { spec: rerunSpec, week: WEEK, keepOtherDatasets: true }),
      run('interleaved week two again', { spec: specFor(nextData, out), week: NEXT, force: true }),
    ]);
    expect(rerun.report.status).toBe('succeeded');
    expect(twoAgain.report.status).toBe('succeeded');

    const weekOne = await expectConsistentSnapshot(out, WEEK);
    expect(weekOne.datasets.map((d) => d.dataset)).toEqual([...manifest.regions].sort());
    for (const d of weekOne.datasets)
      expect(d.workflowId, d.dataset).toBe(d.dataset === broken ? rerun.workflowId : one.workflowId);
    expect(weekOne.notCommitted).toEqual([]);
    expect(weekOne.run).toMatchObject({ workflowId: rerun.workflowId, mode: 'merge' });
    const weekTwo = await expectConsistentSnapshot(out, NEXT);
    expect(weekTwo.run.workflowId).toBe(twoAgain.workflowId);
    expect(weekTwo.datasets.every((d) => d.workflowId === twoAgain.workflowId)).toBe(true);
    // Nothing but the two snapshots' files is left: no superseded file, no pending record.
    expect(await parquetUnder(out)).toEqual([...committedFiles(weekOne), ...committedFiles(weekTwo)].sort());
    expect(await filesUnder(path.join(out, '.pending'))).toEqual([]);
  });
});
