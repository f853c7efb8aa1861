/**
 * The bench's external baseline (bench/duckdbSql.ts, the metrics written again in DuckDB SQL) gives
 * what Tributary's compute stage writes: the same rows, columns, types and order, figures within
 * the stated float tolerance, per dataset and in the single query over all datasets. This test is
 * what keeps the two in step when a metric changes; it also shows the bench's cross-check
 * (bench/crossCheck.ts) failing on outputs that differ.
 */
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schemaOf } from '../activities/parquet';
import { baselineFiles, runBaseline } from '../bench/baseline';
import { crossCheck, describeCheck, TOLERANCE } from '../bench/crossCheck';
import { type DuckdbResult, type OutputFiles, runDuckdb } from '../bench/duckdbBaseline';
import { metricsSql, SQL_METRICS } from '../bench/duckdbSql';
import { previousWeekOf } from '../common/week';
import type { DatasetRef } from '../common/types';
import { DATAGEN_DEFAULTS, generateRetailWeek, type Manifest } from '../datagen';
import { METRICS } from '../metrics';
import { tempDir } from './helpers/parquet';

const WEEK = '2026-11-16';
const METRIC_NAMES = ['hierarchySales', 'lostSalesToSubstitutes'];
const TABLES = ['hierarchy_sales', 'lost_sales_detail', 'lost_sales_by_category'];
const SIZE = { ...DATAGEN_DEFAULTS, regions: 2, stores: 6, products: 80, seed: 11, week: WEEK };

let data: string;
let manifest: Manifest;
let datasets: DatasetRef[];
let tributary: OutputFiles;
let perDataset: DuckdbResult;
let singleQuery: DuckdbResult;
const folders: string[] = [];
/** A fresh temporary folder, removed after the file's tests. */
async function folder(prefix: string): Promise<string> {
  const dir = await tempDir(`tributary-duckdb-${prefix}-`);
  folders.push(dir);
  return dir;
}

/** Appends the rows of `extra`'s file to `file`'s: data of other weeks the runs must leave out. */
async function append(file: string, extra: string): Promise<void> {
  const both = pl.concat([pl.readParquet(file), pl.readParquet(extra)], { how: 'vertical' });
  both.writeParquet(file);
}

beforeAll(async () => {
  data = await folder('data');
  manifest = await generateRetailWeek({ ...SIZE, out: data });
  // South's files also hold the previous week and the Monday after: a run computes its week only.
  const before = await folder('before');
  const after = await folder('after');
  await generateRetailWeek({ ...SIZE, seed: 12, week: previousWeekOf(WEEK), out: before });
  await generateRetailWeek({ ...SIZE, seed: 13, week: '2026-11-23', days: 1, out: after });
  for (const input of ['transactions', 'stock'])
    for (const other of [before, after])
      await append(
        path.join(data, 'sales/south', `${input}.parquet`),
        path.join(other, 'sales/south', `${input}.parquet`),
      );

  datasets = manifest.regions.map((name) => {
    const dir = path.join(data, 'sales', name);
    return {
      name,
      dir,
      files: { transactions: path.join(dir, 'transactions.parquet'), stock: path.join(dir, 'stock.parquet') },
    };
  });
  const reference = {
    products: path.join(data, manifest.files.products),
    substitutes: path.join(data, manifest.files.substitutes),
  };
  const common = { datasets, reference, week: WEEK, metrics: METRIC_NAMES };
  const out = await folder('out');
  // Tributary: the compute stage's own code, in-process, as the bench's baselines run it.
  await runBaseline({ ...common, outRoot: path.join(out, 'tributary'), width: 1 });
  tributary = baselineFiles(path.join(out, 'tributary'));
  perDataset = await runDuckdb({ ...common, mode: 'per-dataset', outRoot: path.join(out, 'duckdb') });
  singleQuery = await runDuckdb({
    ...common,
    mode: 'single-query',
    outRoot: path.join(out, 'duckdb-single-query'),
    globs: {
      transactions: path.join(data, 'sales/*/transactions.parquet'),
      stock: path.join(data, 'sales/*/stock.parquet'),
    },
  });
});

afterAll(async () => {
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
});

const compare = (candidate: OutputFiles) =>
  crossCheck({
    datasets: datasets.map((d) => d.name),
    tables: TABLES,
    reference: tributary,
    candidate,
    referenceLabel: "Tributary's compute",
  });

/** Both files of a table hold the same columns, types and rows in the same order, floats within the tolerance. */
function expectSameInOrder(reference: string, candidate: string): void {
  const [a, b] = [pl.readParquet(reference), pl.readParquet(candidate)];
  expect(schemaOf(b)).toEqual(schemaOf(a));
  expect(b.height).toBe(a.height);
  const floats = a.columns.filter((c) => schemaOf(a)[c] === 'Float64');
  const exact = a.columns.filter((c) => !floats.includes(c));
  expect(b.select(...exact).frameEqual(a.select(...exact)), `${candidate}: ${exact.join(', ')}`).toBe(true);
  for (const column of floats) {
    const xs = a.getColumn(column).toArray() as (number | null)[];
    const ys = b.getColumn(column).toArray() as (number | null)[];
    const outside = xs.filter((x, i) => {
      const y = ys[i]!;
      if (x === null || y === null) return x !== y;
      return Math.abs(x - y) > TOLERANCE * Math.max(1, Math.abs(x), Math.abs(y));
    });
    expect(outside, `${candidate}: ${column}`).toEqual([]);
  }
}

