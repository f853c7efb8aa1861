/**
 * On-shelf availability: the share of store-product-days a product was in stock, per category and
 * per store, and its lost sales days: days a product was out in a store where it sold that week, so
 * the gap cost sales (a product out all week, or one nobody buys there, costs none that shows).
 * Each stock row is one store-product-day; products missing from the reference data count under
 * "(unknown)", so each table's days always add up to the stock table's rows.
 */
import pl from 'nodejs-polars';
import { defineMetric } from './metric';

type Keys = readonly string[];

/** Each stock row with its product's category and whether the product sold in that store this week. */
export function shelfDays(
  stock: pl.LazyDataFrame,
  transactions: pl.LazyDataFrame,
  products: pl.LazyDataFrame,
  keys: Keys = [],
): pl.LazyDataFrame {
  const pair = [...keys, 'store_id', 'product_id'];
  const sells = transactions
    .filter(pl.col('units').gt(0))
    .select(...pair)
    .unique()
    .withColumns(pl.lit(true).alias('sells'));
  return stock
    .select(...pair, 'in_stock')
    .join(sells, { on: pair, how: 'left' })
    .join(products.select('product_id', 'category'), { on: 'product_id', how: 'left' })
    .withColumns(pl.col('category').fillNull(pl.lit('(unknown)')), pl.col('sells').fillNull(pl.lit(false)));
}

/** Availability figures per `column` (category, store_id). */
export function availabilityBy(column: string, keys: Keys = []) {
  const out = pl.col('in_stock').not();
  return (days: pl.LazyDataFrame): pl.LazyDataFrame =>
    days
      .groupBy([...keys, column])
      .agg(
        pl.len().cast(pl.Int64).alias('shelf_days'),
        pl.col('in_stock').cast(pl.Int64).sum().alias('in_stock_days'),
        out.and(pl.col('sells')).cast(pl.Int64).sum().alias('lost_sales_days'),
        pl.col('product_id').filter(out).nUnique().cast(pl.Int64).alias('products_with_gaps'),
      )
      .withColumns(
        pl
          .when(pl.col('shelf_days').gt(0))
          .then(pl.col('in_stock_days').cast(pl.Float64).div(pl.col('shelf_days').cast(pl.Float64)))
          .otherwise(pl.lit(null))
          .alias('availability'),
      )
      .select(...keys, column, 'shelf_days', 'in_stock_days', 'availability', 'lost_sales_days', 'products_with_gaps')
      .sort([...keys, column]);
}

export const shelfAvailabilityMetric = defineMetric({
  name: 'shelfAvailability',
  title: 'On-shelf availability',
  inputs: ['stock', 'transactions', 'products'],
  tables: {
    shelf_availability_by_category: {
      key: ['category'],
      totals: {
        sums: { shelf_days: 'shelf_days', in_stock_days: 'in_stock_days', lost_sales_days: 'lost_sales_days' },
        ratios: { availability: ['in_stock_days', 'shelf_days'] },
      },
      merge: {
        shardKey: 'store_id',
        rows: 'combine',
        additive: ['shelf_days', 'in_stock_days', 'lost_sales_days'],
        // A product out in two stores is one product with gaps.
        distinct: { products_with_gaps: 'product_id' },
        ratios: { availability: ['in_stock_days', 'shelf_days'] },
      },
    },
    shelf_availability_by_store: { key: ['store_id'], merge: { shardKey: 'store_id', rows: 'disjoint' } },
  },
  compute: (inputs, keys) => {
    const days = shelfDays(inputs.stock, inputs.transactions, inputs.products, keys);
    return {
      shelf_availability_by_category: availabilityBy('category', keys)(days),
      shelf_availability_by_store: availabilityBy('store_id', keys)(days),
    };
  },
});
