/**
 * Small input files measured in plain JS. The read stage's checks of a file are a few counts, a
 * range and a set of keys; for a small file, running them in polars costs mostly the building of
 * its expressions and plans (milliseconds each, whatever the data size), where reading the whole
 * file once takes a fraction of a millisecond and the counts a loop over its rows. What is
 * measured here is exactly what the polars scan in inspect.ts measures (test/trust.readCost.test.ts
 * compares them on the same files).
 */
import pl from 'nodejs-polars';
import { storageFor } from '../storage';
import { INPUT_SCHEMAS, type InputName, nonNullableColumns } from '../metrics/schemas';
import { type Duplicates, firstDayOf, isoDay, type Measures, type Negatives } from './quality';

/**
 * A file is read into memory when it is at most this big on disk and holds at most SMALL_FILE_ROWS
 * rows (parquet compresses repetitive columns 10 rows to a byte and more, so size alone says
 * little). Around 2,000 rows the two ways cost the same (`npx tsx bench/readStage.ts --crossover`;
 * BENCHMARKS.md): the scan's expressions are built once, and its cost barely grows with the rows,
 * where the JS loop's does; and the JS path runs on the main thread.
 */
export const SMALL_FILE_BYTES = 1024 ** 2;
export const SMALL_FILE_ROWS = 2_000;

/**
 * The whole of `file` when it is small (or whatever its size when `anySize`), else undefined
 * (`size`: its size when the caller has just looked, to spare a second look at storage); also
 * undefined when polars cannot read it, so that the scan, which the caller falls back to, reports
 * what is wrong with it in the usual words.
 */
export async function readSmallFile(file: string, anySize = false, size?: number): Promise<pl.DataFrame | undefined> {
  try {
    const storage = storageFor(file);
    if (!anySize && (size ?? (await storage.stat(file))?.size ?? Infinity) > SMALL_FILE_BYTES) return undefined;
    // One GET on object storage: the file is checked (and, in a batch, computed) from these bytes.
    const bytes = await storage.read(file);
    if (!bytes) return undefined;
    // Synchronous on purpose: decoding a file this small takes well under a millisecond, less
    // than the round trip of an async read. At most one row too many is read to tell a big file.
    const frame = pl.readParquet(bytes, anySize ? {} : { nRows: SMALL_FILE_ROWS + 1 });
    return anySize || frame.height <= SMALL_FILE_ROWS ? frame : undefined;
  } catch {
    return undefined;
  }
}

const DAY_MS = 86_400_000;
/** A row of the columns checked, as polars gives it: a date as a Date, a whole number as a number. */
type Row = unknown[];
/** A key value as polars compares it: a date as its day number, a whole number as itself. */
const keyValue = (value: unknown) => (value instanceof Date ? Math.floor(value.getTime() / DAY_MS) : value);
const compare = (a: unknown[], b: unknown[]) => {
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i] as number, b[i] as number];
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
};

/**
 * The week's duplicated keys (`at`: the key columns' places in a row): every copy counted, the
 * smallest key as the sample.
 */
function duplicatesIn(rows: Row[], key: readonly string[], at: number[]): Duplicates | undefined {
  if (rows.length < 2) return undefined;
  const seen = new Map<string, { values: unknown[]; copies: number }>();
  for (const row of rows) {
    const values = at.map((i) => keyValue(row[i]));
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
  const shown = key.map((c, i) => {
    const value = first!.values[i];
    return `${c}=${c === 'date' ? isoDay(value as number) : String(value)}`;
  });
  return { rows: count, sample: `${shown.join(', ')} (${first!.copies} rows)` };
}

/** The week's negative values per column, with its smallest value in the week (NaN is no value, as in polars). */
function negativesIn(rows: Row[], columns: readonly string[], at: number[]): Negatives[] {
  return columns
    .map((column, c) => {
      let negative = 0;
      let smallest = Infinity;
      for (const row of rows) {
        const value = Number(row[at[c]!]);
        if (value < 0) negative += 1;
        if (value < smallest) smallest = value;
      }
      return { column, rows: negative, smallest };
    })
    .filter((n) => n.rows > 0);
}

/**
 * The measures of a file read whole, for the key and non-negative columns of the rules in force.
 * Nulls come from polars' own count; rows are taken as arrays of the columns checked only (a
 * fraction of the cost of objects of every column).
 */
export function measureInMemory(
  frame: pl.DataFrame,
  input: InputName,
  week: string,
  key: readonly string[],
  positive: readonly string[],
): Measures {
  const counted = (frame.nullCount().toRecords()[0] ?? {}) as Record<string, unknown>;
  const nulls = Object.fromEntries(nonNullableColumns(INPUT_SCHEMAS[input]).map((c) => [c, Number(counted[c] ?? 0)]));
  const checked = [...new Set(['date', ...key, ...positive])];
  const rows = frame.select(...checked).rows() as Row[];
  const start = firstDayOf(week);
  const inWeek: Row[] = [];
  let [firstDay, lastDay] = [Infinity, -Infinity];
  for (const row of rows) {
    const date = row[0];
    if (!(date instanceof Date)) continue;
    const day = Math.floor(date.getTime() / DAY_MS);
    if (day < firstDay) firstDay = day;
    if (day > lastDay) lastDay = day;
    if (day >= start && day < start + 7) inWeek.push(row);
  }
  const places = (columns: readonly string[]) => columns.map((c) => checked.indexOf(c));
  return {
    rows: rows.length,
    weekRows: inWeek.length,
    firstDay: Number.isFinite(firstDay) ? firstDay : 0,
    lastDay: Number.isFinite(lastDay) ? lastDay : 0,
    nulls,
    duplicates: async () => duplicatesIn(inWeek, key, places(key)),
    negatives: async () => negativesIn(inWeek, positive, places(positive)),
  };
}
