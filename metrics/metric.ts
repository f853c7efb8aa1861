/**
 * What a metric declares, so that every part of the pipeline can handle any metric without naming
 * one: the inputs it reads, the tables it writes and their keys, how a batch of datasets is computed
 * in one plan, how the report reads its totals, and how store shards of a dataset would merge.
 * Each metric fills this in in its own file; metrics/index.ts lists them.
 */
import type pl from 'nodejs-polars';
import type { DatasetRef, ReferenceRef } from '../common/types';

/** Inputs of one dataset (a file each in its folder) and the shared reference data. */
export type DatasetInput = keyof DatasetRef['files'];
export type ReferenceInput = keyof ReferenceRef;
export type MetricInput = DatasetInput | ReferenceInput;
export type MetricInputs = Record<MetricInput, pl.LazyDataFrame>;

/** Which inputs come from the dataset's own files (and so carry a batch's keys); the rest are reference. */
export const DATASET_INPUTS: Record<MetricInput, boolean> = {
  transactions: true,
  stock: true,
  products: false,
  substitutes: false,
};

/**
 * A table's headline totals in the run report (compared week over week): sums of columns over its
 * rows, or over the rows whose `where.column` equals `where.equals`. Names are unique across metrics.
 */
export interface TableTotals {
  where?: { column: string; equals: string };
  /** Total name to the column it sums. */
  sums: Readonly<Record<string, string>>;
  /** Totals that are ratios of two of the sums above: name to [numerator, denominator] (null-free: 0/0 is 0). */
  ratios?: Readonly<Record<string, readonly [string, string]>>;
}

/**
 * How a table computed on separate store shards of one dataset becomes that dataset's table.
 * Declared for the shards to come: nothing merges yet. `disjoint`: the key holds the shard key, so
 * shards never share a row and the merge is a concatenation. `combine`: rows with the same key are
 * combined, each non-key column as declared below.
 */
export type MergeRule =
  | { shardKey: 'store_id'; rows: 'disjoint' }
  | {
      shardKey: 'store_id';
      rows: 'combine';
      /** Summed across shards. */
      additive: readonly string[];
      /** Counts of distinct values, column to what it counts: the shards' sets are united, then counted. */
      distinct?: Readonly<Record<string, string>>;
      /** Recomputed after the sums: column to [numerator, denominator]. */
      ratios?: Readonly<Record<string, readonly [string, string]>>;
    };

export interface OutputTable {
  /** Columns that identify one row of a dataset's table. */
  key: readonly string[];
  totals?: TableTotals;
  merge: MergeRule;
}

export interface Metric<N extends string = string, T extends string = string, I extends MetricInput = MetricInput> {
  /** The name a pipeline spec lists under `metrics`. */
  name: N;
  /** What it measures, in a few words, for the run page. */
  title: string;
  /** The inputs it reads: only these are loaded for it. */
  inputs: readonly I[];
  tables: Readonly<Record<T, OutputTable>>;
  /**
   * The tables, lazy. How it batches: `keys` are extra columns every dataset input carries (a batch
   * tags each row with the dataset it came from; reference inputs never carry them). Each table
   * groups and joins within them and keeps them as its first columns, so one plan computes a whole
   * batch and splitting it on the keys gives each dataset exactly the table it gets alone. Absent:
   * one dataset. A table that rolls up another one of the same metric is given as `derived` from it:
   * its source's plan then runs once, and the roll-up reads the source's result.
   */
  compute: (inputs: Pick<MetricInputs, I>, keys?: readonly string[]) => Record<T, TablePlan<NoInfer<T>>>;
}

/**
 * A table computed from another table of its metric (a roll-up of a detail), not from the inputs:
 * the compute stage runs the source's plan once, writes it, and derives this table from that result.
 * Written as its own plan over the inputs, a roll-up of the detail would compute the whole detail again.
 */
export interface DerivedTable<T extends string = string> {
  from: T;
  derive: (source: pl.LazyDataFrame) => pl.LazyDataFrame;
}

export type TablePlan<T extends string = string> = pl.LazyDataFrame | DerivedTable<T>;

export function derived<T extends string>(from: T, derive: (source: pl.LazyDataFrame) => pl.LazyDataFrame) {
  return { from, derive } satisfies DerivedTable<T>;
}

export const isDerived = (plan: TablePlan): plan is DerivedTable => 'derive' in plan;

/**
 * The order to compute a metric's tables in: every source before the tables derived from it (the
 * declaration order otherwise). A table derived from a table that is not a plan of its own is a bug.
 */
export function computeOrder<T extends string>(plans: Record<T, TablePlan<T>>): T[] {
  const names = Object.keys(plans) as T[];
  for (const name of names) {
    const plan = plans[name];
    if (isDerived(plan) && (!(plan.from in plans) || isDerived(plans[plan.from])))
      throw new Error(`Table ${name} is derived from ${plan.from}, which is not a table computed from the inputs`);
  }
  return [...names.filter((n) => !isDerived(plans[n])), ...names.filter((n) => isDerived(plans[n]))];
}

/**
 * Every table as one lazy plan over the inputs, a derived table over its source's plan: for reading
 * a metric's tables directly (tests, tools). The compute stage runs each source once instead.
 */
export function lazyTables<T extends string>(plans: Record<T, TablePlan<T>>): Record<T, pl.LazyDataFrame> {
  computeOrder(plans);
  const lazy = (plan: TablePlan<T>): pl.LazyDataFrame =>
    isDerived(plan) ? plan.derive(plans[plan.from] as pl.LazyDataFrame) : plan;
  return Object.fromEntries(Object.entries<TablePlan<T>>(plans).map(([name, plan]) => [name, lazy(plan)])) as Record<
    T,
    pl.LazyDataFrame
  >;
}

/** A metric, with its name and table names kept as literal types for the registry. */
export function defineMetric<const N extends string, T extends string, I extends MetricInput>(metric: Metric<N, T, I>) {
  return metric;
}
