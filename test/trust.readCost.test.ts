/**
 * The read stage's cost on small datasets. Building nodejs-polars expressions and plans costs
 * milliseconds of main-thread work each, whatever the data size; on a tiny dataset that dominated
 * the read (3x the cost before the quality checks). A small file is read once into memory and
 * checked in plain JS, so reading a tiny dataset builds no polars expression and scans nothing;
 * a big file is scanned with expressions built once per week, input and rules.
 */
import path from 'node:path';
import pl from 'nodejs-polars';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatasetRef } from '../common/types';
import { readDataset } from '../activities/read';
import { generateRetailWeek } from '../datagen';
import { tempDir } from './helpers/parquet';

const WEEK = '2026-11-16';
const TINY = { regions: 2, stores: 2, products: 4, days: 7, seed: 4, week: WEEK, substitutionShare: 0.6, stockoutRate: 0.3 };
let tiny: DatasetRef[];

beforeAll(async () => {
  const data = await tempDir('tributary-read-cost-');
  const manifest = await generateRetailWeek({ out: data, ...TINY });
  tiny = manifest.regions.map((name) => ({
    name,
    dir: path.join(data, 'sales', name),
    files: { transactions: path.join(data, 'sales', name, 'transactions.parquet'), stock: path.join(data, 'sales', name, 'stock.parquet') },
  }));
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('reading a tiny dataset', () => {
  it('builds no polars expression and scans no file, and still counts every row of the week', async () => {
    const scans = vi.spyOn(pl, 'scanParquet');
    const columns = vi.spyOn(pl, 'col');
    const counted = vi.spyOn(pl, 'len');
    const read = await readDataset(tiny[0]!, WEEK, {});
    expect(read.rowsIn).toEqual({ transactions: expect.any(Number), stock: 2 * 4 * 7 });
    expect(read.rowsIn.transactions).toBeGreaterThan(0);
    expect(read.warnings).toEqual([]);
    expect({ scans: scans.mock.calls.length, columns: columns.mock.calls.length, counted: counted.mock.calls.length })
      .toEqual({ scans: 0, columns: 0, counted: 0 });
  });
});
