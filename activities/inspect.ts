/**
 * The read stage's checks of one input file: its schema, then nulls, the week's rows and the
 * quality rules. A small file (the usual dataset of a many-small-datasets run) is read once into
 * memory and measured in plain JS (smallFile.ts): building polars expressions and plans costs
 * milliseconds each whatever the data size, more than such a file's whole check. A bigger file is
 * scanned lazily by polars, with expressions built once per week, input and rules (builtOnce.ts).
 * One function turns either path's measures into failures and warnings, so a file gets the same
 * messages whichever way it was read. Problems are non-retryable and name dataset, file and column.
 */
import { ApplicationFailure } from '@temporalio/activity';
import pl from 'nodejs-polars';
import type { DatasetWarning } from '../common/types';
import {
  type ColumnProblem,
  INPUT_SCHEMAS,
  type InputName,
  keyOf,
  nonNullableColumns,
  nullProblems,
  schemaProblems,
} from '../metrics/schemas';
import type { QualityRules } from '../pipeline/types';
import { builtOnce } from './builtOnce';
import { assertReadable, fileSchema, inWeek, scanStored, schemaOf, unreadable } from './parquet';
import { footerNullCounts } from './parquetFooter';
import {
  broken,
  duplicateKeysMessage,
  emptyInputMessage,
  emptyWeekMessage,
  findDuplicates,
  keyBounds,
  type Measures,
  negativesInWeek,
  negativeValuesMessage,
  NON_NEGATIVE,
} from './quality';
import { measureInMemory, readSmallFile } from './smallFile';

export function columnFailure(where: string, file: string, input: InputName, problems: ColumnProblem[], type: string) {
  const list = problems.map((p) => `column "${p.column}" ${p.problem}`).join('; ');
  return ApplicationFailure.nonRetryable(`${where}, file ${file} (${input}): ${list}`, type);
}

/** Prefixes a file-level failure with its dataset: the report lists many datasets' errors side by side. */
export function inDataset(where: string, err: unknown): unknown {
  if (!(err instanceof ApplicationFailure) || err.message.startsWith(where)) return err;
  const [message, type, nonRetryable] = [`${where}: ${err.message}`, err.type ?? undefined, err.nonRetryable === true];
  return ApplicationFailure.create({ message, type, nonRetryable, cause: err.cause });
}

/** Fails with NullValues when a column that forbids nulls has some. */
export function checkNulls(nullCounts: Record<string, number>, file: string, input: InputName, where: string): void {
  const problems = nullProblems(nullCounts, INPUT_SCHEMAS[input]);
  if (problems.length > 0) throw columnFailure(where, file, input, problems, 'NullValues');
}

/** An input file whose schema is checked, with its rows when it is small enough to hold. */
export interface OpenedInput {
  file: string;
  input: InputName;
  frame?: pl.DataFrame;
}

/** `auto`: in memory when the file is small; `memory` and `scan` force a way (for tests and benchmarks). */
export type Reading = 'auto' | 'memory' | 'scan';

/**
 * Fails with FileNotFound when the file is missing, UnreadableParquet when polars cannot read its
 * metadata, SchemaMismatch when it lacks a declared column or has one of the wrong type.
 */
export async function openInput(
  file: string,
  input: InputName,
  where: string,
  reading: Reading = 'auto',
): Promise<OpenedInput> {
  const { size } = await assertReadable(file, `${where}, ${input} file`);
  const frame = reading === 'scan' ? undefined : await readSmallFile(file, reading === 'memory', size);
  const failed = (err: unknown) => Promise.reject(inDataset(where, err));
  const schema = frame ? schemaOf(frame) : await fileSchema(file).catch(failed);
  const problems = schemaProblems(schema, INPUT_SCHEMAS[input]);
  if (problems.length > 0) throw columnFailure(where, file, input, problems, 'SchemaMismatch');
  return frame ? { file, input, frame } : { file, input };
}

const WEEK_ROWS = '__week_rows';
const ALL_ROWS = '__rows';
const FIRST_DAY = '__first_day';
const LAST_DAY = '__last_day';
const smallest = (c: string) => `__smallest_${c}`;

interface ScanExpressions {
  /** The one pass over the whole file. */
  pass: pl.Expr[];
  inWeek: pl.Expr;
  key: pl.Expr[];
}

