/**
 * Null counts from parquet footers, on real files written by nodejs-polars: they agree with
 * polars' own count (one row group or many), columns without statistics are left to a scan, a
 * file that is not parquet gives no counts; and the read stage reports the same NullValues error
 * whether the counts came from the footer or from the scan.
 */
import { readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import { footerNullCounts } from '../activities/parquetFooter';
import { readDataset, readReferenceFiles } from '../activities/read';
import { tempDir } from './helpers/parquet';

let dir: string;
const WEEK = '2026-11-16';
const ROWS = 10_000;

/** A week of transactions with nulls planted: product_id every 7th row, revenue every 100th. */
function transactions(): pl.DataFrame {
  const day0 = Date.UTC(2026, 10, 16);
  const ids = Array.from({ length: ROWS }, (_, i) => i);
  return pl.DataFrame({
    date: pl.Series(
      'date',
      ids.map((i) => new Date(day0 + (i % 10) * 86_400_000)),
      pl.Date,
    ),
    store_id: pl.Series(
      'store_id',
      ids.map((i) => i % 5),
      pl.Int32,
    ),
    product_id: pl.Series(
      'product_id',
      ids.map((i) => (i % 7 === 0 ? null : i % 60)),
      pl.Int32,
    ),
    units: pl.Series(
      'units',
      ids.map(() => 1),
      pl.Int32,
    ),
    revenue: pl.Series(
      'revenue',
      ids.map((i) => (i % 100 === 0 ? null : 2.5)),
      pl.Float64,
    ),
    promo: pl.Series(
      'promo',
      ids.map((i) => i % 2 === 0),
      pl.Bool,
    ),
  });
}

function stock(): pl.DataFrame {
  const day0 = Date.UTC(2026, 10, 16);
  const ids = Array.from({ length: 700 }, (_, i) => i);
  return pl.DataFrame({
    date: pl.Series(
      'date',
      ids.map((i) => new Date(day0 + (i % 7) * 86_400_000)),
      pl.Date,
    ),
    store_id: pl.Series(
      'store_id',
      ids.map((i) => i % 5),
      pl.Int32,
    ),
    // With date i % 7 and store i % 5, i / 35 makes each (date, store_id, product_id) appear once: the stock key.
    product_id: pl.Series(
      'product_id',
      ids.map((i) => Math.floor(i / 35)),
      pl.Int32,
    ),
    in_stock: pl.Series(
      'in_stock',
      ids.map(() => true),
      pl.Bool,
    ),
  });
}

const polarsNulls = (df: pl.DataFrame) => new Map(df.columns.map((c) => [c, df.getColumn(c).nullCount()]));

beforeAll(async () => {
  dir = await tempDir('tributary-footer-');
});

describe('footerNullCounts', () => {
  it('matches polars null counts for a file written with statistics', async () => {
    const df = transactions();
    const file = path.join(dir, 'with-stats.parquet');
    df.writeParquet(file);
    const counts = await footerNullCounts(file);
    expect(counts).toEqual(polarsNulls(df));
    expect(counts?.get('product_id')).toBe(Math.ceil(ROWS / 7));
    expect(counts?.get('revenue')).toBe(ROWS / 100);
  });

  it('sums the counts of every row group', async () => {
    const df = transactions();
    const file = path.join(dir, 'row-groups.parquet');
    await df.lazy().sinkParquet(file, { statistics: true, rowGroupSize: 1_000 }).collect();
    const counts = await footerNullCounts(file);
    expect(counts).toEqual(polarsNulls(df));
  });

  it('leaves out columns whose statistics are missing, so the reader counts them itself', async () => {
    const file = path.join(dir, 'no-stats.parquet');
    await transactions().lazy().sinkParquet(file, { statistics: false }).collect();
    const counts = await footerNullCounts(file);
    expect(counts).toBeDefined();
    expect(counts?.has('product_id')).toBe(false);
    expect(counts?.has('revenue')).toBe(false);
  });

  it('gives no counts for a file that is not parquet or is cut short', async () => {
    const text = path.join(dir, 'not.parquet');
    await writeFile(text, 'date,store_id\n2026-11-16,1\n');
    expect(await footerNullCounts(text)).toBeUndefined();
    const good = path.join(dir, 'good.parquet');
    transactions().writeParquet(good);
    const whole = await readFile(good);
    const cut = path.join(dir, 'cut.parquet');
    // The magic and length stay, the footer they point to is garbage.
    await writeFile(
      cut,
      Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 0xff), whole.subarray(whole.length - 8)]),
    );
    expect(await footerNullCounts(cut)).toBeUndefined();
  });
});

