/**
 * The read stage: check a dataset's files (and the shared reference data) against their declared
 * schemas and null rules, and count the week's rows. Problems are non-retryable and name dataset,
 * file and column.
 */
import { stat } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/activity';
import pl from 'nodejs-polars';
import type { DatasetRef, ReferenceRef } from '../common/types';
import { type ColumnProblem, INPUT_SCHEMAS, nonNullableColumns, nullProblems, schemaProblems } from '../metrics/schemas';
import { readingUnchanged } from './inputChange';
import { assertReadable, fileSchema, inWeek, unreadable } from './parquet';
import { footerNullCounts } from './parquetFooter';

type InputName = keyof typeof INPUT_SCHEMAS;

function columnFailure(where: string, file: string, input: InputName, problems: ColumnProblem[], type: string) {
  const list = problems.map((p) => `column "${p.column}" ${p.problem}`).join('; ');
  return ApplicationFailure.nonRetryable(`${where}, file ${file} (${input}): ${list}`, type);
}

/** Prefixes a file-level failure with its dataset: the report lists many datasets' errors side by side. */
function inDataset(where: string, err: unknown): unknown {
  if (!(err instanceof ApplicationFailure) || err.message.startsWith(where)) return err;
  return ApplicationFailure.create({ message: `${where}: ${err.message}`, type: err.type ?? undefined, nonRetryable: err.nonRetryable === true, cause: err.cause });
}

/**
 * Runs checks at the same time but reports the first failure in list order, not in time order,
 * so a dataset with several bad files fails with the same error on every run.
 */
