/**
 * The data-quality rules of the read stage (spec `quality`): what each measures, in expressions the
 * read's one lazy pass over a file adds to its own, and what a broken rule does: fail the dataset
 * (non-retryable, typed), or succeed it with a warning carried in its summary, or nothing at all.
 * Each message names the dataset, the file, the columns and what to do.
 */
import { ApplicationFailure } from '@temporalio/activity';
import pl from 'nodejs-polars';
import type { DatasetWarning } from '../common/types';
import { type InputName, keyOf } from '../metrics/schemas';
import { DEFAULTS } from '../pipeline/schema';
import type { QualityRule, QualityRules } from '../pipeline/types';
import { builtOnce } from './builtOnce';

/** The failure type of each rule when its outcome is `fail`. */
export const FAILURE_TYPES: Record<QualityRule, string> = {
  duplicateKeys: 'DuplicateKeys',
  negativeValues: 'NegativeValues',
  emptyWeek: 'NoRowsInWeek',
  emptyInput: 'EmptyInput',
};

/** The rules of a run; runs started before the spec had a `quality` section get the defaults. */
export const rulesOf = (given: Partial<QualityRules> | undefined): QualityRules => ({ ...DEFAULTS.quality, ...given });

/** Applies a broken rule's outcome: throws for `fail`, returns the warning for `warn`. */
export function broken(rules: QualityRules, rule: QualityRule, message: string): DatasetWarning[] {
  const outcome = rules[rule];
  if (outcome === 'fail') throw ApplicationFailure.nonRetryable(message, FAILURE_TYPES[rule]);
  return outcome === 'warn' ? [{ rule, message }] : [];
}

/** Columns whose week's values must not be negative: the figures the metrics sum. */
export const NON_NEGATIVE: Partial<Record<InputName, readonly string[]>> = { transactions: ['units', 'revenue'] };

/** A key column as a whole number: a date as its day number (a free reinterpretation in polars). */
const asInteger = (column: string) => (column === 'date' ? pl.col(column).cast(pl.Int32) : pl.col(column));
const low = (c: string) => `__key_min_${c}`;
const high = (c: string) => `__key_max_${c}`;

/**
 * The smallest and largest value of each key column over the whole file, for the pass that reads
 * it anyway: they let the duplicate check pack the key into one number. (Bounds of the file hold
 * for the week's rows too; filtering each expression by the week would cost more than it saves.)
 */
export function keyBounds(key: readonly string[]): pl.Expr[] {
  return key.flatMap((c) => [asInteger(c).min().alias(low(c)), asInteger(c).max().alias(high(c))]);
}

const DISTINCT = '__distinct';
const COPIES = '__copies';

/** Packed keys stay exact below this (Float64 and Int64 alike). */
const PACKABLE = 2 ** 53;

/**
 * The number of distinct keys, each packed into one Int64 (mixed radix over each column's range),
 * or undefined when the ranges are unknown or too wide. Counting distinct packed numbers is an order of magnitude
 * faster in polars than hashing a struct of the columns.
 */
function packedKey(key: readonly string[], bounds: Record<string, unknown>): pl.Expr | undefined {
  const ranges: [string, number, number][] = [];
  let span = 1;
  for (const c of key) {
    const [min, max] = [Number(bounds[low(c)]), Number(bounds[high(c)])];
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max)) return undefined;
    span *= max - min + 1;
    if (span > PACKABLE) return undefined;
    ranges.push([c, min, max]);
  }
  return builtOnce(`packedKey ${JSON.stringify(ranges)}`, () => {
    let packed: pl.Expr | undefined;
    for (const [c, min, max] of ranges) {
      const digit = asInteger(c).cast(pl.Int64).sub(pl.lit(min).cast(pl.Int64));
      packed = packed === undefined ? digit : packed.mul(pl.lit(max - min + 1).cast(pl.Int64)).add(digit);
    }
    return packed?.nUnique().alias(DISTINCT);
  });
}

export interface Duplicates {
  /** Rows whose key appears more than once, every copy counted (as polars' isDuplicated does). */
  rows: number;
  /** The smallest such key, as `column=value` pairs, and how many rows hold it. */
  sample: string;
}

/**
 * The duplicated keys of `lf` (already restricted to the rows checked), given its row count and
 * the key bounds measured in the main pass: one small pass over the key columns counts distinct
 * keys; only when some key repeats does a group-by find the exact count and a sample.
 */