describe('read stage null check', () => {
  it('reports the same NullValues error whether the counts come from the footer or from a scan', async () => {
    const stockFile = path.join(dir, 'stock.parquet');
    stock().writeParquet(stockFile);
    const messages: string[] = [];
    for (const statistics of [true, false]) {
      const file = path.join(dir, `transactions-${statistics}.parquet`);
      await transactions().lazy().sinkParquet(file, { statistics }).collect();
      const failure = await readDataset(
        { name: 'north', dir, files: { transactions: file, stock: stockFile } },
        WEEK,
      ).then(
        () => undefined,
        (err: unknown) => err as { type?: string; message: string },
      );
      expect(failure?.type).toBe('NullValues');
      messages.push(failure!.message.replace(file, '<file>'));
    }
    expect(messages[0]).toBe(messages[1]);
    expect(messages[0]).toContain(`column "product_id" has ${Math.ceil(ROWS / 7)} null rows`);
    expect(messages[0]).toContain(`column "revenue" has ${ROWS / 100} null rows`);
  });

  it('counts the week rows with the nulls taken from the footer', async () => {
    const file = path.join(dir, 'clean.parquet');
    const stockFile = path.join(dir, 'stock-clean.parquet');
    transactions()
      .withColumns(pl.col('product_id').fillNull(0).cast(pl.Int32), pl.col('revenue').fillNull(0))
      .writeParquet(file);
    stock().writeParquet(stockFile);
    const result = await readDataset({ name: 'north', dir, files: { transactions: file, stock: stockFile } }, WEEK);
    // Days 0-9 cycle over the rows; the week is days 0-6.
    expect(result.rowsIn).toEqual({ transactions: ROWS * 0.7, stock: 700 });
  });
});

describe('reference check', () => {
  it('checks shared reference files once per version: concurrent datasets share one check, a changed file is checked again', async () => {
    const products = path.join(dir, 'products.parquet');
    const substitutes = path.join(dir, 'substitutes.parquet');
    pl.DataFrame({
      product_id: pl.Series('product_id', [1, 2, 3], pl.Int32),
      name: ['a', 'b', 'c'],
      category: ['x', 'x', 'y'],
      subcategory: ['x1', 'x1', 'y1'],
      brand: ['p', 'q', 'r'],
      price: [1.5, 2.5, 3.5],
    }).writeParquet(products);
    pl.DataFrame({
      product_id: pl.Series('product_id', [1], pl.Int32),
      substitute_id: pl.Series('substitute_id', [2], pl.Int32),
      strength: [0.5],
    }).writeParquet(substitutes);
    const loads: string[] = [];
    const load = (file: string) => {
      loads.push(file);
      return pl.scanParquet(file).collect();
    };
    const results = await Promise.all(
      Array.from({ length: 6 }, () => readReferenceFiles({ products, substitutes }, load)),
    );
    expect(loads).toEqual([products, substitutes]);
    expect(results.every((r) => r.rows.products === 3 && r.rows.substitutes === 1)).toBe(true);
    // A new version of products (duplicate keys now) is checked again, and fails.
    pl.DataFrame({
      product_id: pl.Series('product_id', [1, 1, 3], pl.Int32),
      name: ['a', 'b', 'c'],
      category: ['x', 'x', 'y'],
      subcategory: ['x1', 'x1', 'y1'],
      brand: ['p', 'q', 'r'],
      price: [1.5, 2.5, 3.5],
    }).writeParquet(products);
    await utimes(products, new Date(), new Date(Date.now() + 5_000));
    await expect(readReferenceFiles({ products, substitutes }, load)).rejects.toThrow(
      /column "product_id" has 2 rows with duplicate keys/,
    );
    expect(loads).toHaveLength(3);
  });
});
