/**
 * The read stage: check a dataset's files (and the shared reference data) against their declared
 * schemas and null rules, and count the week's rows. Problems are non-retryable and name dataset,
 * file and column.
 */
import type pl from 'nodejs-polars';
import { storageFor } from '../storage';
import type { DatasetRef, DatasetWarning, ReferenceRef } from '../common/types';
import { INPUT_SCHEMAS, type InputName, keyOf, nonNullableColumns } from '../metrics/schemas';
import type { QualityRules } from '../pipeline/types';
import { fingerprintOf, readingUnchanged } from './inputChange';
import { checkNulls, inspectInput, openInput } from './inspect';
import { broken, duplicateKeysMessage, findDuplicates, keyBounds, rulesOf } from './quality';

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
  await openInput(file, input, where, 'scan');
}

/**
 * Size and version of each file: what changes when an input changes (locally size, modification
 * time and inode; on object storage the ETag or version id). Throws when a file is missing.
 */
export async function fingerprint(files: string[]): Promise<string> {
  const parts = await Promise.all(
    files.map(async (f) => {
      const info = await storageFor(f).stat(f);
      if (!info) throw new Error(`${f} does not exist`);
      return { file: f, size: info.size, version: info.version };
    }),
  );
  return fingerprintOf(parts);
}

/** The read stage of one dataset; a file replaced meanwhile is InputChanged (retried), not blamed as unreadable. */
export async function readDataset(dataset: DatasetRef, week: string, quality?: Partial<QualityRules>) {
  const { frames: _read, ...checked } = await readDatasetKeeping(dataset, week, quality);
  return checked;
}

/** The files of a dataset the checks read whole (small ones, activities/smallFile.ts), by input. */
export type ReadFrames = Partial<Record<'transactions' | 'stock', pl.DataFrame>>;

/**
 * readDataset, also handing back the files it read whole: a batch computes from those very frames
 * (what was checked is what is computed) instead of reading and planning each file again.
 */
export async function readDatasetKeeping(dataset: DatasetRef, week: string, quality?: Partial<QualityRules>) {
  const files = [dataset.files.transactions, dataset.files.stock];
  return readingUnchanged(`Dataset ${dataset.name}`, files, (found) => checkDataset(dataset, week, found, quality));
}

/**
 * Checks a dataset's files and counts the week's rows. `fingerprint`: the files' as the read found
 * them. `quality`: the spec's rules (absent in runs started before it had them: the defaults). Warnings come in file order, transactions first.
 */
async function checkDataset(dataset: DatasetRef, week: string, fingerprint: string, quality?: Partial<QualityRules>) {
  const where = `Dataset ${dataset.name}`;
  const rules = rulesOf(quality);
  const { transactions, stock } = dataset.files;
  const opened = await allInOrder([openInput(transactions, 'transactions', where), openInput(stock, 'stock', where)]);
  const [tx, st] = await allInOrder(opened.map((input) => inspectInput(input, where, week, rules)));
  const frames: ReadFrames = {};
  for (const { input, frame } of opened)
    if (frame && (input === 'transactions' || input === 'stock')) frames[input] = frame;
  return {
    rowsIn: { transactions: tx?.weekRows ?? 0, stock: st?.weekRows ?? 0 },
    fingerprint,
    warnings: [...(tx?.warnings ?? []), ...(st?.warnings ?? [])],
    frames,
  };
}

/** Null counts of a loaded reference frame (reference data is small and already in memory). */
function nullCountsOf(frame: pl.DataFrame, input: InputName): Record<string, number> {
  return Object.fromEntries(nonNullableColumns(INPUT_SCHEMAS[input]).map((c) => [c, frame.getColumn(c).nullCount()]));
}

type ReferenceRows = { products: number; substitutes: number };
type ReferenceCheck = { rows: ReferenceRows; fingerprint: string; warnings: DatasetWarning[] };

/**
 * Reference files already checked by this worker, by fingerprint (path, size, version) and the
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
    if (checkedReferences.size > CHECKED_REFERENCES_KEPT)
      checkedReferences.delete(checkedReferences.keys().next().value!);
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
  await allInOrder([
    checkSchema(reference.products, 'products', where),
    checkSchema(reference.substitutes, 'substitutes', where),
  ]);
  const products = await load(reference.products);
  checkNulls(nullCountsOf(products, 'products'), reference.products, 'products', where);
  const warnings = await checkKeys(products, reference.products, 'products', rules);
  const substitutes = await load(reference.substitutes);
  checkNulls(nullCountsOf(substitutes, 'substitutes'), reference.substitutes, 'substitutes', where);
  warnings.push(...(await checkKeys(substitutes, reference.substitutes, 'substitutes', rules)));
  return { rows: { products: products.height, substitutes: substitutes.height }, warnings };
}
