/**
 * Big datasets computed store by store (activities/storeShards.ts): each table a metric declares
 * disjoint over store shards, computed per shard and stacked, must be exactly the table computed
 * whole, for every registered metric.
 */
import path from 'node:path';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import { shardedPlans, shardsForRows, ROWS_PER_SHARD } from '../activities/storeShards';
import { datasetRefs, generateRetailWeek, referenceRefs } from '../datagen';
import { METRIC_NAMES, metricOf, type MetricInputs } from '../metrics';
import { isDerived, lazyTables } from '../metrics/metric';
import { tempDir } from './helpers/parquet';

let inputs: MetricInputs;
const rounded = (v: unknown) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v);
const rows = (df: pl.DataFrame) =>
  df.toRecords().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, rounded(v)])));

beforeAll(async () => {
  const data = await tempDir('tributary-shards-');
  const manifest = await generateRetailWeek({
    out: data,
    regions: 1,
    stores: 7,
    products: 50,
    days: 7,
    seed: 21,
    week: '2026-11-16',
    substitutionShare: 0.6,
    stockoutRate: 0.3,
  });
  const [dataset] = datasetRefs(data, manifest);
  const reference = referenceRefs(data, manifest);
  inputs = {
    transactions: pl.scanParquet(dataset!.files.transactions),
    stock: pl.scanParquet(dataset!.files.stock),
    products: pl.scanParquet(reference.products),
    substitutes: pl.scanParquet(path.resolve(reference.substitutes)),
  };
});

describe('store shards', () => {
  it.each(METRIC_NAMES)('%s: its tables over 3 store shards are the tables computed whole', async (name) => {
    const metric = metricOf(name);
    const whole = lazyTables(metric.compute(inputs));
    const sharded = await shardedPlans(metric, inputs, 3);
    const stacked = lazyTables(sharded);
    expect(Object.keys(stacked)).toEqual(Object.keys(whole));
    for (const table of Object.keys(whole)) {
      const [a, b] = await Promise.all([whole[table]!.collect(), stacked[table]!.collect()]);
      expect(a.height, table).toBeGreaterThan(0);
      expect(b.columns, table).toEqual(a.columns);
      expect(b.dtypes.map(String), table).toEqual(a.dtypes.map(String));
      expect(rows(b), table).toEqual(rows(a));
    }
    // Tables declared disjoint over stores are computed per shard; the others whole.
    for (const table of Object.keys(metric.tables)) {
      const plan = sharded[table]!;
      if (isDerived(plan)) continue;
      const perShard = plan.describePlan().includes('% 3');
      expect([table, perShard]).toEqual([table, metric.tables[table]!.merge.rows === 'disjoint']);
    }
  });

  it('takes one shard per 1.5 million stock rows from twice that, at most 32', () => {
    expect(shardsForRows(0)).toBe(1);
    expect(shardsForRows(2 * ROWS_PER_SHARD - 1)).toBe(1);
    expect(shardsForRows(2 * ROWS_PER_SHARD)).toBe(2);
    expect(shardsForRows(10_500_000)).toBe(7);
    expect(shardsForRows(1e12)).toBe(32);
  });
});
