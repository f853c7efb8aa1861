/**
 * The read stage: check a dataset's files (and the shared reference data) against their declared
 * schemas and null rules, and count the week's rows. Problems are non-retryable and name dataset,
 * file and column.
 */
import { stat } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/activity';
import pl from 'nodejs-polars';
import type { DatasetRef, DatasetWarning, ReferenceRef } from '../common/types';
import {
  type ColumnProblem, INPUT_SCHEMAS, type InputName, keyOf, nonNullableColumns, nullProblems, schemaProblems,
} from '../metrics/schemas';
import type { QualityRules } from '../spec/types';
import { readingUnchanged } from './inputChange';
import { assertReadable, fileSchema, inWeek, unreadable } from './parquet';
import { footerNullCounts } from './parquetFooter';
import {
  broken, duplicateKeysMessage, emptyInputMessage, emptyWeekMessage, findDuplicates, keyBounds, negativesInWeek,
  negativeValuesMessage, NON_NEGATIVE, rulesOf,
} from './quality';

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
const ALL_ROWS = '__rows';
const FIRST_DAY = '__first_day';
const LAST_DAY = '__last_day';
const smallest = (c: string) => `__smallest_${c}`;

interface Inspected {
  weekRows: number;
  warnings: DatasetWarning[];
}

/**
 * The week's rows of a file whose schema is checked, with the NullValues check and the quality
 * rules, in one lazy pass. Nulls are counted over the whole file: a null date belongs to no week,
 * so a week filter would hide it. Null counts the file's footer statistics already hold are taken
 * from there. Negative values, the date range and the key columns' bounds are measured in the
 * same pass, only for the rules not set to `ignore`; duplicate keys take one small extra pass over
 * the week's key columns (see findDuplicates).
 */
