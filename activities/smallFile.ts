/**
 * Small input files measured in plain JS. The read stage's checks of a file are a few counts, a
 * range and a set of keys; for a small file, running them in polars costs mostly the building of
 * its expressions and plans (milliseconds each, whatever the data size), where reading the whole
 * file once takes a fraction of a millisecond and the counts a loop over its rows. What is
 * measured here is exactly what the polars scan in inspect.ts measures (test/trust.readCost.test.ts
 * compares them on the same files).
 */
import { readFile, stat } from 'node:fs/promises';
import pl from 'nodejs-polars';
import { INPUT_SCHEMAS, type InputName, nonNullableColumns } from '../metrics/schemas';
import { type Duplicates, firstDayOf, isoDay, type Measures, type Negatives } from './quality';

/**
 * A file is read into memory when it is at most this big on disk and holds at most SMALL_FILE_ROWS
 * rows (parquet compresses repetitive columns 10 rows to a byte and more, so size alone says
 * little). bench/readStage.ts measures the two ways; BENCHMARKS.md has the figures.
 */
export const SMALL_FILE_BYTES = 1024 ** 2;
export const SMALL_FILE_ROWS = 20_000;

/**
 * The whole of `file` when it is small (or whatever its size when `anySize`), else undefined; also
 * undefined when polars cannot read it, so that the scan, which the caller falls back to, reports
 * what is wrong with it in the usual words.
 */
export async function readSmallFile(file: string, anySize = false): Promise<pl.DataFrame | undefined> {
  try {
    if (!anySize && (await stat(file)).size > SMALL_FILE_BYTES) return undefined;
    const bytes = await readFile(file);
    // Synchronous on purpose: decoding a file this small takes well under a millisecond, less
    // than the round trip of an async read. At most one row too many is read to tell a big file.
    const frame = pl.readParquet(bytes, anySize ? {} : { numRows: SMALL_FILE_ROWS + 1 });
    return anySize || frame.height <= SMALL_FILE_ROWS ? frame : undefined;
  } catch {
    return undefined;
  }
}

const DAY_MS = 86_400_000;
type Row = Record<string, unknown>;
/** A key value as polars compares it: a date as its day number, a whole number as itself. */
const keyValue = (column: string, value: unknown) =>
  column === 'date' && value instanceof Date ? Math.floor(value.getTime() / DAY_MS) : value;
const compare = (a: unknown[], b: unknown[]) => {
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i] as number, b[i] as number];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

/** The week's duplicated keys: every copy counted, the smallest key as the sample (as polars sorts them). */
function duplicatesIn(rows: Row[], key: readonly string[]): Duplicates | undefined {
  if (rows.length < 2) return undefined;
  const seen = new Map<string, { values: unknown[]; copies: number }>();
  for (const row of rows) {
    const values = key.map((c) => keyValue(c, row[c]));
    const id = values.join('|');
    const found = seen.get(id);
    if (found) found.copies += 1;
    else seen.set(id, { values, copies: 1 });
  }
  if (seen.size === rows.length) return undefined;
  let count = 0;
  let first: { values: unknown[]; copies: number } | undefined;
  for (const entry of seen.values()) {
    if (entry.copies < 2) continue;
    count += entry.copies;
    if (!first || compare(entry.values, first.values) < 0) first = entry;
  }
  const shown = key.map((c, i) => `${c}=${c === 'date' ? isoDay(first!.values[i] as number) : String(first!.values[i])}`);
  return { rows: count, sample: `${shown.join(', ')} (${first!.copies} rows)` };
}

/** Negative values of the week per column, with the column's smallest value in the week (NaN is no value, as in polars). */
function negativesIn(rows: Row[], columns: readonly string[]): Negatives[] {
  return columns
    .map((column) => {
      let negative = 0;
      let smallest = Infinity;
      for (const row of rows) {
        const value = Number(row[column]);
        if (value < 0) negative += 1;
        if (value < smallest) smallest = value;
      }
      return { column, rows: negative, smallest };
    })
    .filter((n) => n.rows > 0);
}

/** The measures of a file read whole, for the key and non-negative columns of the rules in force. */
export function measureInMemory(
  frame: pl.DataFrame,
  input: InputName,
  week: string,
  key: readonly string[],
  positive: readonly string[],
): Measures {
  const rows = frame.toRecords() as Row[];
  const columns = nonNullableColumns(INPUT_SCHEMAS[input]);
  const nulls = columns.map(() => 0);
  const start = firstDayOf(week);
  const inWeek: Row[] = [];
  let [firstDay, lastDay] = [Infinity, -Infinity];
  for (const row of rows) {
    for (let i = 0; i < columns.length; i++) if (row[columns[i]!] == null) nulls[i]! += 1;
    const date = row.date;
    if (!(date instanceof Date)) continue;
    const day = Math.floor(date.getTime() / DAY_MS);
    if (day < firstDay) firstDay = day;
    if (day > lastDay) lastDay = day;
    if (day >= start && day < start + 7) inWeek.push(row);
  }
  return {
    rows: rows.length,
    weekRows: inWeek.length,
    firstDay: Number.isFinite(firstDay) ? firstDay : 0,
    lastDay: Number.isFinite(lastDay) ? lastDay : 0,
    nulls: Object.fromEntries(columns.map((c, i) => [c, nulls[i]!])),
    duplicates: async () => duplicatesIn(inWeek, key),
    negatives: async () => negativesIn(inWeek, positive),
  };
}
