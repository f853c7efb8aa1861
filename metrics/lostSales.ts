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
 * `keys` (every function below): extra columns of the dataset inputs to compute within, as a batch
 * of datasets does (metrics/metric.ts); the reference data (products, substitutes) has none.
 */
import pl from 'nodejs-polars';
import { defineMetric, derived } from './metric';
import { pipe } from './pipe';

type Keys = readonly string[];
const DAY_KEYS = ['date', 'store_id', 'product_id'];
const PAIR = ['store_id', 'product_id'];

/** One row per date, store and product from the stock table, with the units sold that day (0 if none). */
export function withDailyUnits(transactions: pl.LazyDataFrame, keys: Keys = []) {
  const day = [...keys, ...DAY_KEYS];
  const sold = transactions.groupBy(day).agg(pl.col('units').cast(pl.Float64).sum().alias('units'));
  return (stock: pl.LazyDataFrame): pl.LazyDataFrame =>
    stock
      .select(...day, 'in_stock')
      .join(sold, { on: day, how: 'left' })
      .withColumns(pl.col('units').fillNull(pl.lit(0)));
}

/** product_id, substitute_id, weight: each product's substitute strengths normalised to sum to 1. */
export function substituteWeights(substitutes: pl.LazyDataFrame): pl.LazyDataFrame {
  return substitutes
    .filter(pl.col('product_id').neq(pl.col('substitute_id')).and(pl.col('strength').gt(0)))
    .select(
      'product_id',
      'substitute_id',
      pl
        .col('strength')
        .cast(pl.Float64)
        .div(pl.col('strength').cast(pl.Float64).sum().over('product_id'))
        .alias('weight'),
    );
}

/** date, store_id, product_id of every stock-out. */
export function outages(daily: pl.LazyDataFrame, keys: Keys = []): pl.LazyDataFrame {
  return daily.filter(pl.col('in_stock').not()).select(...keys, ...DAY_KEYS);
}

/** Flags each day `clean`: in stock, and none of the products it substitutes for is out. */
export function withCleanDays(weights: pl.LazyDataFrame, keys: Keys = []) {
  return (daily: pl.LazyDataFrame): pl.LazyDataFrame => {
    const borrowing = outages(daily, keys)
      .join(weights, { on: 'product_id' })
      .select(...keys, 'date', 'store_id', pl.col('substitute_id').alias('product_id'), pl.lit(true).alias('borrowing'))
      .unique();
    return daily
      .join(borrowing, { on: [...keys, ...DAY_KEYS], how: 'left' })
      .withColumns(pl.col('in_stock').and(pl.col('borrowing').isNull()).alias('clean'))
      .drop('borrowing');
  };
}

/** store_id, product_id, baseline (mean units on clean days), clean_days. */
export function baselines(daily: pl.LazyDataFrame, keys: Keys = []): pl.LazyDataFrame {
  return daily
    .filter(pl.col('clean'))
    .groupBy([...keys, ...PAIR])
    .agg(pl.col('units').mean().alias('baseline'), pl.len().cast(pl.Int64).alias('clean_days'));
}

/**
 * One row per stock-out day and substitute: the substitute's uplift that day and the part of it
 * attributed to this product.
 */
export function substitutionEvents(
  daily: pl.LazyDataFrame,
  weights: pl.LazyDataFrame,
  base: pl.LazyDataFrame,
  keys: Keys = [],
): pl.LazyDataFrame {
  const substituteDay = daily.select(
    ...keys,
    'date',
    'store_id',
    pl.col('product_id').alias('substitute_id'),
    pl.col('in_stock').alias('substitute_in_stock'),
    pl.col('units').alias('substitute_units'),
  );
  const substituteBase = base.select(
    ...keys,
    'store_id',
    pl.col('product_id').alias('substitute_id'),
    pl.col('baseline').alias('substitute_baseline'),
  );
  const claim = pl.col('weight').mul(pl.col('baseline').fillNull(pl.lit(0)));
  const substitutePair: string[] = [...keys, 'store_id', 'substitute_id'];
  const [first = 'date', ...rest] = [...keys, 'date', 'store_id', 'substitute_id'];
  return outages(daily, keys)
    .join(weights, { on: 'product_id' })
    .join(base.select(...keys, ...PAIR, 'baseline'), { on: [...keys, ...PAIR], how: 'left' })
    .join(substituteDay, { on: [first, ...rest], how: 'left' })
    .join(substituteBase, { on: substitutePair, how: 'left' })
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
        .then(
          pl
            .col('uplift')
            .mul(pl.col('claim'))
            .div(
              pl
                .col('claim')
                .sum()
                .over(first, ...rest),
            ),
        )
        .otherwise(pl.lit(0))
        .alias('substituted'),
    );
}

/** One row per store and product with stock-out days: the figures described at the top of this file. */
export function lostSalesDetail(
  inputs: {
    transactions: pl.LazyDataFrame;
    stock: pl.LazyDataFrame;
    products: pl.LazyDataFrame;
    substitutes: pl.LazyDataFrame;
  },
  keys: Keys = [],
): pl.LazyDataFrame {
  const pair = [...keys, ...PAIR];
  const weights = substituteWeights(inputs.substitutes);
  // Both cached: each is read by several branches of the plan, and computing the first (the join of the
  // week's sales onto the stock table) again for each cost 40% of the detail's time.
  const sold = pipe(inputs.stock, withDailyUnits(inputs.transactions, keys)).cache();
  const daily = pipe(sold, withCleanDays(weights, keys)).cache();
  const base = baselines(daily, keys);
  const perProduct = substitutionEvents(daily, weights, base, keys)
    .groupBy(pair)
    .agg(pl.col('uplift').sum().alias('substitute_uplift'), pl.col('substituted').sum().alias('substituted_units'));
  return outages(daily, keys)
    .groupBy(pair)
    .agg(pl.len().cast(pl.Int64).alias('stockout_days'))
    .join(base, { on: pair, how: 'left' })
    .join(perProduct, { on: pair, how: 'left' })
    .join(inputs.products.select('product_id', 'name', 'category', 'subcategory'), { on: 'product_id', how: 'left' })
    .select(
      ...keys,
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
    .sort(pair);
}

/** The detail rolled up by category, with the share of expected units that went to substitutes. */
export function lostSalesByCategory(detail: pl.LazyDataFrame, keys: Keys = []): pl.LazyDataFrame {
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

export const lostSalesMetric = defineMetric({
  name: 'lostSalesToSubstitutes',
  title: 'Sales lost to substitutes',
  inputs: ['transactions', 'stock', 'products', 'substitutes'],
  tables: {
    lost_sales_detail: { key: PAIR, merge: { shardKey: 'store_id', rows: 'disjoint' } },
    lost_sales_by_category: {
      key: ['category'],
      totals: {
        sums: { expected_units: 'expected_units', substituted_units: 'substituted_units', lost_units: 'lost_units' },
      },
      merge: {
        shardKey: 'store_id',
        rows: 'combine',
        // products_out counts (store, product) pairs, which never span two store shards.
        additive: [
          'products_out',
          'stockout_days',
          'expected_units',
          'substitute_uplift',
          'substituted_units',
          'lost_units',
        ],
        ratios: { substitution_share: ['substituted_units', 'expected_units'] },
      },
    },
  },
  compute: (inputs, keys) => {
    const detail = lostSalesDetail(inputs, keys);
    return {
      lost_sales_detail: detail,
      lost_sales_by_category: derived('lost_sales_detail', (d) => lostSalesByCategory(d, keys)),
    };
  },
});
