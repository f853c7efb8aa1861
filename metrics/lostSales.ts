/**
 * Sales lost to substitutes. For each store and product with stock-out days:
 * - expected units: the product's mean daily units on its clean days (in stock, and no product it
 *   substitutes for out of stock, so the mean is not inflated by borrowed demand), times its
 *   stock-out days;
 * - substitute uplift: what its in-stock substitutes sold above their own clean-day means on those days;
 * - substituted units: its part of that uplift. When several products out on the same day share a
 *   substitute, the uplift is split in proportion to weight x expected units, weight being the
 *   substitute's normalised strength (strength / sum of the product's strengths);
 * - lost units: expected minus substituted.
 * Every figure is a sum over rows of the detail table, so each can be traced back to its inputs.
 * Uplift is measured, not clamped: daily noise can make a small one negative.
 */
import pl from 'nodejs-polars';
import { pipe } from './pipe';

const DAY_KEYS = ['date', 'store_id', 'product_id'];

/** One row per date, store and product from the stock table, with the units sold that day (0 if none). */
export function withDailyUnits(transactions: pl.LazyDataFrame) {
  const sold = transactions.groupBy(DAY_KEYS).agg(pl.col('units').cast(pl.Float64).sum().alias('units'));
  return (stock: pl.LazyDataFrame): pl.LazyDataFrame =>
    stock
      .select(...DAY_KEYS, 'in_stock')
      .join(sold, { on: DAY_KEYS, how: 'left' })
      .withColumns(pl.col('units').fillNull(pl.lit(0)));
}

/** product_id, substitute_id, weight: each product's substitute strengths normalised to sum to 1. */
export function substituteWeights(substitutes: pl.LazyDataFrame): pl.LazyDataFrame {
  return substitutes
    .filter(pl.col('product_id').neq(pl.col('substitute_id')).and(pl.col('strength').gt(0)))
    .select(
      'product_id',
      'substitute_id',
      pl.col('strength').cast(pl.Float64).div(pl.col('strength').cast(pl.Float64).sum().over('product_id')).alias('weight'),
    );
}

/** date, store_id, product_id of every stock-out. */
export function outages(daily: pl.LazyDataFrame): pl.LazyDataFrame {
  return daily.filter(pl.col('in_stock').not()).select(...DAY_KEYS);
}

/** Flags each day `clean`: in stock, and none of the products it substitutes for is out. */
export function withCleanDays(weights: pl.LazyDataFrame) {
  return (daily: pl.LazyDataFrame): pl.LazyDataFrame => {
    const borrowing = outages(daily)
      .join(weights, { on: 'product_id' })
      .select('date', 'store_id', pl.col('substitute_id').alias('product_id'), pl.lit(true).alias('borrowing'))
      .unique();
    return daily
      .join(borrowing, { on: DAY_KEYS, how: 'left' })
      .withColumns(pl.col('in_stock').and(pl.col('borrowing').isNull()).alias('clean'))
      .drop('borrowing');
  };
}

/** store_id, product_id, baseline (mean units on clean days), clean_days. */
export function baselines(daily: pl.LazyDataFrame): pl.LazyDataFrame {
  return daily
    .filter(pl.col('clean'))
    .groupBy(['store_id', 'product_id'])
    .agg(pl.col('units').mean().alias('baseline'), pl.len().cast(pl.Int64).alias('clean_days'));
}

/**
 * One row per stock-out day and substitute: the substitute's uplift that day and the part of it
 * attributed to this product.
 */