/** The scan's expressions for a week, an input's key and non-negative columns, and the columns to count nulls of. */
function scanExpressions(
  week: string,
  key: readonly string[],
  positive: readonly string[],
  nullsOf: string[],
): ScanExpressions {
  return builtOnce(`inspect ${JSON.stringify([week, key, positive, nullsOf])}`, () => {
    const inThisWeek = inWeek(week);
    const day = pl.col('date').cast(pl.Int32);
    const pass = [
      inThisWeek.cast(pl.UInt32).sum().alias(WEEK_ROWS),
      pl.len().alias(ALL_ROWS),
      day.min().alias(FIRST_DAY),
      day.max().alias(LAST_DAY),
      ...keyBounds(key),
      // The smallest value of the whole file: when it is not negative, no row of the week is.
      ...positive.map((c) => pl.col(c).min().alias(smallest(c))),
      ...nullsOf.map((c) => pl.col(c).nullCount().alias(c)),
    ];
    return { pass, inWeek: inThisWeek, key: key.map((c) => pl.col(c)) };
  });
}

/**
 * The measures of a file in one lazy pass. Nulls are counted over the whole file: a null date
 * belongs to no week, so a week filter would hide it. Null counts the file's footer statistics
 * already hold are taken from there. Negative values, the date range and the key columns' bounds
 * are measured in the same pass; duplicate keys take one small extra pass over the week's key
 * columns (see findDuplicates), negative values one over the week's rows when the file has any.
 */
async function scanMeasures(
  file: string,
  input: InputName,
  where: string,
  week: string,
  key: readonly string[],
  positive: readonly string[],
): Promise<Measures> {
  const columns = nonNullableColumns(INPUT_SCHEMAS[input]);
  const known = (await footerNullCounts(file)) ?? new Map<string, number>();
  const nulls: Record<string, number> = {};
  for (const c of columns) if (known.has(c)) nulls[c] = known.get(c)!;
  const nullsOf = columns.filter((c) => !known.has(c));
  const expressions = scanExpressions(week, key, positive, nullsOf);
  const lf = () => scanStored(file);
  const failedRead = (err: unknown) => Promise.reject(inDataset(where, unreadable(file, err)));
  let row: Record<string, unknown>;
  try {
    row =
      (
        await lf()
          .select(...expressions.pass)
          .collect()
      ).toRecords()[0] ?? {};
  } catch (err) {
    throw inDataset(where, unreadable(file, err));
  }
  const count = (name: string) => Number(row[name] ?? 0);
  for (const c of nullsOf) nulls[c] = count(c);
  const [rows, weekRows] = [count(ALL_ROWS), count(WEEK_ROWS)];
  return {
    rows,
    weekRows,
    firstDay: count(FIRST_DAY),
    lastDay: count(LAST_DAY),
    nulls,
    duplicates: () => {
      // A file that holds this week only (the usual weekly export) needs no filter.
      const keys = (weekRows === rows ? lf() : lf().filter(expressions.inWeek)).select(...expressions.key);
      return findDuplicates(keys, key, weekRows, row).catch(failedRead);
    },
    negatives: async () => {
      const suspect = positive.filter((c) => count(smallest(c)) < 0);
      return suspect.length === 0 ? [] : negativesInWeek(lf().filter(expressions.inWeek), suspect).catch(failedRead);
    },
  };
}

export interface Inspected {
  weekRows: number;
  warnings: DatasetWarning[];
}

/**
 * The week's rows of an opened input, with the NullValues check and the quality rules not set to
 * `ignore`, in this order: nulls, an empty file, a week the file does not hold, duplicate keys,
 * negative values.
 */
export async function inspectInput(
  opened: OpenedInput,
  where: string,
  week: string,
  rules: QualityRules,
): Promise<Inspected> {
  const { file, input, frame } = opened;
  const at = `${where}, file ${file} (${input})`;
  const key = rules.duplicateKeys === 'ignore' ? [] : keyOf(input);
  const positive = rules.negativeValues === 'ignore' ? [] : (NON_NEGATIVE[input] ?? []);
  const measured = frame
    ? measureInMemory(frame, input, week, key, positive)
    : await scanMeasures(file, input, where, week, key, positive);
  checkNulls(measured.nulls, file, input, where);
  const { rows, weekRows } = measured;
  if (rows === 0) return { weekRows, warnings: broken(rules, 'emptyInput', emptyInputMessage(at, input)) };
  if (weekRows === 0) {
    const message = emptyWeekMessage(at, week, rows, measured.firstDay, measured.lastDay);
    return { weekRows, warnings: broken(rules, 'emptyWeek', message) };
  }
  const warnings: DatasetWarning[] = [];
  if (key.length > 0) {
    const duplicates = await measured.duplicates();
    if (duplicates) warnings.push(...broken(rules, 'duplicateKeys', duplicateKeysMessage(at, input, duplicates, week)));
  }
  if (positive.length > 0) {
    const negative = await measured.negatives();
    if (negative.length > 0) {
      warnings.push(...broken(rules, 'negativeValues', negativeValuesMessage(at, week, negative)));
    }
  }
  return { weekRows, warnings };
}
