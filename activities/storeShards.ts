/**
 * Big datasets computed store by store. Polars' joins and group-bys on (date, store, product) grow
 * faster than the rows: one 10.5-million-row stock table took 13.5 s of CPU for the lost-sales
 * detail, the same rows in 8 store shards 8.5 s (each shard's hash tables stay small). A table a
 * metric declares `disjoint` over store shards (metrics/metric.ts: every row belongs to one store,
 * computed from that store's rows only) is therefore computed per shard and the shards stacked, in
 * the table's key order: the same rows and values as computed whole. Other tables (those that
 * combine across stores, and roll-ups derived from a table) are computed whole.
 */
import pl from 'nodejs-polars';
import type { Metric, MetricInputs } from '../metrics';
import { DATASET_INPUTS, isDerived, type MetricInput, type TablePlan } from '../metrics/metric';
import { storedFooter } from './parquetFooter';

/** Stock rows per shard: about a default sample region, where polars' cost is in line with DuckDB's. */
export const ROWS_PER_SHARD = 1_500_000;
const MAX_SHARDS = 32;

/** Store shards for a stock table of `rows` rows: 1 below 2 × ROWS_PER_SHARD, then one per ROWS_PER_SHARD, at most MAX_SHARDS. */
export function shardsForRows(rows: number): number {
  return Math.min(MAX_SHARDS, Math.max(1, Math.floor(rows / ROWS_PER_SHARD)));
}

/** How many store shards a dataset's compute takes, from its stock file's footer (1 when it cannot tell). */
export async function storeShardsFor(stockFile: string): Promise<number> {
  const meta = await storedFooter(stockFile);
  return shardsForRows(meta ? Number(meta.num_rows) : 0);
}

/**
 * The dataset inputs restricted to the stores of shard `k` of `n`: |store_id mod n| = k, whatever
 * the sign convention of mod for negative ids, so every row is in exactly one shard (a null store,
 * refused by the read stage anyway, in shard 0); reference inputs as they are.
 */
function shardOf(inputs: MetricInputs, k: number, n: number): MetricInputs {
  const store = pl.col('store_id');
  const inShard = store.modulo(n).abs().eq(k);
  const mine = k === 0 ? inShard.or(store.isNull()) : inShard;
  return Object.fromEntries(
    Object.entries(inputs).map(([name, frame]) => [
      name,
      DATASET_INPUTS[name as MetricInput] ? frame.filter(mine) : frame,
    ]),
  ) as MetricInputs;
}

/**
 * A metric's table plans over `n` store shards (n = 1: its plans as they are). Building a plan is
 * main-thread work (tens of milliseconds per shard): the event loop gets a turn between shards, so
 * heartbeats still go out.
 */
export async function shardedPlans(
  metric: Metric,
  inputs: MetricInputs,
  n: number,
): Promise<Record<string, TablePlan>> {
  const whole = metric.compute(inputs);
  if (n <= 1) return whole;
  const disjoint = Object.keys(whole).filter((t) => {
    const plan = whole[t]!;
    return !isDerived(plan) && metric.tables[t]?.merge.rows === 'disjoint';
  });
  if (disjoint.length === 0) return whole;
  const shards: Record<string, TablePlan>[] = [];
  for (let k = 0; k < n; k++) {
    await new Promise((resolve) => setImmediate(resolve));
    shards.push(metric.compute(shardOf(inputs, k, n)));
  }
  const stacked: Record<string, TablePlan> = {};
  for (const t of disjoint) {
    const parts = shards.map((s) => s[t] as pl.LazyDataFrame);
    stacked[t] = pl.concat(parts, { how: 'vertical' }).sort([...metric.tables[t]!.key]);
  }
  return { ...whole, ...stacked };
}
