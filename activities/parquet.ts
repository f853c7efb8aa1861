/**
 * Reading parquet: the footer where it answers (row counts, schemas), nodejs-polars for the rest
 * (lazy scans, async collects), errors that name the file.
 */
import { ApplicationFailure } from '@temporalio/activity';
import pl from 'nodejs-polars';
import { type ObjectInfo, polarsOptions, storageFor } from '../storage';
import { polarsStorageFailure } from '../storage/s3';
import { footerSummary, storedFooter } from './parquetFooter';
import { dtypeName } from './parquetTypes';

/** The file's size and version; fails without retry when it is missing: retrying cannot create it. Storage faults keep their own type. */
export async function assertReadable(file: string, what = 'Input file'): Promise<ObjectInfo> {
  let found: ObjectInfo | undefined;
  try {
    found = await storageFor(file).stat(file);
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err; // object storage: names the bucket and the fix
  }
  if (!found) throw ApplicationFailure.nonRetryable(`${what} ${file} does not exist or cannot be read`, 'FileNotFound');
  return found;
}

/** A lazy scan of a stored parquet file, local or `s3://` (with the worker's cloud options, never logged). */
export function scanStored(file: string): pl.LazyDataFrame {
  return pl.scanParquet(file, polarsOptions(file));
}

/**
 * Wraps a polars read error: a file polars cannot parse will not parse on retry either,
 * so it is non-retryable, and the message says which file. Object storage failing polars on the
 * way (a reset, a 5xx) is no fault of the file: retryable, ObjectStorageUnavailable.
 */
export function unreadable(file: string, err: unknown): ApplicationFailure {
  const reason = err instanceof Error ? err.message : String(err);
  return (
    polarsStorageFailure(file, err) ??
    ApplicationFailure.nonRetryable(`Cannot read parquet file ${file}: ${reason}`, 'UnreadableParquet')
  );
}

/** Row count and schema from the file's footer, when it tells both exactly as polars would. */
async function fromFooter(file: string): Promise<{ rows: number; schema: Record<string, string> } | undefined> {
  const meta = await storedFooter(file);
  return meta && footerSummary(meta);
}

/**
 * Row count and schema of one parquet file, without materialising rows: from the footer, or from a
 * lazy scan when the footer cannot say (see footerSchema), or cannot be read (polars says why).
 */
export async function scanSummary(file: string): Promise<{ rows: number; schema: Record<string, string> }> {
  await assertReadable(file);
  const known = await fromFooter(file);
  if (known) return known;
  try {
    const lf = scanStored(file);
    const [counted, empty] = await Promise.all([lf.select(pl.len().alias('rows')).collect(), lf.head(0).collect()]);
    return { rows: Number(counted.getColumn('rows').get(0)), schema: schemaOf(empty) };
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

/** Column name -> polars type name, read from the file's metadata (no rows): the footer's, else polars'. */
export async function fileSchema(file: string): Promise<Record<string, string>> {
  const known = await fromFooter(file);
  if (known) return known.schema;
  try {
    return schemaOf(await scanStored(file).head(0).collect());
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