export function substitutionEvents(daily: pl.LazyDataFrame, weights: pl.LazyDataFrame, base: pl.LazyDataFrame): pl.LazyDataFrame {
  const substituteDay = daily.select(
    'date',
    'store_id',
    pl.col('product_id').alias('substitute_id'),
    pl.col('in_stock').alias('substitute_in_stock'),
    pl.col('units').alias('substitute_units'),
  );
  const substituteBase = base.select('store_id', pl.col('product_id').alias('substitute_id'), pl.col('baseline').alias('substitute_baseline'));
  const claim = pl.col('weight').mul(pl.col('baseline').fillNull(pl.lit(0)));
  return outages(daily)
    .join(weights, { on: 'product_id' })
    .join(base.select('store_id', 'product_id', 'baseline'), { on: ['store_id', 'product_id'], how: 'left' })
    .join(substituteDay, { on: ['date', 'store_id', 'substitute_id'], how: 'left' })
    .join(substituteBase, { on: ['store_id', 'substitute_id'], how: 'left' })
    .withColumns(
      pl
        .when(pl.col('substitute_in_stock').and(pl.col('substitute_baseline').isNotNull()))
        .then(pl.col('substitute_units').sub(pl.col('substitute_baseline')))
        .otherwise(pl.lit(0))
        .alias('uplift'),
      claim.alias('claim'),
    )
    .withColumns(
      pl
        .when(pl.col('claim').gt(0))
        .then(pl.col('uplift').mul(pl.col('claim')).div(pl.col('claim').sum().over('date', 'store_id', 'substitute_id')))
        .otherwise(pl.lit(0))
        .alias('substituted'),
    );
}

/** One row per store and product with stock-out days: the figures described at the top of this file. */
export function lostSalesDetail(inputs: {
  transactions: pl.LazyDataFrame;
  stock: pl.LazyDataFrame;
  products: pl.LazyDataFrame;
  substitutes: pl.LazyDataFrame;
}): pl.LazyDataFrame {
  const weights = substituteWeights(inputs.substitutes);
  const daily = pipe(inputs.stock, withDailyUnits(inputs.transactions), withCleanDays(weights)).cache();
  const base = baselines(daily);
  const perProduct = substitutionEvents(daily, weights, base)
    .groupBy(['store_id', 'product_id'])
    .agg(pl.col('uplift').sum().alias('substitute_uplift'), pl.col('substituted').sum().alias('substituted_units'));
  return outages(daily)
    .groupBy(['store_id', 'product_id'])
    .agg(pl.len().cast(pl.Int64).alias('stockout_days'))
    .join(base, { on: ['store_id', 'product_id'], how: 'left' })
    .join(perProduct, { on: ['store_id', 'product_id'], how: 'left' })
    .join(inputs.products.select('product_id', 'name', 'category', 'subcategory'), { on: 'product_id', how: 'left' })
    .select(
      'store_id',
      'product_id',
      pl.col('name'),
      pl.col('category').fillNull(pl.lit('(unknown)')),
      pl.col('subcategory').fillNull(pl.lit('(unknown)')),
      'stockout_days',
      pl.col('clean_days').fillNull(pl.lit(0)),
      pl.col('baseline').fillNull(pl.lit(0)).alias('expected_daily_units'),
      pl.col('baseline').fillNull(pl.lit(0)).mul(pl.col('stockout_days')).alias('expected_units'),
      pl.col('substitute_uplift').fillNull(pl.lit(0)),
      pl.col('substituted_units').fillNull(pl.lit(0)),
    )
    .withColumns(pl.col('expected_units').sub(pl.col('substituted_units')).alias('lost_units'))
    .sort(['store_id', 'product_id']);
}

/** The detail rolled up by category, with the share of expected units that went to substitutes. */
export function lostSalesByCategory(detail: pl.LazyDataFrame, keys: string[] = []): pl.LazyDataFrame {
  return detail
    .groupBy([...keys, 'category'])
    .agg(
      pl.len().cast(pl.Int64).alias('products_out'),
      pl.col('stockout_days').sum().alias('stockout_days'),
      pl.col('expected_units').sum().alias('expected_units'),
      pl.col('substitute_uplift').sum().alias('substitute_uplift'),
      pl.col('substituted_units').sum().alias('substituted_units'),
      pl.col('lost_units').sum().alias('lost_units'),
    )
    .withColumns(
      pl
        .when(pl.col('expected_units').gt(0))
        .then(pl.col('substituted_units').div(pl.col('expected_units')))
        .otherwise(pl.lit(null))
        .alias('substitution_share'),
    )
    .sort([...keys, 'category']);
}