async function inspect(
  file: string,
  input: InputName,
  where: string,
  week: string,
  rules: QualityRules,
): Promise<Inspected> {
  const at = `${where}, file ${file} (${input})`;
  const columns = nonNullableColumns(INPUT_SCHEMAS[input]);
  const key = rules.duplicateKeys === 'ignore' ? [] : keyOf(input);
  const positive = rules.negativeValues === 'ignore' ? [] : (NON_NEGATIVE[input] ?? []);
  const known = (await footerNullCounts(file)) ?? new Map<string, number>();
  const counts: Record<string, number> = Object.fromEntries(columns.filter((c) => known.has(c)).map((c) => [c, known.get(c)!]));
  const inThisWeek = inWeek(week);
  const day = pl.col('date').cast(pl.Int32);
  const lf = () => pl.scanParquet(file);
  let row: Record<string, unknown>;
  try {
    row = (
      await lf()
        .select(
          inThisWeek.cast(pl.UInt32).sum().alias(WEEK_ROWS),
          pl.len().alias(ALL_ROWS),
          day.min().alias(FIRST_DAY),
          day.max().alias(LAST_DAY),
          ...keyBounds(key),
          // The smallest value of the whole file: when it is not negative, no row of the week is.
          ...positive.map((c) => pl.col(c).min().alias(smallest(c))),
          ...columns.filter((c) => !known.has(c)).map((c) => pl.col(c).nullCount().alias(c)),
        )
        .collect()
    ).toRecords()[0] ?? {};
    for (const [k, v] of Object.entries(row)) counts[k] = Number(v ?? 0);
  } catch (err) {
    throw inDataset(where, unreadable(file, err));
  }
  checkNulls(counts, file, input, where);
  const weekRows = counts[WEEK_ROWS] ?? 0;
  const rows = counts[ALL_ROWS] ?? 0;
  if (rows === 0) return { weekRows, warnings: broken(rules, 'emptyInput', emptyInputMessage(at, input)) };
  if (weekRows === 0) {
    const message = emptyWeekMessage(at, week, rows, counts[FIRST_DAY] ?? 0, counts[LAST_DAY] ?? 0);
    return { weekRows, warnings: broken(rules, 'emptyWeek', message) };
  }
  const warnings: DatasetWarning[] = [];
  const failedRead = (err: unknown) => Promise.reject(inDataset(where, unreadable(file, err)));
  if (key.length > 0) {
    // A file that holds this week only (the usual weekly export) needs no filter.
    const onlyThisWeek = weekRows === rows;
    const keysInWeek = (onlyThisWeek ? lf() : lf().filter(inThisWeek)).select(...key);
    const duplicates = await findDuplicates(keysInWeek, key, weekRows, row).catch(failedRead);
    if (duplicates) warnings.push(...broken(rules, 'duplicateKeys', duplicateKeysMessage(at, input, duplicates, week)));
  }
  const suspect = positive.filter((c) => (counts[smallest(c)] ?? 0) < 0);
  if (suspect.length > 0) {
    const negative = await negativesInWeek(lf().filter(inThisWeek), suspect).catch(failedRead);
    if (negative.length > 0) {
      warnings.push(...broken(rules, 'negativeValues', negativeValuesMessage(at, week, negative)));
    }
  }
  return { weekRows, warnings };
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
export async function readDataset(dataset: DatasetRef, week: string, quality?: Partial<QualityRules>) {
  const files = [dataset.files.transactions, dataset.files.stock];
  return readingUnchanged(`Dataset ${dataset.name}`, files, () => checkDataset(dataset, week, quality));
}

/**
 * Checks a dataset's files and counts the week's rows. `quality`: the spec's rules (absent in runs
 * started before it had them: the defaults). Warnings come in file order, transactions first.
 */
async function checkDataset(dataset: DatasetRef, week: string, quality?: Partial<QualityRules>) {
  const where = `Dataset ${dataset.name}`;
  const rules = rulesOf(quality);
  const { transactions, stock } = dataset.files;
  await allInOrder([checkSchema(transactions, 'transactions', where), checkSchema(stock, 'stock', where)]);
  const [tx, st] = await allInOrder([
    inspect(transactions, 'transactions', where, week, rules),
    inspect(stock, 'stock', where, week, rules),
  ]);
  return {
    rowsIn: { transactions: tx?.weekRows ?? 0, stock: st?.weekRows ?? 0 },
    fingerprint: await fingerprint([transactions, stock]),
    warnings: [...(tx?.warnings ?? []), ...(st?.warnings ?? [])],
  };
}

/** Null counts of a loaded reference frame (reference data is small and already in memory). */
function nullCountsOf(frame: pl.DataFrame, input: InputName): Record<string, number> {
  return Object.fromEntries(nonNullableColumns(INPUT_SCHEMAS[input]).map((c) => [c, frame.getColumn(c).nullCount()]));
}

type ReferenceRows = { products: number; substitutes: number };
type ReferenceCheck = { rows: ReferenceRows; fingerprint: string; warnings: DatasetWarning[] };

/**
 * Reference files already checked by this worker, by fingerprint (path, size, mtime) and the
 * rules that apply to them, so the datasets of a run sharing them check them once; a changed file
 * has a new fingerprint and is checked again. Concurrent callers share one check; a failed check
 * is not kept.
 */
const checkedReferences = new Map<string, Promise<Omit<ReferenceCheck, 'fingerprint'>>>();
const CHECKED_REFERENCES_KEPT = 16;

export async function readReferenceFiles(
  reference: ReferenceRef,
  load: (file: string) => Promise<pl.DataFrame>,
  quality?: Partial<QualityRules>,
): Promise<ReferenceCheck> {
  const rules = rulesOf(quality);
  const files = [reference.products, reference.substitutes];
  let key: string;
  try {
    key = await fingerprint(files);
  } catch {
    // A missing file: the check says which, clearly.
    return { ...(await checkReferenceFiles(reference, load, rules)), fingerprint: await fingerprint(files) };
  }
  const memo = `${key}|duplicateKeys:${rules.duplicateKeys}`;
  let check = checkedReferences.get(memo);
  if (!check) {
    check = checkReferenceFiles(reference, load, rules);
    checkedReferences.set(memo, check);
    check.catch(() => checkedReferences.delete(memo));
    if (checkedReferences.size > CHECKED_REFERENCES_KEPT) checkedReferences.delete(checkedReferences.keys().next().value!);
  }
  return { ...(await check), fingerprint: key };
}

/** A reference table's duplicated keys (the frame is small and in memory: one pass, eagerly planned). */
async function checkKeys(
  frame: pl.DataFrame,
  file: string,
  input: InputName,
  rules: QualityRules,
): Promise<DatasetWarning[]> {
  const key = keyOf(input);
  if (rules.duplicateKeys === 'ignore' || key.length === 0) return [];
  const keys = frame.lazy().select(...key);
  const bounds = (await keys.select(...keyBounds(key)).collect()).toRecords()[0] ?? {};
  const duplicates = await findDuplicates(keys, key, frame.height, bounds);
  if (!duplicates) return [];
  const at = `Reference data, file ${file} (${input})`;
  return broken(rules, 'duplicateKeys', duplicateKeysMessage(at, input, duplicates));
}

async function checkReferenceFiles(
  reference: ReferenceRef,
  load: (file: string) => Promise<pl.DataFrame>,
  rules: QualityRules,
): Promise<Omit<ReferenceCheck, 'fingerprint'>> {
  const where = 'Reference data';
  await allInOrder([checkSchema(reference.products, 'products', where), checkSchema(reference.substitutes, 'substitutes', where)]);
  const products = await load(reference.products);
  checkNulls(nullCountsOf(products, 'products'), reference.products, 'products', where);
  const warnings = await checkKeys(products, reference.products, 'products', rules);
  const substitutes = await load(reference.substitutes);
  checkNulls(nullCountsOf(substitutes, 'substitutes'), reference.substitutes, 'substitutes', where);
  warnings.push(...(await checkKeys(substitutes, reference.substitutes, 'substitutes', rules)));
  return { rows: { products: products.height, substitutes: substitutes.height }, warnings };
}
