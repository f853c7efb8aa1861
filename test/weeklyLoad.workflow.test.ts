/**
 * The weekly load end to end on a real Temporal dev server and real parquet files: generated data
 * with planted stock-out substitution, and the figures the pipeline recovers from it. The window,
 * failFast, continue-as-new and cancellation paths are checked with stub stages in
 * orchestration.workflow.test.ts.
 */
import { cp, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../common/report';
import { generateRetailWeek, type Manifest } from '../datagen';
import { tempDir } from './helpers/parquet';
import { testEnvironment } from './helpers/temporal';
import { committedTable, expectConsistentSnapshot, snapshotContent } from './helpers/snapshot';
import { filesUnder, runWeekly, specFor } from './helpers/weekly';

const SIZE = {
  regions: 4,
  stores: 10,
  products: 120,
  days: 7,
  seed: 11,
  week: '2026-11-16',
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};
let env: TestWorkflowEnvironment;
let data: string;
let manifest: Manifest;

beforeAll(async () => {
  env = await testEnvironment();
  data = await tempDir('tributary-weekly-');
  manifest = await generateRetailWeek({ out: data, ...SIZE });
});
afterAll(async () => {
  await env?.teardown();
});

/** A private copy of the generated data, for tests that damage it. */
async function copyOfData(): Promise<string> {
  const copy = await tempDir('tributary-weekly-copy-');
  await cp(data, copy, { recursive: true });
  return copy;
}

describe('weeklyLoad', () => {
  it('recovers the planted substitution effects and the raw sales totals, per region', async () => {
    const out = await tempDir('tributary-out-');
    const { report, progress } = await runWeekly(env, 'planted effects', { spec: specFor(data, out), week: SIZE.week });

    expect(report.status).toBe('succeeded');
    expect(report.datasets.map((d) => d.dataset).sort()).toEqual([...manifest.regions].sort());
    expect(progress).toEqual({
      phase: 'done',
      total: 4,
      pending: 0,
      running: 0,
      succeeded: 4,
      failed: 0,
      late: 0,
      skipped: 0,
    });

    for (const region of manifest.regions) {
      const planted = manifest.planted.regions[region]!;
      const byCategory = pl.readParquet(await committedTable(out, SIZE.week, region, 'lost_sales_by_category'));
      const sum = (column: string) => Number(byCategory.getColumn(column).sum());
      // Tolerance: the metric estimates demand from each product's clean in-stock days (±10% daily noise).
      expect(sum('expected_units')).toBeGreaterThan(planted.expectedUnits * 0.9);
      expect(sum('expected_units')).toBeLessThan(planted.expectedUnits * 1.1);
      expect(sum('substituted_units')).toBeGreaterThan(planted.substitutedUnits * 0.9);
      expect(sum('substituted_units')).toBeLessThan(planted.substitutedUnits * 1.1);
      // The planted share is below SIZE.substitutionShare: demand for a substitute that is out too is lost.
      const plantedShare = planted.substitutedUnits / planted.expectedUnits;
      expect(Math.abs(sum('substituted_units') / sum('expected_units') - plantedShare)).toBeLessThan(0.05);

      const raw = pl.readParquet(path.join(data, 'sales', region, 'transactions.parquet'));
      const hierarchy = pl.readParquet(await committedTable(out, SIZE.week, region, 'hierarchy_sales'));
      for (const level of ['category', 'subcategory', 'brand']) {
        const rows = hierarchy.filter(pl.col('level').eq(pl.lit(level)));
        expect(Number(rows.getColumn('units').sum())).toBe(Number(raw.getColumn('units').sum()));
        expect(Number(rows.getColumn('revenue').sum())).toBeCloseTo(Number(raw.getColumn('revenue').sum()), 3);
      }
    }
    expect(await filesUnder(path.join(out, '.staging'))).toEqual([]);
    expect(report.files?.markdown).toBe(path.join(out, SIZE.week, '_report.md'));
  });

  it('reports a corrupt file and a missing column after one attempt each; the rest complete; nothing partial is left', async () => {
    const damaged = await copyOfData();
    const [corrupt, missingColumn, ...healthy] = manifest.regions as [string, string, ...string[]];
    await writeFile(path.join(damaged, 'sales', corrupt, 'transactions.parquet'), 'PAR1 this is not parquet at all');
    const stockFile = path.join(damaged, 'sales', missingColumn, 'stock.parquet');
    pl.readParquet(stockFile).drop('in_stock').writeParquet(stockFile);
    const out = await tempDir('tributary-out-');

    const { report } = await runWeekly(env, 'bad inputs', { spec: specFor(damaged, out), week: SIZE.week });

    expect(report.status).toBe('partial');
    const byName = Object.fromEntries(report.datasets.map((d) => [d.dataset, d]));
    expect(byName[corrupt]?.status).toBe('failed');
    expect(byName[corrupt]?.error).toMatchObject({ stage: 'read', type: 'UnreadableParquet' });
    expect(byName[corrupt]?.error?.message).toContain(path.join(damaged, 'sales', corrupt, 'transactions.parquet'));
    expect(byName[missingColumn]?.error).toMatchObject({ stage: 'read', type: 'SchemaMismatch' });
    expect(byName[missingColumn]?.error?.message).toMatch(
      new RegExp(`Dataset ${missingColumn}, file .*stock\\.parquet.*column "in_stock" missing`),
    );
    expect(byName[corrupt]?.stages.read?.attempts).toBe(1);
    expect(byName[missingColumn]?.stages.read?.attempts).toBe(1);
    for (const region of healthy) expect(byName[region]?.status).toBe('succeeded');

    const written = await filesUnder(out);
    expect(written.filter((f) => f.includes(corrupt) || f.includes(missingColumn))).toEqual([]);
    expect(written.filter((f) => f.includes('.staging') || f.includes('.tmp'))).toEqual([]);
    const snapshot = await expectConsistentSnapshot(out, SIZE.week);
    expect(snapshot.datasets.map((d) => d.dataset)).toEqual([...healthy].sort());
    expect(snapshot.notCommitted.map((n) => [n.dataset, n.status])).toEqual(
      [corrupt, missingColumn].sort().map((d) => [d, 'failed']),
    );
  });

  it('retries a transient failure per the spec, and the report shows the attempts', async () => {
    const out = await tempDir('tributary-out-');
    const flaky = manifest.regions[0]!;
    const seen: number[] = [];
    const faults = (stage: string, dataset: string, attempt: number) => {
      if (stage !== 'compute' || dataset !== flaky) return;
      seen.push(attempt);
      if (attempt <= 2) throw new Error(`simulated transient I/O failure (attempt ${attempt})`);
    };
    const spec = specFor(data, out, {
      stages: { compute: { retry: { maximumAttempts: 4, initialInterval: '200ms', backoffCoefficient: 2 } } },
    });

    const { report } = await runWeekly(env, 'transient failure', { spec, week: SIZE.week }, faults);

    expect(seen).toEqual([1, 2, 3]);
    const summary = report.datasets.find((d) => d.dataset === flaky)!;
    expect(summary.status).toBe('succeeded');
    expect(summary.stages.compute?.attempts).toBe(3);
    for (const other of report.datasets.filter((d) => d.dataset !== flaky))
      expect(other.stages.compute?.attempts).toBe(1);
  });

  it('gives up after the spec’s maximum attempts and reports them', async () => {
    const out = await tempDir('tributary-out-');
    const broken = manifest.regions[1]!;
    const faults = (stage: string, dataset: string) => {
      if (stage === 'compute' && dataset === broken) throw new Error('disk unavailable');
    };
    const spec = specFor(data, out, {
      stages: { compute: { retry: { maximumAttempts: 2, initialInterval: '100ms' } } },
    });

    const { report } = await runWeekly(env, 'exhausted retries', { spec, week: SIZE.week }, faults);

    const summary = report.datasets.find((d) => d.dataset === broken)!;
    expect(summary).toMatchObject({ status: 'failed', error: { stage: 'compute', message: 'disk unavailable' } });
    expect(summary.stages.compute?.attempts).toBe(2);
    expect(report.totals).toMatchObject({ succeeded: 3, failed: 1 });
  });

  it('skips datasets whose inputs did not change, writes nothing for them, and recomputes only a touched one', async () => {
    const own = await copyOfData();
    const out = await tempDir('tributary-out-');
    const spec = specFor(own, out);
    await runWeekly(env, 'incremental first', { spec, week: SIZE.week });
    const first = await expectConsistentSnapshot(out, SIZE.week);
    const outputs = (await filesUnder(out)).filter((f) => f.endsWith('.parquet'));
    const stampsOf = async (files: string[]) =>
      Object.fromEntries(
        await Promise.all(files.map(async (f) => [f, (await stat(path.join(out, f))).mtimeMs] as const)),
      );
    const before = await stampsOf(outputs);

    const unchanged = await runWeekly(env, 'incremental unchanged', { spec, week: SIZE.week });

    expect(unchanged.report.status).toBe('succeeded');
    expect(unchanged.report.datasets.map((d) => d.status)).toEqual(manifest.regions.map(() => 'skipped'));
    for (const d of unchanged.report.datasets) {
      expect(d.note).toContain('unchanged');
      expect(d.stages.compute).toBeUndefined();
      expect(d.outputs.map((o) => o.table).sort()).toEqual([
        'hierarchy_sales',
        'lost_sales_by_category',
        'lost_sales_detail',
      ]);
    }
    // The new snapshot lists the same files, untouched, still credited to the run that computed them.
    const second = await expectConsistentSnapshot(out, SIZE.week);
    expect(second.generation).toBe(first.generation + 1);
    expect(second.datasets).toEqual(first.datasets);
    expect((await filesUnder(out)).filter((f) => f.endsWith('.parquet'))).toEqual(outputs);
    expect(await stampsOf(outputs)).toEqual(before);

    const touched = manifest.regions[2]!;
    const file = path.join(own, 'sales', touched, 'stock.parquet');
    const later = new Date(Date.now() + 5_000);
    await utimes(file, later, later);
    const after = await runWeekly(env, 'incremental touched', { spec, week: SIZE.week });

    expect(after.report.datasets.filter((d) => d.status === 'succeeded').map((d) => d.dataset)).toEqual([touched]);
    expect(after.report.totals).toMatchObject({ succeeded: 1, skipped: manifest.regions.length - 1 });
    const third = await expectConsistentSnapshot(out, SIZE.week);
    const pathsOf = (m: typeof first, region: string) =>
      m.datasets.find((d) => d.dataset === region)!.tables.map((t) => t.path);
    const kept = outputs.filter((f) => !f.includes(`/${touched}/`));
    expect(await stampsOf(kept)).toEqual(Object.fromEntries(kept.map((f) => [f, before[f]])));
    for (const region of manifest.regions) {
      if (region === touched) {
        // New files in the new run's folder; the superseded ones are gone.
        expect(pathsOf(third, region).some((f) => pathsOf(first, region).includes(f))).toBe(false);
        for (const f of pathsOf(first, region)) expect(existsSync(path.join(out, f)), f).toBe(false);
      } else expect(pathsOf(third, region)).toEqual(pathsOf(first, region));
    }
  });

  it('compares each metric total with the previous week and flags large changes', async () => {
    const out = await tempDir('tributary-out-');
    await runWeekly(env, 'week one', { spec: specFor(data, out), week: SIZE.week });
    // The next week, with three times as many stock-outs: lost units jump, total units barely move.
    const nextWeek = '2026-11-23';
    const next = await tempDir('tributary-weekly-next-');
    await generateRetailWeek({ out: next, ...SIZE, week: nextWeek, stockoutRate: 0.45 });

    await runWeekly(env, 'week two', { spec: specFor(next, out), week: nextWeek });

    const report = JSON.parse(await readFile(path.join(out, nextWeek, '_report.json'), 'utf8')) as RunReport;
    expect(report.weekOverWeek?.previousWeek).toBe(SIZE.week);
    const change = (region: string, metric: string) =>
      report.weekOverWeek?.changes.find((c) => c.dataset === region && c.metric === metric);
    for (const region of manifest.regions) {
      const lost = change(region, 'lost_units')!;
      expect(lost.current).toBeCloseTo(report.metricTotals![region]!.lost_units!, 6);
      expect(lost.change).toBeGreaterThan(1);
      expect(lost.flagged).toBe(true);
      expect(change(region, 'units')?.flagged).toBe(false);
    }
    const markdown = await readFile(path.join(out, nextWeek, '_report.md'), 'utf8');
    expect(markdown).toContain(`## Week over week (against ${SIZE.week})`);
    expect(markdown).toMatch(/\| lost_units \| .* \| \+\d+\.\d% ⚠ \|/);
  });

  it('re-running a week commits a new snapshot of new files; nothing is left from the first run', async () => {
    const out = await tempDir('tributary-out-');
    const spec = specFor(data, out);
    const first = await runWeekly(env, 're-run one', { spec, week: SIZE.week });
    const one = await expectConsistentSnapshot(out, SIZE.week);

    const second = await runWeekly(env, 're-run two', { spec, week: SIZE.week, force: true });

    expect(second.report.status).toBe('succeeded');
    const two = await expectConsistentSnapshot(out, SIZE.week);
    expect(two.generation).toBe(one.generation + 1);
    expect(two.run.workflowId).toBe(second.handle.workflowId);
    // Same tables and row counts (not bytes: group-by order may differ), in the second run's folders.
    const tableRows = (m: typeof one) =>
      Object.values(snapshotContent(m)).map((t) => Object.keys(t).map((k) => `${k}:${t[k]![0]}`));
    expect(tableRows(two)).toEqual(tableRows(one));
    const files = (m: typeof one) => m.datasets.flatMap((d) => d.tables.map((t) => t.path));
    expect(files(two).filter((f) => files(one).includes(f))).toEqual([]);
    expect(await filesUnder(out)).toEqual(
      [
        ...files(two),
        path.join(SIZE.week, '_manifests', '0000000002.json'),
        path.join(SIZE.week, '_report.json'),
        path.join(SIZE.week, '_report.md'),
      ].sort(),
    );
    const rows = (r: typeof first.report) =>
      r.datasets.flatMap((d) => d.outputs.map((o) => `${d.dataset}/${o.table}:${o.rows}`)).sort();
    expect(rows(second.report)).toEqual(rows(first.report));
    const report = JSON.parse(await readFile(path.join(out, SIZE.week, '_report.json'), 'utf8')) as {
      workflowId: string;
    };
    expect(report.workflowId).toBe(second.handle.workflowId);
  });
});
