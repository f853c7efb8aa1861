/**
 * The compute activity on its own (MockActivityEnvironment, real polars and parquet): its heartbeats
 * carry the tables staged so far, and a retry resumes from them instead of recomputing.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeMetrics, type ComputeInput, type ComputeProgress } from '../activities/compute';
import { datasetRefs, generateRetailWeek, referenceRefs } from '../datagen';
import { lostSalesMetric } from '../metrics/lostSales';
import { lazyTables } from '../metrics/metric';
import { tempDir } from './helpers/parquet';

const WEEK = '2026-11-16';
let input: ComputeInput;
const loadReference = (file: string) => pl.scanParquet(file).collect();
type Computed = Awaited<ReturnType<typeof computeMetrics>>;
/** Runs compute as the given attempt, with the heartbeat details a previous attempt left. */
function attempt(n: number, heartbeatDetails: unknown, run: () => Promise<Computed>): Promise<Computed> {
  return new MockActivityEnvironment({ attempt: n, heartbeatDetails }).run(run) as Promise<Computed>;
}

beforeAll(async () => {
  const data = await tempDir('tributary-compute-');
  const manifest = await generateRetailWeek({
    out: data,
    regions: 1,
    stores: 5,
    products: 60,
    days: 7,
    seed: 9,
    week: WEEK,
    substitutionShare: 0.6,
    stockoutRate: 0.2,
  });
  const out = await tempDir('tributary-compute-out-');
  input = {
    dataset: datasetRefs(data, manifest)[0]!,
    reference: referenceRefs(data, manifest),
    week: WEEK,
    metrics: ['hierarchySales', 'lostSalesToSubstitutes'],
    output: { root: out, path: '{week}/{dataset}/{table}.parquet' },
    stagingDir: path.join(out, '.staging', 'north-run1'),
  };
});

describe('computeMetrics', () => {
  it('reports each staged table as progress, and a retry resumes from the last report', async () => {
    const updates: ComputeProgress[] = [];
    const first = await attempt(1, undefined, () =>
      computeMetrics(input, loadReference, (u) => updates.push(u as unknown as ComputeProgress)),
    );
    expect(first.tables.map((t) => t.table)).toEqual([
      'hierarchy_sales',
      'lost_sales_detail',
      'lost_sales_by_category',
    ]);
    expect(updates.map((u) => u.staged.length)).toEqual([1, 2, 3]);

    // Attempt 1 "died" after staging two tables: its last heartbeat said so.
    const inode = async (file: string) => (await stat(file)).ino;
    const before = await Promise.all(first.tables.slice(0, 2).map((t) => inode(t.staging)));
    const second = await attempt(2, updates[1], () => computeMetrics(input, loadReference));

    expect(second.tables.map((t) => t.table)).toEqual([
      'hierarchy_sales',
      'lost_sales_detail',
      'lost_sales_by_category',
    ]);
    for (const t of second.tables) expect(path.dirname(t.staging)).toBe(path.join(input.stagingDir, 'attempt-2'));
    // The two resumed tables are the very files attempt 1 wrote (moved, not recomputed) ...
    expect(await Promise.all(second.tables.slice(0, 2).map((t) => inode(t.staging)))).toEqual(before);
    // ... and their rows are what attempt 1 counted; the third was computed by attempt 2.
    expect(second.tables.map((t) => t.rows)).toEqual(first.tables.map((t) => t.rows));
    expect(pl.readParquet(second.tables[2]!.staging).height).toBe(first.tables[2]!.rows);
  });

  it('derives a roll-up from its source table as staged, so the source plan runs once', async () => {
    const stagingDir = path.join(input.output.root, '.staging', 'north-run3');
    const updates: ComputeProgress[] = [];
    const first = await attempt(1, undefined, () =>
      computeMetrics({ ...input, stagingDir }, loadReference, (u) => updates.push(u as unknown as ComputeProgress)),
    );
    const sum = (file: string, column: string) => Number(pl.readParquet(file).getColumn(column).sum());
    const [, detail, byCategory] = first.tables;
    // The roll-up is the one its plan over the inputs gives (float summation noise aside) ...
    const direct = await lazyTables(
      lostSalesMetric.compute({
        transactions: pl.scanParquet(input.dataset.files.transactions),
        stock: pl.scanParquet(input.dataset.files.stock),
        products: pl.scanParquet(input.reference.products),
        substitutes: pl.scanParquet(input.reference.substitutes),
      }),
    ).lost_sales_by_category.collect();
    expect(sum(byCategory!.staging, 'lost_units')).toBeCloseTo(Number(direct.getColumn('lost_units').sum()), 6);
    expect(sum(byCategory!.staging, 'lost_units')).toBeCloseTo(sum(detail!.staging, 'lost_units'), 6);

    // ... and it is read from the staged detail: attempt 1 died with the detail staged, someone doubled
    // its lost units, and attempt 2's roll-up has the doubled figure, not a recomputed one.
    const staged = pl.readParquet(detail!.staging);
    staged.withColumns(pl.col('lost_units').mul(2)).writeParquet(detail!.staging);
    const second = await attempt(2, updates[1], () => computeMetrics({ ...input, stagingDir }, loadReference));
    expect(second.tables.map((t) => t.table)).toEqual(first.tables.map((t) => t.table));
    expect(sum(second.tables[2]!.staging, 'lost_units')).toBeCloseTo(2 * sum(byCategory!.staging, 'lost_units'), 6);
  });

  it('recomputes a table whose staged file is gone', async () => {
    const stagingDir = path.join(input.output.root, '.staging', 'north-run2');
    const claimed: ComputeProgress = {
      staged: [
        {
          table: 'hierarchy_sales',
          staging: path.join(stagingDir, 'attempt-1', 'hierarchy_sales.parquet'),
          final: '/nowhere',
          rows: 999,
        },
      ],
    };
    const result = await attempt(2, claimed, () => computeMetrics({ ...input, stagingDir }, loadReference));
    const table = result.tables.find((t) => t.table === 'hierarchy_sales')!;
    expect(table.rows).not.toBe(999);
    expect(pl.readParquet(table.staging).height).toBe(table.rows);
  });
});