async function allInOrder<T>(work: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** Fails with SchemaMismatch when the file lacks a declared column or has one of the wrong type. */
export async function checkSchema(file: string, input: InputName, where: string): Promise<void> {
  await assertReadable(file, `${where}, ${input} file`);
  const schema = await fileSchema(file).catch((err: unknown) => Promise.reject(inDataset(where, err)));
  const problems = schemaProblems(schema, INPUT_SCHEMAS[input]);
  if (problems.length > 0) throw columnFailure(where, file, input, problems, 'SchemaMismatch');
}

/** Fails with NullValues when a column that forbids nulls has some. */
function checkNulls(nullCounts: Record<string, number>, file: string, input: InputName, where: string): void {
  const problems = nullProblems(nullCounts, INPUT_SCHEMAS[input]);
  if (problems.length > 0) throw columnFailure(where, file, input, problems, 'NullValues');
}

const WEEK_ROWS = '__week_rows';

/**
 * The week's rows of a file whose schema is checked, and a NullValues check, in one lazy pass.
 * Nulls are counted over the whole file: a null date belongs to no week, so a week filter would hide it.
 * Null counts the file's footer statistics already hold are taken from there, so the pass usually
 * reads the date column alone; columns without statistics are counted in the same pass.
 */
async function countChecked(file: string, input: InputName, where: string, week: string): Promise<number> {
  const columns = nonNullableColumns(INPUT_SCHEMAS[input]);
  const known = (await footerNullCounts(file)) ?? new Map<string, number>();
  const counts: Record<string, number> = Object.fromEntries(columns.filter((c) => known.has(c)).map((c) => [c, known.get(c)!]));
  try {
    const lf = pl.scanParquet(file).select(
      inWeek(week).cast(pl.UInt32).sum().alias(WEEK_ROWS),
      ...columns.filter((c) => !known.has(c)).map((c) => pl.col(c).nullCount().alias(c)),
    );
    const row = (await lf.collect()).toRecords()[0] ?? {};
    for (const [k, v] of Object.entries(row)) counts[k] = Number(v ?? 0);
  } catch (err) {
    throw inDataset(where, unreadable(file, err));
  }
  checkNulls(counts, file, input, where);
  return counts[WEEK_ROWS] ?? 0;
}

/** Size and modification time of each file: what changes when an input changes. */
export async function fingerprint(files: string[]): Promise<string> {
  const parts = await Promise.all(files.map(async (f) => {
    const { size, mtimeMs } = await stat(f);
    return `${f}:${size}:${mtimeMs}`;
  }));
  return parts.join('|');
}

/** The read stage of one dataset; a file replaced meanwhile is InputChanged (retried), not blamed as unreadable. */
export async function readDataset(dataset: DatasetRef, week: string) {
  const files = [dataset.files.transactions, dataset.files.stock];
  return readingUnchanged(`Dataset ${dataset.name}`, files, () => checkDataset(dataset, week));
}

async function checkDataset(dataset: DatasetRef, week: string) {
  const where = `Dataset ${dataset.name}`;
  const { transactions, stock } = dataset.files;
  await allInOrder([checkSchema(transactions, 'transactions', where), checkSchema(stock, 'stock', where)]);
  const [txRows = 0, stockRows = 0] = await allInOrder([
    countChecked(transactions, 'transactions', where, week),
    countChecked(stock, 'stock', where, week),
  ]);
  return { rowsIn: { transactions: txRows, stock: stockRows }, fingerprint: await fingerprint([transactions, stock]) };
}

/** Null counts of a loaded reference frame (reference data is small and already in memory). */
function nullCountsOf(frame: pl.DataFrame, input: InputName): Record<string, number> {
  return Object.fromEntries(nonNullableColumns(INPUT_SCHEMAS[input]).map((c) => [c, frame.getColumn(c).nullCount()]));
}

type ReferenceCheck = { rows: { products: number; substitutes: number }; fingerprint: string };

/**
 * Reference files already checked by this worker, by fingerprint (path, size, mtime), so the
 * datasets of a run sharing them check them once; a changed file has a new fingerprint and is
 * checked again. Concurrent callers share one check; a failed check is not kept.
 */
const checkedReferences = new Map<string, Promise<ReferenceCheck['rows']>>();
const CHECKED_REFERENCES_KEPT = 16;

export async function readReferenceFiles(reference: ReferenceRef, load: (file: string) => Promise<pl.DataFrame>): Promise<ReferenceCheck> {
  const files = [reference.products, reference.substitutes];
  let key: string;
  try {
    key = await fingerprint(files);
  } catch {
    // A missing file: the check says which, clearly.
    return { rows: await checkReferenceFiles(reference, load), fingerprint: await fingerprint(files) };
  }
  let check = checkedReferences.get(key);
  if (!check) {
    check = checkReferenceFiles(reference, load);
    checkedReferences.set(key, check);
    check.catch(() => checkedReferences.delete(key));
    if (checkedReferences.size > CHECKED_REFERENCES_KEPT) checkedReferences.delete(checkedReferences.keys().next().value!);
  }
  return { rows: await check, fingerprint: key };
}

async function checkReferenceFiles(reference: ReferenceRef, load: (file: string) => Promise<pl.DataFrame>): Promise<ReferenceCheck['rows']> {
  const where = 'Reference data';
  await allInOrder([checkSchema(reference.products, 'products', where), checkSchema(reference.substitutes, 'substitutes', where)]);
  const products = await load(reference.products);
  checkNulls(nullCountsOf(products, 'products'), reference.products, 'products', where);
  // Cast first: in nodejs-polars 0.24 the sum of a boolean Series is a boolean, not a count.
  const duplicated = Number(products.getColumn('product_id').isDuplicated().cast(pl.UInt32).sum());
  if (duplicated > 0) {
    throw ApplicationFailure.nonRetryable(
      `${where}, file ${reference.products} (products): column "product_id" has ${duplicated} rows with duplicate keys`,
      'DuplicateKeys',
    );
  }
  const substitutes = await load(reference.substitutes);
  checkNulls(nullCountsOf(substitutes, 'substitutes'), reference.substitutes, 'substitutes', where);
  return { products: products.height, substitutes: substitutes.height };
}