export async function findDuplicates(
  lf: pl.LazyDataFrame,
  key: readonly string[],
  rows: number,
  bounds: Record<string, unknown>,
): Promise<Duplicates | undefined> {
  if (rows < 2) return undefined;
  const distinctKeys = packedKey(key, bounds);
  if (distinctKeys) {
    const distinct = Number((await lf.select(distinctKeys).collect()).toRecords()[0]?.[DISTINCT]);
    if (distinct === rows) return undefined;
  }
  const repeated = await lf
    .groupBy([...key])
    .agg(pl.len().alias(COPIES))
    .filter(pl.col(COPIES).gt(1))
    .sort([...key])
    .select(...key.map((c) => pl.col(c).cast(pl.Utf8)), COPIES)
    .collect();
  if (repeated.height === 0) return undefined;
  const first = repeated.head(1).toRecords()[0]!;
  return {
    rows: Number(repeated.getColumn(COPIES).sum()),
    sample: `${key.map((c) => `${c}=${String(first[c])}`).join(', ')} (${Number(first[COPIES])} rows)`,
  };
}

export function duplicateKeysMessage(at: string, input: InputName, found: Duplicates, week?: string): string {
  const key = keyOf(input);
  const columns = key.length === 1 ? `column "${key[0]}" has` : `columns (${key.join(', ')}) have`;
  return (
    `${at}: ${columns} ${found.rows} rows with duplicate keys${week ? ` in the week of ${week}` : ''}, ` +
    `e.g. ${found.sample}; ` +
    'each key must appear once, or the metrics count its row more than once'
  );
}

export interface Negatives {
  column: string;
  rows: number;
  smallest: number;
}

/**
 * What the rules look at in one file, whichever way it was read (a polars scan, or in memory for
 * a small file): counts over the whole file, and the two checks that only run when the week has
 * rows, for the key and the non-negative columns the rules in force name.
 */
export interface Measures {
  rows: number;
  weekRows: number;
  /** The first and last day (day numbers) of the whole file; 0 when it has no rows. */
  firstDay: number;
  lastDay: number;
  /** Nulls per non-nullable column, over the whole file. */
  nulls: Record<string, number>;
  /** The week's duplicated keys. */
  duplicates(): Promise<Duplicates | undefined>;
  /** The week's negative values, per column that has some. */
  negatives(): Promise<Negatives[]>;
}

/**
 * Negative values per column of `lf` (the week's rows): a second pass, only for the columns whose
 * minimum over the whole file is negative.
 */
export async function negativesInWeek(lf: pl.LazyDataFrame, columns: readonly string[]): Promise<Negatives[]> {
  const measured = builtOnce(`negatives ${columns.join(',')}`, () =>
    columns.flatMap((c) => [
      pl.col(c).lt(0).cast(pl.UInt32).sum().alias(`${c}_rows`),
      pl.col(c).min().alias(`${c}_min`),
    ]),
  );
  const counted = await lf.select(...measured).collect();
  const row = counted.toRecords()[0] ?? {};
  return columns
    .map((c) => ({ column: c, rows: Number(row[`${c}_rows`] ?? 0), smallest: Number(row[`${c}_min`] ?? 0) }))
    .filter((n) => n.rows > 0);
}

export function negativeValuesMessage(at: string, week: string, found: Negatives[]): string {
  const list = found.map((f) => {
    const rows = `${f.rows} negative ${f.rows === 1 ? 'row' : 'rows'}`;
    return `column "${f.column}" has ${rows} in the week of ${week} (smallest ${f.smallest})`;
  });
  return (
    `${at}: ${list.join('; ')}; the metrics would subtract them from the week's sales. ` +
    'Net returns and corrections out before loading, or set quality.negativeValues to "warn" or "ignore"'
  );
}

const DAY_MS = 86_400_000;
/** A day number (days since 1970-01-01) as YYYY-MM-DD, as polars writes a Date. */
export const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** The day number of a week's Monday (`week` is YYYY-MM-DD). */
export const firstDayOf = (week: string) => Math.round(Date.parse(`${week}T00:00:00Z`) / DAY_MS);
/** Monday of the week holding `day` (days since 1970-01-01, a Thursday). */
const mondayOf = (day: number) => day - ((day + 3) % 7);

/** A file with rows, none in the week: most often the wrong week asked for, so say which dates it holds. */
export function emptyWeekMessage(at: string, week: string, rows: number, firstDay: number, lastDay: number): string {
  const start = firstDayOf(week);
  const suggestion = mondayOf(lastDay);
  const run = mondayOf(firstDay) === suggestion ? 'Run that week with' : 'Run a week it holds, e.g. with';
  return (
    `${at}: none of its ${rows} rows is in the week of ${week} (${isoDay(start)} to ${isoDay(start + 6)}); ` +
    `it holds dates ${isoDay(firstDay)} to ${isoDay(lastDay)}. ` +
    `${run} --week ${isoDay(suggestion)} (or "week" in the spec), or check the export`
  );
}

export function emptyInputMessage(at: string, input: InputName): string {
  const what = input === 'transactions' ? 'sales' : input === 'stock' ? 'stock levels' : `${input} rows`;
  return `${at} has no rows: the metrics of this dataset see no ${what} this week`;
}
