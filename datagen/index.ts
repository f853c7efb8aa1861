/**
 * `generateRetailWeek`: writes the sample retail week of DESIGN.md as parquet, seeded and
 * deterministic, plus a manifest of what it planted:
 *   reference/products.parquet, reference/substitutes.parquet,
 *   sales/<region>/transactions.parquet (rows with units > 0), sales/<region>/stock.parquet (every
 *   date x store x product), manifest.json (written last: its presence means the data is complete).
 * Each file is written under a temporary name, then renamed.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import type { DatasetRef, ReferenceRef } from '../common/types';
import { weekProblem } from '../common/week';
import { makeCatalog } from './catalog';
import { seeded } from './random';
import { makeRegion, revenueOf, type Planted } from './region';

export interface DatagenOptions {
  /** Folder to write into (created if missing). */
  out: string;
  regions: number;
  stores: number;
  products: number;
  /** Days of the week covered, starting on `week` (1..7). */
  days: number;
  seed: number;
  /** First day of the week, YYYY-MM-DD. */
  week: string;
  /** Share of a stocked-out product's demand that moves to its substitutes (0..1). */
  substitutionShare: number;
  /** Probability that a product runs out in a store during the week (0..1). */
  stockoutRate: number;
}

export const DATAGEN_DEFAULTS: Omit<DatagenOptions, 'out'> = {
  regions: 12,
  stores: 150,
  products: 1500,
  days: 7,
  seed: 42,
  week: '2026-11-16',
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};

/**
 * Datasets so small that reading or computing one is all fixed cost (plans, files, tasks): the size
 * the per-dataset overhead is measured and tested at. Add `regions`.
 */
export const TINY_DATASETS = {
  stores: 2,
  products: 4,
  days: 7,
  seed: 4,
  week: '2026-11-16',
  substitutionShare: 0.6,
  stockoutRate: 0.3,
} satisfies Partial<DatagenOptions>;

export interface Manifest {
  options: Omit<DatagenOptions, 'out'>;
  week: string;
  regions: string[];
  /** Paths relative to the data folder. */
  files: { products: string; substitutes: string; sales: Record<string, { transactions: string; stock: string }> };
  rows: Record<string, { transactions: number; stock: number }>;
  planted: { substitutionShare: number; regions: Record<string, Planted> };
}

/** The datasets of a sample generated into `root`, as a run plans them: one folder per region. */
export function datasetRefs(root: string, manifest: Pick<Manifest, 'regions' | 'files'>): DatasetRef[] {
  return manifest.regions.map((name) => {
    const files = manifest.files.sales[name]!;
    return {
      name,
      dir: path.join(root, 'sales', name),
      files: { transactions: path.join(root, files.transactions), stock: path.join(root, files.stock) },
    };
  });
}

/** The reference files of a sample generated into `root`. */
export function referenceRefs(root: string, manifest: Pick<Manifest, 'files'>): ReferenceRef {
  return {
    products: path.join(root, manifest.files.products),
    substitutes: path.join(root, manifest.files.substitutes),
  };
}

const REGION_NAMES = ['north', 'south', 'east', 'west', 'central', 'coastal', 'mountain', 'valley'];
const DAY_MS = 86_400_000;

export function regionName(index: number): string {
  return REGION_NAMES[index] ?? `region-${String(index + 1).padStart(2, '0')}`;
}

