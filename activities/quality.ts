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
import { DEFAULTS } from '../spec/schema';
import type { QualityRule, QualityRules } from '../spec/types';

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

/** Rows (of those `within` selects) whose key appears more than once; every copy is counted, as polars' isDuplicated does. */
export function duplicatedRows(key: readonly string[], within?: pl.Expr): pl.Expr {
  const keys = pl.struct(key.map((c) => pl.col(c)));
  return (within ? keys.filter(within) : keys).isDuplicated().cast(pl.UInt32).sum();
}

const SAMPLE_ROWS = '__rows';

/**
 * The smallest duplicated key of a frame (a second, small pass, only when the main one found
 * duplicates), as `col=value` pairs, and how many rows hold it.
 */
export async function duplicateSample(lf: pl.LazyDataFrame, key: readonly string[]): Promise<string> {
  const rows = await lf
    .groupBy([...key])
    .agg(pl.len().alias(SAMPLE_ROWS))
    .filter(pl.col(SAMPLE_ROWS).gt(1))
    .sort([...key])
    .head(1)
    .select(...key.map((c) => pl.col(c).cast(pl.Utf8)), SAMPLE_ROWS)
    .collect();
  const sample = rows.toRecords()[0];
  if (!sample) return 'no sample found';
  return `${key.map((c) => `${c}=${String(sample[c])}`).join(', ')} (${Number(sample[SAMPLE_ROWS])} rows)`;
}

export function duplicateKeysMessage(at: string, input: InputName, count: number, sample: string, week?: string): string {
  const key = keyOf(input);
  const columns = key.length === 1 ? `column "${key[0]}" has` : `columns (${key.join(', ')}) have`;
  return (
    `${at}: ${columns} ${count} rows with duplicate keys${week ? ` in the week of ${week}` : ''}, e.g. ${sample}; ` +
    'each key must appear once, or the metrics count its row more than once'
  );
}

export function negativeValuesMessage(at: string, week: string, found: { column: string; rows: number; smallest: number }[]): string {
  const list = found.map((f) => `column "${f.column}" has ${f.rows} negative ${f.rows === 1 ? 'row' : 'rows'} in the week of ${week} (smallest ${f.smallest})`);
  return (
    `${at}: ${list.join('; ')}; the metrics would subtract them from the week's sales. ` +
    'Net returns and corrections out before loading, or set quality.negativeValues to "warn" or "ignore"'
  );
}

const DAY_MS = 86_400_000;
const isoDay = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10);
/** Monday of the week holding `day` (days since 1970-01-01, a Thursday). */
const mondayOf = (day: number) => day - ((day + 3) % 7);

/** A file with rows, none in the week: most often the wrong week asked for, so say which dates it holds. */
export function emptyWeekMessage(at: string, week: string, rows: number, firstDay: number, lastDay: number): string {
  const start = Math.round(Date.parse(`${week}T00:00:00Z`) / DAY_MS);
  const suggestion = mondayOf(lastDay);
  const run = mondayOf(firstDay) === suggestion ? 'Run that week with' : 'Run a week it holds, e.g. with';
  return (
    `${at}: none of its ${rows} rows is in the week of ${week} (${isoDay(start)} to ${isoDay(start + 6)}); ` +
    `it holds dates ${isoDay(firstDay)} to ${isoDay(lastDay)}. ${run} --week ${isoDay(suggestion)} (or "week" in the spec), or check the export`
  );
}

export function emptyInputMessage(at: string, input: InputName): string {
  const what = input === 'transactions' ? 'sales' : input === 'stock' ? 'stock levels' : `${input} rows`;
  return `${at} has no rows: the metrics of this dataset see no ${what} this week`;
}
