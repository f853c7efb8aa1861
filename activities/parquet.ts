/** Reading parquet with nodejs-polars: lazy scans, async collects, errors that name the file. */
import { stat } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/activity';
import pl from 'nodejs-polars';

/** `DataType(Float64)` -> `Float64`: the name users see in polars' docs. */
export function dtypeName(dtype: unknown): string {
  return String(dtype).replace(/^DataType\((.*)\)$/, '$1');
}

/** Fails without retry when the file is missing: retrying cannot create it. */
export async function assertReadable(file: string, what = 'Input file'): Promise<void> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw ApplicationFailure.nonRetryable(`${what} ${file} is not a file`, 'FileNotFound');
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    throw ApplicationFailure.nonRetryable(`${what} ${file} does not exist or cannot be read`, 'FileNotFound');
  }
}

/**
 * Wraps a polars read error: a file polars cannot parse will not parse on retry either,
 * so it is non-retryable, and the message says which file.
 */
export function unreadable(file: string, err: unknown): ApplicationFailure {
  const reason = err instanceof Error ? err.message : String(err);
  return ApplicationFailure.nonRetryable(`Cannot read parquet file ${file}: ${reason}`, 'UnreadableParquet');
}

/** Row count and schema of one parquet file, read from a lazy scan without materialising rows. */
export async function scanSummary(file: string): Promise<{ rows: number; schema: Record<string, string> }> {
  await assertReadable(file);
  try {
    const lf = pl.scanParquet(file);
    const [counted, empty] = await Promise.all([lf.select(pl.len().alias('rows')).collect(), lf.head(0).collect()]);
    const rows = Number(counted.getColumn('rows').get(0));
    const schema = Object.fromEntries(Object.entries(empty.schema).map(([name, dtype]) => [name, dtypeName(dtype)]));
    return { rows, schema };
  } catch (err) {
    throw unreadable(file, err);
  }
}

/**
 * Column name -> polars type name of a frame. From `dtypes`, not `schema`: the latter wraps every
 * column in a JS Series object first, about a millisecond each.
 */
export function schemaOf(frame: pl.DataFrame): Record<string, string> {
  const types = frame.dtypes;
  return Object.fromEntries(frame.columns.map((name, i) => [name, dtypeName(types[i])]));
}

/** Column name -> polars type name, read from the file's metadata (no rows). */
export async function fileSchema(file: string): Promise<Record<string, string>> {
  try {
    return schemaOf(await pl.scanParquet(file).head(0).collect());
  } catch (err) {
    throw unreadable(file, err);
  }
}

const DAY_MS = 86_400_000;

/** Rows whose `date` falls in the 7 days starting at `week` (YYYY-MM-DD, a Monday). */
export function inWeek(week: string): pl.Expr {
  const first = Math.round(Date.parse(`${week}T00:00:00Z`) / DAY_MS);
  const day = pl.col('date').cast(pl.Int32);
  return day.gtEq(first).and(day.lt(first + 7));
}

/** Number of rows of a lazy frame, counted by polars without materialising them. */
export async function countRows(lf: pl.LazyDataFrame): Promise<number> {
  const counted = await lf.select(pl.len().alias('rows')).collect();
  return Number(counted.getColumn('rows').get(0));
}
