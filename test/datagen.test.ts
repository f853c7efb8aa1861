/** The sample-data generator: deterministic, typed as declared, and its planted effects recoverable. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import { fileSchema } from '../activities/parquet';
import { datagenProblems, DATAGEN_DEFAULTS, generateRetailWeek, type Manifest } from '../datagen';
import { METRICS } from '../metrics';
import { lazyTables } from '../metrics/metric';
import { INPUT_SCHEMAS, schemaProblems } from '../metrics/schemas';
import { tempDir } from './helpers/parquet';

const SMALL = { ...DATAGEN_DEFAULTS, regions: 2, stores: 8, products: 100, seed: 7 };
let dir: string;
let manifest: Manifest;

beforeAll(async () => {
  dir = await tempDir('tributary-datagen-');
  manifest = await generateRetailWeek({ ...SMALL, out: dir });
});

describe('generateRetailWeek', () => {
  it('writes every file with the declared schema and the manifest’s row counts', async () => {
    expect(manifest.regions).toEqual(['north', 'south']);
    const ref = { products: manifest.files.products, substitutes: manifest.files.substitutes };
    for (const [input, file] of Object.entries(ref)) {
      expect(schemaProblems(await fileSchema(path.join(dir, file)), INPUT_SCHEMAS[input as keyof typeof ref])).toEqual(
        [],
      );
    }
    for (const region of manifest.regions) {
      const files = manifest.files.sales[region]!;
      expect(schemaProblems(await fileSchema(path.join(dir, files.transactions)), INPUT_SCHEMAS.transactions)).toEqual(
        [],
      );
      expect(schemaProblems(await fileSchema(path.join(dir, files.stock)), INPUT_SCHEMAS.stock)).toEqual([]);
      const stock = pl.readParquet(path.join(dir, files.stock));
      const tx = pl.readParquet(path.join(dir, files.transactions));
      expect(stock.height).toBe(SMALL.days * SMALL.stores * SMALL.products);
      expect(tx.height).toBe(manifest.rows[region]!.transactions);
      expect(Number(tx.getColumn('units').min())).toBeGreaterThan(0);
      expect(Number(tx.getColumn('units').sum())).toBe(manifest.planted.regions[region]!.totalUnits);
      expect(Number(tx.getColumn('revenue').sum())).toBeCloseTo(manifest.planted.regions[region]!.totalRevenue, 2);
    }
  });

  it('is deterministic: the same seed writes the same data, another seed different data', async () => {
    const again = await tempDir('tributary-datagen-');
    const other = await tempDir('tributary-datagen-');
    const second = await generateRetailWeek({ ...SMALL, out: again });
    await generateRetailWeek({ ...SMALL, seed: 8, out: other });
    expect(second.planted).toEqual(manifest.planted);
    const frame = (root: string) => pl.readParquet(path.join(root, 'sales/south/transactions.parquet'));
    expect(frame(again).frameEqual(frame(dir))).toBe(true);
    expect(frame(other).frameEqual(frame(dir))).toBe(false);
    expect(JSON.parse(await readFile(path.join(again, 'manifest.json'), 'utf8'))).toEqual(manifest);
  });

  it('plants stock-outs whose substituted share the lost-sales metric recovers (within 5%)', async () => {
    for (const region of manifest.regions) {
      const files = manifest.files.sales[region]!;
      const tables = METRICS.lostSalesToSubstitutes.compute({
        transactions: pl.scanParquet(path.join(dir, files.transactions)),
        stock: pl.scanParquet(path.join(dir, files.stock)),
        products: pl.scanParquet(path.join(dir, manifest.files.products)),
        substitutes: pl.scanParquet(path.join(dir, manifest.files.substitutes)),
      });
      const detail = await lazyTables(tables).lost_sales_detail.collect();
      const planted = manifest.planted.regions[region]!;
      const sum = (column: string) => Number(detail.getColumn(column).sum());
      expect(planted.stockoutDays).toBeGreaterThan(50);
      expect(sum('stockout_days')).toBe(planted.stockoutDays);
      expect(sum('expected_units') / planted.expectedUnits).toBeCloseTo(1, 1);
      expect(Math.abs(sum('substituted_units') / planted.substitutedUnits - 1)).toBeLessThan(0.05);
    }
  });
});

describe('datagenProblems', () => {
  it('names each bad option', () => {
    expect(datagenProblems({ ...DATAGEN_DEFAULTS, regions: 0, days: 9, stockoutRate: 2, week: '16/11/2026' })).toEqual([
      'regions must be a whole number from 1 to 10000, got 0',
      'days must be a whole number from 1 to 7, got 9',
      'stockoutRate must be between 0 and 1, got 2',
      'week "16/11/2026" is not a date: give the Monday of the week as YYYY-MM-DD, e.g. 2026-11-16',
    ]);
    expect(datagenProblems(DATAGEN_DEFAULTS)).toEqual([]);
  });
});
