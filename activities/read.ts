/**
 * The read stage: check a dataset's files (and the shared reference data) against their declared
 * schemas and count the week's rows. Problems are non-retryable and name dataset, file and column.
 */
import { stat } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/activity';
import pl from 'nodejs-polars';
import type { DatasetRef, ReferenceRef } from '../common/types';
import { INPUT_SCHEMAS, schemaProblems } from '../metrics/schemas';
import { assertReadable, countRows, fileSchema, inWeek, unreadable } from './parquet';

type InputName = keyof typeof INPUT_SCHEMAS;

/** Fails with SchemaMismatch when the file lacks a declared column or has one of the wrong type. */
export async function checkSchema(file: string, input: InputName, where: string): Promise<void> {
  await assertReadable(file, `${where}: input file`);
  const problems = schemaProblems(await fileSchema(file), INPUT_SCHEMAS[input]);
  if (problems.length > 0) {
    const list = problems.map((p) => `column "${p.column}" ${p.problem}`).join('; ');
    throw ApplicationFailure.nonRetryable(`${where}, file ${file} (${input}): ${list}`, 'SchemaMismatch');
  }
}

/** Size and modification time of each file: what changes when an input changes. */
export async function fingerprint(files: string[]): Promise<string> {
  const parts = await Promise.all(files.map(async (f) => `${f}:${(await stat(f)).size}:${(await stat(f)).mtimeMs}`));
  return parts.join('|');
}

export async function readDataset(dataset: DatasetRef, week: string) {
  const where = `Dataset ${dataset.name}`;
  const { transactions, stock } = dataset.files;
  await Promise.all([checkSchema(transactions, 'transactions', where), checkSchema(stock, 'stock', where)]);
  const count = (file: string) => countRows(pl.scanParquet(file).filter(inWeek(week))).catch((err: unknown) => {
    throw unreadable(file, err);
  });
  const [txRows, stockRows] = await Promise.all([count(transactions), count(stock)]);
  return { rowsIn: { transactions: txRows, stock: stockRows }, fingerprint: await fingerprint([transactions, stock]) };
}

export async function readReferenceFiles(reference: ReferenceRef, load: (file: string) => Promise<pl.DataFrame>) {
  const where = 'Reference data';
  await Promise.all([checkSchema(reference.products, 'products', where), checkSchema(reference.substitutes, 'substitutes', where)]);
  const products = await load(reference.products);
  const duplicated = products.getColumn('product_id').isDuplicated().sum();
  if (duplicated > 0) {
    throw ApplicationFailure.nonRetryable(
      `${where}, file ${reference.products} (products): column "product_id" has ${duplicated} rows with duplicate keys`,
      'DuplicateKeys',
    );
  }
  const substitutes = await load(reference.substitutes);
  return {
    rows: { products: products.height, substitutes: substitutes.height },
    fingerprint: await fingerprint([reference.products, reference.substitutes]),
  };
}