/** Problems with the options, each naming the option; empty when they are fine. */
export function datagenProblems(options: Omit<DatagenOptions, 'out'>): string[] {
  const problems: string[] = [];
  const whole = (name: keyof DatagenOptions, value: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (!Number.isInteger(value) || value < min || value > max)
      problems.push(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  };
  whole('regions', options.regions, 1, 10_000);
  whole('stores', options.stores, 1);
  whole('products', options.products, 2);
  whole('days', options.days, 1, 7);
  whole('seed', options.seed, 0, 2 ** 32 - 1);
  for (const name of ['substitutionShare', 'stockoutRate'] as const) {
    const value = options[name];
    if (!(value >= 0 && value <= 1)) problems.push(`${name} must be between 0 and 1, got ${value}`);
  }
  // The pipeline reads Monday-to-Sunday weeks: sample data starting on another day would be half missed.
  const week = weekProblem(options.week);
  if (week) problems.push(`week ${week}`);
  const cells = options.days * options.stores * options.products;
  if (cells > 200_000_000)
    problems.push(`days x stores x products is ${cells} rows per region; at most 200000000 fit in memory`);
  return problems;
}

async function writeParquetAtomically(df: pl.DataFrame, file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  df.writeParquet(tmp, { compression: 'zstd' });
  await rename(tmp, file);
}

const boolean = (name: string, values: Uint8Array) => pl.Series(name, values).cast(pl.Bool);
const date = (name: string, days: Int32Array) => pl.Series(name, days).cast(pl.Date);

export async function generateRetailWeek(
  options: DatagenOptions,
  log: (line: string) => void = () => {},
): Promise<Manifest> {
  const { out, ...settings } = options;
  const problems = datagenProblems(settings);
  if (problems.length > 0) throw new Error(`Invalid datagen options: ${problems.join('; ')}`);
  const catalog = makeCatalog(seeded(settings.seed), settings.products);
  const files: Manifest['files'] = {
    products: 'reference/products.parquet',
    substitutes: 'reference/substitutes.parquet',
    sales: {},
  };
  await writeParquetAtomically(
    pl.DataFrame(catalog.products).withColumn(pl.col('product_id').cast(pl.Int32)),
    path.join(out, files.products),
  );
  await writeParquetAtomically(
    pl
      .DataFrame(catalog.substitutes)
      .withColumns(pl.col('product_id').cast(pl.Int32), pl.col('substitute_id').cast(pl.Int32)),
    path.join(out, files.substitutes),
  );

  const { stores, products } = { ...settings, products: catalog.products.product_id.length };
  const firstDay = Math.round(Date.parse(`${settings.week}T00:00:00Z`) / DAY_MS);
  const regions: string[] = [];
  const rows: Manifest['rows'] = {};
  const planted: Manifest['planted'] = { substitutionShare: settings.substitutionShare, regions: {} };
  for (let r = 0; r < settings.regions; r++) {
    const region = regionName(r);
    const sales = makeRegion(seeded(settings.seed * 7919 + r + 1), catalog, settings);
    const cells = sales.units.length;
    const stock = { date: new Int32Array(cells), store: new Int32Array(cells), product: new Int32Array(cells) };
    let sold = 0;
    for (let i = 0; i < cells; i++) {
      stock.product[i] = (i % products) + 1;
      stock.store[i] = (Math.floor(i / products) % stores) + 1;
      stock.date[i] = firstDay + Math.floor(i / (products * stores));
      if (sales.units[i]! > 0) sold += 1;
    }
    const tx = {
      date: new Int32Array(sold),
      store: new Int32Array(sold),
      product: new Int32Array(sold),
      units: new Int32Array(sold),
      revenue: new Float64Array(sold),
      promo: new Uint8Array(sold),
    };
    let k = 0;
    for (let i = 0; i < cells; i++) {
      const units = sales.units[i]!;
      if (units === 0) continue;
      tx.date[k] = stock.date[i]!;
      tx.store[k] = stock.store[i]!;
      tx.product[k] = stock.product[i]!;
      tx.units[k] = units;
      tx.promo[k] = sales.promo[i]!;
      tx.revenue[k] = revenueOf(units, catalog.products.price[stock.product[i]! - 1]!, sales.promo[i] === 1);
      sales.planted.totalRevenue += tx.revenue[k]!;
      k += 1;
    }
    sales.planted.totalRevenue = Math.round(sales.planted.totalRevenue * 100) / 100;
    files.sales[region] = {
      transactions: `sales/${region}/transactions.parquet`,
      stock: `sales/${region}/stock.parquet`,
    };
    await writeParquetAtomically(
      pl.DataFrame([
        date('date', tx.date),
        pl.Series('store_id', tx.store),
        pl.Series('product_id', tx.product),
        pl.Series('units', tx.units),
        pl.Series('revenue', tx.revenue),
        boolean('promo', tx.promo),
      ]),
      path.join(out, files.sales[region].transactions),
    );
    await writeParquetAtomically(
      pl.DataFrame([
        date('date', stock.date),
        pl.Series('store_id', stock.store),
        pl.Series('product_id', stock.product),
        boolean('in_stock', sales.inStock),
      ]),
      path.join(out, files.sales[region].stock),
    );
    regions.push(region);
    rows[region] = { transactions: sold, stock: cells };
    planted.regions[region] = sales.planted;
    log(`  ${region}: ${sold} transactions, ${cells} stock rows`);
  }

  const manifest: Manifest = { options: settings, week: settings.week, regions, files, rows, planted };
  const manifestFile = path.join(out, 'manifest.json');
  await writeFile(`${manifestFile}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(`${manifestFile}.tmp`, manifestFile);
  return manifest;
}
