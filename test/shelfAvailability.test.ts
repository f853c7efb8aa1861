/**
 * On-shelf availability on a small hand-made week, where every figure can be worked out by hand.
 * Two stores, 4 days, products 1 and 2 (Beverages) and 3 (Household) in the reference data, 9 not.
 */
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { shelfAvailabilityMetric } from '../metrics/shelfAvailability';

const DAY = 20_000; // days since 1970-01-01
const products = pl
  .DataFrame({ product_id: [1, 2, 3], category: ['Beverages', 'Beverages', 'Household'] })
  .withColumn(pl.col('product_id').cast(pl.Int32))
  .lazy();

/** Stock for 4 days of the given (store, product) pairs, with the given (store, product, day) out. */
function stock(pairs: [number, number][], out: [number, number, number][]) {
  const rows = pairs.flatMap(([store, product]) => [0, 1, 2, 3].map((day) => ({ store, product, day })));
  return pl
    .DataFrame({
      date: rows.map((r) => DAY + r.day),
      store_id: rows.map((r) => r.store),
      product_id: rows.map((r) => r.product),
      in_stock: rows.map((r) => !out.some(([s, p, d]) => s === r.store && p === r.product && d === r.day)),
    })
    .withColumns(pl.col('date').cast(pl.Int32).cast(pl.Date), pl.col('store_id').cast(pl.Int32), pl.col('product_id').cast(pl.Int32))
    .lazy();
}

/** One sale of `units` on day 0 per (store, product, units). */
function transactions(rows: [number, number, number][]) {
  return pl
    .DataFrame({ store_id: rows.map((r) => r[0]), product_id: rows.map((r) => r[1]), units: rows.map((r) => r[2]) })
    .withColumns(pl.col('store_id').cast(pl.Int32), pl.col('product_id').cast(pl.Int32), pl.col('units').cast(pl.Int32))
    .lazy();
}

describe('shelfAvailability', () => {
  it('counts shelf days, in-stock days and lost sales days per category and store; a product nobody buys loses none', async () => {
    // Store 1: product 1 out 2 days and sells; product 3 out 1 day but sold nothing there.
    // Store 2: product 2 out 1 day and sells; product 9 (not in the reference) out 4 days.
    const inputs = {
      stock: stock([[1, 1], [1, 3], [2, 2], [2, 9]], [[1, 1, 0], [1, 1, 1], [1, 3, 2], [2, 2, 3], [2, 9, 0], [2, 9, 1], [2, 9, 2], [2, 9, 3]]),
      transactions: transactions([[1, 1, 5], [1, 3, 0], [2, 2, 2], [2, 9, 1]]),
      products,
    };

    const tables = shelfAvailabilityMetric.compute(inputs);
    const byCategory = (await tables.shelf_availability_by_category.collect()).toRecords();
    const byStore = (await tables.shelf_availability_by_store.collect()).toRecords();

    expect(byCategory).toEqual([
      { category: '(unknown)', shelf_days: 4, in_stock_days: 0, availability: 0, lost_sales_days: 4, products_with_gaps: 1 },
      { category: 'Beverages', shelf_days: 8, in_stock_days: 5, availability: 5 / 8, lost_sales_days: 3, products_with_gaps: 2 },
      { category: 'Household', shelf_days: 4, in_stock_days: 3, availability: 3 / 4, lost_sales_days: 0, products_with_gaps: 1 },
    ]);
    expect(byStore).toEqual([
      { store_id: 1, shelf_days: 8, in_stock_days: 5, availability: 5 / 8, lost_sales_days: 2, products_with_gaps: 2 },
      { store_id: 2, shelf_days: 8, in_stock_days: 3, availability: 3 / 8, lost_sales_days: 5, products_with_gaps: 2 },
    ]);
  });
});
