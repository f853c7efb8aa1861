/**
 * On-shelf availability on a small hand-made week, where every figure can be worked out by hand.
 * Two stores, 4 days, products 1 and 2 (Beverages) and 3 (Household) in the reference data, 9 not.
 */
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { lazyTables } from '../metrics/metric';
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
    .withColumns(
      pl.col('date').cast(pl.Int32).cast(pl.Date),
      pl.col('store_id').cast(pl.Int32),
      pl.col('product_id').cast(pl.Int32),
    )
    .lazy();
}

/** One sale of `units` on day 0 per (store, product, units). */
function transactions(rows: [number, number, number][]) {
  return pl
    .DataFrame({ store_id: rows.map((r) => r[0]), product_id: rows.map((r) => r[1]), units: rows.map((r) => r[2]) })
    .withColumns(...['store_id', 'product_id', 'units'].map((c) => pl.col(c).cast(pl.Int32)))
    .lazy();
}

describe('shelfAvailability', () => {
  it('counts shelf, in-stock and lost sales days per category and store; an unsold product loses none', async () => {
    // Store 1: product 1 out 2 days and sells; product 3 out 1 day but sold nothing there.
    // Store 2: product 2 out 1 day and sells; product 9 (not in the reference) out 4 days.
    const inputs = {
      stock: stock(
        [
          [1, 1],
          [1, 3],
          [2, 2],
          [2, 9],
        ],
        [
          [1, 1, 0],
          [1, 1, 1],
          [1, 3, 2],
          [2, 2, 3],
          [2, 9, 0],
          [2, 9, 1],
          [2, 9, 2],
          [2, 9, 3],
        ],
      ),
      transactions: transactions([
        [1, 1, 5],
        [1, 3, 0],
        [2, 2, 2],
        [2, 9, 1],
      ]),
      products,
    };

    const tables = lazyTables(shelfAvailabilityMetric.compute(inputs));
    const byCategory = (await tables.shelf_availability_by_category.collect()).toRecords();
    const byStore = (await tables.shelf_availability_by_store.collect()).toRecords();

    // [shelf days, in-stock days, availability, lost sales days, products with gaps]
    const figures = (r: Record<string, unknown>) => [
      r.shelf_days,
      r.in_stock_days,
      r.availability,
      r.lost_sales_days,
      r.products_with_gaps,
    ];
    expect(byCategory.map((r) => [r.category, ...figures(r)])).toEqual([
      ['(unknown)', 4, 0, 0, 4, 1],
      ['Beverages', 8, 5, 5 / 8, 3, 2],
      ['Household', 4, 3, 3 / 4, 0, 1],
    ]);
    expect(byStore.map((r) => [r.store_id, ...figures(r)])).toEqual([
      [1, 8, 5, 5 / 8, 2, 2],
      [2, 8, 3, 3 / 8, 5, 2],
    ]);
    const columns = ['shelf_days', 'in_stock_days', 'availability', 'lost_sales_days', 'products_with_gaps'];
    expect(Object.keys(byCategory[0]!)).toEqual(['category', ...columns]);
  });
});
