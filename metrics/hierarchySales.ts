/**
 * Hierarchy sales: units, revenue and active products (products that sold at least one unit) per
 * category, subcategory and brand. Sales of a product missing from the reference data are kept under
 * "(unknown)", so each level's totals always equal the raw sums.
 */
import pl from 'nodejs-polars';
import { defineMetric } from './metric';

export const HIERARCHY_LEVELS = ['category', 'subcategory', 'brand'] as const;
export type HierarchyLevel = (typeof HIERARCHY_LEVELS)[number];

/**
 * Each product's week: units, revenue and whether it sold (any row with units > 0), with its place
 * in the hierarchy. Every level rolls up from these few rows (one per product, not one per sale):
 * the sales are read once for all three levels.
 */
export function productWeek(transactions: pl.LazyDataFrame, products: pl.LazyDataFrame, keys: readonly string[] = []) {
  return transactions
    .groupBy([...keys, 'product_id'])
    .agg(
      pl.col('units').cast(pl.Int64).sum().alias('units'),
      pl.col('revenue').cast(pl.Float64).sum().alias('revenue'),
      pl.col('units').max().gt(0).alias('sold'),
    )
    .join(products.select('product_id', ...HIERARCHY_LEVELS), { on: 'product_id', how: 'left' })
    .withColumns(...HIERARCHY_LEVELS.map((level) => pl.col(level).fillNull(pl.lit('(unknown)'))));
}

/** Totals for one level, with `level` and `key` columns so all levels stack into one table. */
export function totalsBy(level: HierarchyLevel, keys: readonly string[] = []) {
  return (week: pl.LazyDataFrame): pl.LazyDataFrame =>
    week
      .groupBy([...keys, level])
      .agg(
        pl.col('units').sum().alias('units'),
        pl.col('revenue').sum().alias('revenue'),
        pl.col('sold').cast(pl.Int64).sum().alias('active_products'),
      )
      .select(...keys, pl.lit(level).alias('level'), pl.col(level).alias('key'), 'units', 'revenue', 'active_products')
      .sort([...keys, 'key']);
}

/** `keys`: extra columns to total within (a batch of datasets computes all of them at once). */
export function hierarchySales(
  transactions: pl.LazyDataFrame,
  products: pl.LazyDataFrame,
  keys: readonly string[] = [],
): pl.LazyDataFrame {
  const week = productWeek(transactions, products, keys).cache();
  return pl.concat(
    HIERARCHY_LEVELS.map((level) => totalsBy(level, keys)(week)),
    { how: 'vertical' },
  );
}

export const hierarchySalesMetric = defineMetric({
  name: 'hierarchySales',
  title: 'Sales by product hierarchy',
  inputs: ['transactions', 'products'],
  tables: {
    hierarchy_sales: {
      key: ['level', 'key'],
      // Each level's rows cover all sales: one level is the whole total.
      totals: { where: { column: 'level', equals: 'category' }, sums: { units: 'units', revenue: 'revenue' } },
      merge: {
        shardKey: 'store_id',
        rows: 'combine',
        additive: ['units', 'revenue'],
        // A product active in two stores is one active product.
        distinct: { active_products: 'product_id' },
      },
    },
  },
  compute: (inputs, keys) => ({ hierarchy_sales: hierarchySales(inputs.transactions, inputs.products, keys) }),
});
