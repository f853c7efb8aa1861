/**
 * Runs the DuckDB baseline (the metrics in SQL, bench/duckdbSql.ts) over the bench's datasets, in
 * this process through @duckdb/node-api, so its CPU time is counted like Tributary's:
 * - `per-dataset`: one dataset after another, each one's tables written as
 *   <outRoot>/<week>/<dataset>/<table>.parquet, as Tributary publishes them;
 * - `single-query`: every dataset read in one pass (a glob over all of them, the dataset named by
 *   its folder) and each table written for all datasets by one partitioned COPY,
 *   <outRoot>/<week>/<table>/dataset=<dataset>/*.parquet: the limit for many small datasets.
 * Reference tables are read once per run. Outputs are zstd parquet, as polars writes by default.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import type { DatasetRef, ReferenceRef } from '../common/types';
import {
  literal,
  metricsSql,
  referenceStatements,
  type Sources,
  STOCK_COLUMNS,
  TRANSACTION_COLUMNS,
  weekRows,
} from './duckdbSql';

export type DuckdbMode = 'per-dataset' | 'single-query';

export interface DuckdbInput {
  mode: DuckdbMode;
  datasets: DatasetRef[];
  /** single-query: the files of every dataset, as globs (e.g. <data>/sales/*\/transactions.parquet). */
  globs?: { transactions: string; stock: string };
  reference: ReferenceRef;
  week: string;
  metrics: string[];
  outRoot: string;
  /** DuckDB's worker threads; default: every core. */
  threads?: number;
  /** per-dataset: called after each dataset with the number done so far. */
  onDone?: (done: number) => void;
}

/** The output files of one dataset's table (several when a partitioned COPY wrote them). */
export type OutputFiles = (dataset: string, table: string) => string[];

export interface DuckdbResult {
  datasets: number;
  tables: number;
  rowsOut: number;
  files: OutputFiles;
  version: string;
}

const PARQUET = 'FORMAT parquet, COMPRESSION zstd';

/** Rows a COPY wrote (it returns them as its one value). */
async function copy(connection: DuckDBConnection, query: string, target: string, options = ''): Promise<number> {
  const reader = await connection.runAndReadAll(`COPY (${query}) TO ${literal(target)} (${PARQUET}${options})`);
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

async function perDataset(connection: DuckDBConnection, input: DuckdbInput): Promise<Omit<DuckdbResult, 'version'>> {
  const result = { datasets: 0, tables: 0, rowsOut: 0 };
  const fileOf = (dataset: string, table: string) => path.join(input.outRoot, input.week, dataset, `${table}.parquet`);
  for (const dataset of input.datasets) {
    const src: Sources = {
      transactions: weekRows(dataset.files.transactions, TRANSACTION_COLUMNS, input.week),
      stock: weekRows(dataset.files.stock, STOCK_COLUMNS, input.week),
      keys: [],
    };
    await mkdir(path.dirname(fileOf(dataset.name, 'x')), { recursive: true });
    for (const metric of metricsSql(input.metrics, src)) {
      for (const statement of metric.prepare) await connection.run(statement);
      for (const [table, query] of Object.entries(metric.tables)) {
        result.rowsOut += await copy(connection, query, fileOf(dataset.name, table));
        result.tables += 1;
      }
    }
    result.datasets += 1;
    input.onDone?.(result.datasets);
  }
  return { ...result, files: (dataset, table) => [fileOf(dataset, table)] };
}

async function singleQuery(connection: DuckDBConnection, input: DuckdbInput): Promise<Omit<DuckdbResult, 'version'>> {
  if (!input.globs) throw new Error('The single-query DuckDB baseline needs the globs of the dataset inputs');
  const src: Sources = {
    transactions: weekRows(input.globs.transactions, TRANSACTION_COLUMNS, input.week, { fromFolderOf: true }),
    stock: weekRows(input.globs.stock, STOCK_COLUMNS, input.week, { fromFolderOf: true }),
    keys: ['dataset'],
  };
  const result = { datasets: 0, tables: 0, rowsOut: 0 };
  const found = new Map<string, string[]>();
  for (const metric of metricsSql(input.metrics, src)) {
    for (const statement of metric.prepare) await connection.run(statement);
    for (const [table, query] of Object.entries(metric.tables)) {
      const dir = path.join(input.outRoot, input.week, table);
      await mkdir(path.dirname(dir), { recursive: true });
      result.rowsOut += await copy(
        connection,
        query,
        dir,
        `, PARTITION_BY (dataset), FILENAME_PATTERN ${literal(`${table}_{i}`)}`,
      );
      // One folder per dataset that has rows; DuckDB may write several files into one.
      for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
        if (!entry.isFile()) continue;
        const dataset = path.basename(entry.parentPath).replace(/^dataset=/, '');
        const key = `${dataset}\0${table}`;
        found.set(key, [...(found.get(key) ?? []), path.join(entry.parentPath, entry.name)]);
        result.tables += 1;
      }
    }
  }
  result.datasets = new Set([...found.keys()].map((k) => k.split('\0')[0])).size;
  return { ...result, files: (dataset, table) => found.get(`${dataset}\0${table}`) ?? [] };
}

/** Computes the metrics with DuckDB in the given mode and writes their tables (see the top of this file). */
export async function runDuckdb(input: DuckdbInput): Promise<DuckdbResult> {
  const instance = await DuckDBInstance.create(':memory:', { threads: String(input.threads ?? cpus().length) });
  const connection = await instance.connect();
  try {
    const version = String((await connection.runAndReadAll('SELECT version()')).getRows()[0]?.[0]);
    for (const statement of referenceStatements(input.reference)) await connection.run(statement);
    const run = input.mode === 'per-dataset' ? perDataset : singleQuery;
    return { ...(await run(connection, input)), version };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