describe('the DuckDB baseline', () => {
  it('has SQL for exactly the tables each of its metrics declares in the registry', () => {
    const src = { transactions: 't', stock: 's', keys: [] };
    for (const name of Object.keys(SQL_METRICS) as (keyof typeof SQL_METRICS)[]) {
      const [sql] = metricsSql([name], src);
      expect(Object.keys(sql!.tables)).toEqual(Object.keys(METRICS[name].tables));
    }
    expect(() => metricsSql(['shelfAvailability'], src)).toThrow(/no SQL for metric shelfAvailability/);
  });

  it('per dataset: the same tables as Tributary, row for row in the same order', async () => {
    const check = await compare(perDataset.files);
    expect(check.equal, describeCheck(check)).toBe(true);
    for (const table of check.tables) {
      expect(table.rows.reference, table.table).toBeGreaterThan(datasets.length);
      expect(table.rows.matched).toBe(table.rows.reference);
    }
    // Float sums added in another order: equal to about 1e-15 here, far inside the tolerance.
    expect(Object.values(check.tables[1]!.numeric).every((d) => d.maxScaled < 1e-12)).toBe(true);
    for (const dataset of datasets)
      for (const table of TABLES)
        expectSameInOrder(tributary(dataset.name, table)[0]!, perDataset.files(dataset.name, table)[0]!);
    expect(perDataset).toMatchObject({ datasets: 2, tables: 6 });
  });

  it('all datasets in one query: every dataset gets the same tables as Tributary', async () => {
    const check = await compare(singleQuery.files);
    expect(check.equal, describeCheck(check)).toBe(true);
    for (const table of check.tables) expect(table.missingFiles).toEqual({ reference: 0, candidate: 0 });
    expect(singleQuery.datasets).toBe(2);
    expect(singleQuery.rowsOut).toBe(perDataset.rowsOut);
  });

  it('computes the week only: rows of the weeks around it in the same files are left out', async () => {
    const south = pl.readParquet(datasets[1]!.files.transactions);
    expect(south.height).toBeGreaterThan(manifest.rows.south!.transactions);
    const units = (files: string[]) =>
      Number(
        pl
          .readParquet(files[0]!)
          .filter(pl.col('level').eq(pl.lit('category')))
          .getColumn('units')
          .sum(),
      );
    expect(units(tributary('south', 'hierarchy_sales'))).toBe(manifest.planted.regions.south!.totalUnits);
    expect(units(perDataset.files('south', 'hierarchy_sales'))).toBe(manifest.planted.regions.south!.totalUnits);
  });

  it('the cross-check fails outputs with a missing row, a figure off by 1e-6 or a column of another type', async () => {
    const changed = await folder('changed');
    const fileOf = (dataset: string, table: string) => path.join(changed, dataset, `${table}.parquet`);
    for (const dataset of datasets) {
      await mkdir(path.join(changed, dataset.name), { recursive: true });
      for (const table of TABLES)
        await copyFile(perDataset.files(dataset.name, table)[0]!, fileOf(dataset.name, table));
    }
    const detail = pl.readParquet(fileOf('north', 'lost_sales_detail'));
    const sizable = detail.filter(pl.col('expected_units').gt(1));
    const at = (row: unknown[]) =>
      pl
        .col('store_id')
        .eq(pl.lit(row[0] as number))
        .and(pl.col('product_id').eq(pl.lit(row[1] as number)));
    const [changedRow, droppedRow] = [at(sizable.row(0)), at(sizable.row(1))];
    detail
      .filter(droppedRow.not())
      .withColumns(
        pl
          .when(changedRow)
          .then(pl.col('expected_units').mul(1 + 1e-6))
          .otherwise(pl.col('expected_units'))
          .alias('expected_units'),
      )
      .writeParquet(fileOf('north', 'lost_sales_detail'));
    pl.readParquet(fileOf('south', 'hierarchy_sales'))
      .withColumns(pl.col('units').cast(pl.Float64))
      .writeParquet(fileOf('south', 'hierarchy_sales'));

    const check = await compare((dataset, table) => [fileOf(dataset, table)]);
    expect(check.equal).toBe(false);
    const [hierarchy, lost] = check.tables;
    expect(hierarchy!.equal).toBe(false);
    expect(hierarchy!.filesWithOtherColumns).toEqual({ reference: 0, candidate: 1 });
    expect(hierarchy!.numeric.units!.outside).toBe(0); // the values themselves still agree
    expect(lost!.rows.onlyInReference).toBe(1);
    expect(lost!.rows.onlyInCandidate).toBe(0);
    expect(lost!.numeric.expected_units!.outside).toBe(1);
    expect(lost!.numeric.expected_units!.maxRel).toBeCloseTo(1e-6 / (1 + 1e-6), 9);
    expect(check.tables[2]!.equal).toBe(true);
    expect(describeCheck(check)).toMatch(
      /^NOT equal .*hierarchy_sales: .*files with other columns: 0 of the reference's, 1 of DuckDB's.*1 rows only in the reference.*expected_units: 1 values outside/,
    );
  });
});
