/**
 * The bench's external baseline: Tributary's metrics written again, independently, in DuckDB SQL
 * (issue 14), so the bench can say how far Tributary is from a good single-node engine and check
 * its outputs against another implementation. The SQL follows the definitions in
 * metrics/hierarchySales.ts and metrics/lostSales.ts (docs/outputs.md), not their polars plans:
 * the same rows, columns, types and order per dataset; figures equal within float summation noise
 * (test/duckdbBaseline.test.ts keeps the two in step).
 *
 * `keys` are the columns one statement computes within: none for one dataset, `dataset` when all
 * datasets are computed at once. Every query returns the keys first, so a partitioned COPY can split
 * the result by them and write each dataset exactly the table it gets alone.
 */
import type { ReferenceRef } from '../common/types';
import type { METRICS } from '../metrics';

/** A string as a SQL literal. */
export const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Where the dataset inputs come from: SQL relations of the week's rows, carrying `keys` (see top). */
export interface Sources {
  transactions: string;
  stock: string;
  keys: readonly string[];
}

/** The week's rows (Monday..Sunday, as activities/parquet.ts `inWeek`) of a parquet file or glob. */
export function weekRows(
  files: string,
  columns: readonly string[],
  week: string,
  dataset?: { fromFolderOf: true },
): string {
  const where = `date >= DATE ${literal(week)} AND date < DATE ${literal(week)} + 7`;
  if (!dataset) return `(SELECT ${columns.join(', ')} FROM read_parquet(${literal(files)}) WHERE ${where})`;
  // The dataset is the folder a file is in (sales/<dataset>/transactions.parquet), as the spec's glob names it.
  const name = `regexp_extract(filename, '([^/]+)/[^/]+$', 1)`;
  return `(SELECT ${name} AS dataset, ${columns.join(', ')} FROM read_parquet(${literal(files)}, filename = true) WHERE ${where})`;
}

export const TRANSACTION_COLUMNS = ['date', 'store_id', 'product_id', 'units', 'revenue'];
export const STOCK_COLUMNS = ['date', 'store_id', 'product_id', 'in_stock'];

/**
 * Reference tables every metric reads, made once per connection: the products, and each product's
 * substitutes with their strengths normalised to sum to 1 (self-substitutes and zero strengths left out).
 */
export function referenceStatements(reference: ReferenceRef): string[] {
  return [
    `CREATE OR REPLACE TEMP TABLE products AS SELECT product_id, name, category, subcategory, brand FROM read_parquet(${literal(reference.products)})`,
    `CREATE OR REPLACE TEMP TABLE weights AS
      SELECT product_id, substitute_id,
             strength::DOUBLE / sum(strength::DOUBLE) OVER (PARTITION BY product_id) AS weight
      FROM read_parquet(${literal(reference.substitutes)})
      WHERE product_id <> substitute_id AND strength > 0`,
  ];
}

/** A metric in SQL: statements that make its intermediate tables, then one query per output table. */
export interface MetricSql<T extends string = string> {
  prepare: string[];
  tables: Record<T, string>;
}

type TablesOf<N extends keyof typeof METRICS> = keyof (typeof METRICS)[N]['tables'] & string;

/** `k.` prefixed key columns with a trailing comma, for select lists and GROUP BY. */
const keyList = (keys: readonly string[], alias?: string) =>
  keys.map((k) => `${alias ? `${alias}.` : ''}${k}, `).join('');
/** Join conditions on the keys and the given columns. */
const on = (a: string, b: string, keys: readonly string[], pairs: [string, string][]) =>
  [...keys.map((k): [string, string] => [k, k]), ...pairs].map(([x, y]) => `${a}.${x} = ${b}.${y}`).join(' AND ');

/**
 * Units, revenue and active products per category, subcategory and brand, in one grouping-sets
 * pass; sales of products missing from the reference data count under "(unknown)". Rows ordered
 * level by level (category, subcategory, brand), each by key.
 */
export function hierarchySalesSql(src: Sources): MetricSql<TablesOf<'hierarchySales'>> {
  const k = keyList(src.keys);
  const sets = ['category', 'subcategory', 'brand'].map((level) => `(${k}${level})`).join(', ');
  return {
    prepare: [],
    tables: {
      hierarchy_sales: `
        WITH sales AS (
          SELECT ${keyList(src.keys, 't')}t.product_id, t.units, t.revenue,
                 coalesce(p.category, '(unknown)') AS category,
                 coalesce(p.subcategory, '(unknown)') AS subcategory,
                 coalesce(p.brand, '(unknown)') AS brand
          FROM ${src.transactions} t LEFT JOIN products p ON p.product_id = t.product_id
        )
        SELECT ${k}
               CASE WHEN grouping(category) = 0 THEN 'category'
                    WHEN grouping(subcategory) = 0 THEN 'subcategory' ELSE 'brand' END AS level,
               coalesce(category, subcategory, brand) AS key,
               sum(units)::BIGINT AS units,
               sum(revenue::DOUBLE) AS revenue,
               count(DISTINCT product_id) FILTER (WHERE units > 0) AS active_products
        FROM sales
        GROUP BY GROUPING SETS (${sets})
        ORDER BY ${k}CASE level WHEN 'category' THEN 1 WHEN 'subcategory' THEN 2 ELSE 3 END, key`,
    },
  };
}

/**
 * Sales lost to substitutes (the definitions at the top of metrics/lostSales.ts): a daily table of
 * every stock row with its units sold and whether the day is clean, each store-product's clean-day
 * baseline, and the detail per store and product with stock-outs, made once; the category roll-up
 * sums the detail.
 */
export function lostSalesSql(src: Sources): MetricSql<TablesOf<'lostSalesToSubstitutes'>> {
  const { keys } = src;
  const k = keyList(keys);
  const day = `${k}date, store_id, product_id`;
  const daily = `
    CREATE OR REPLACE TEMP TABLE daily AS
    WITH sold AS (
      SELECT ${day}, sum(units::DOUBLE) AS units FROM ${src.transactions} GROUP BY ALL
    ),
    stock AS (SELECT ${day}, in_stock FROM ${src.stock}),
    -- (day, store, product) where a product it substitutes for is out: its sales there are borrowed.
    borrowing AS (
      SELECT DISTINCT ${keyList(keys, 's')}s.date, s.store_id, w.substitute_id AS product_id
      FROM stock s JOIN weights w ON w.product_id = s.product_id
      WHERE NOT s.in_stock
    )
    SELECT ${keyList(keys, 's')}s.date, s.store_id, s.product_id, s.in_stock,
           coalesce(sold.units, 0) AS units,
           s.in_stock AND b.product_id IS NULL AS clean
    FROM stock s
    LEFT JOIN sold ON ${on('sold', 's', keys, [
      ['date', 'date'],
      ['store_id', 'store_id'],
      ['product_id', 'product_id'],
    ])}
    LEFT JOIN borrowing b ON ${on('b', 's', keys, [
      ['date', 'date'],
      ['store_id', 'store_id'],
      ['product_id', 'product_id'],
    ])}`;
  const baselines = `
    CREATE OR REPLACE TEMP TABLE baselines AS
    SELECT ${k}store_id, product_id, avg(units) AS baseline, count(*) AS clean_days
    FROM daily WHERE clean GROUP BY ALL`;
  const pair = (a: string, b: string) =>
    on(a, b, keys, [
      ['store_id', 'store_id'],
      ['product_id', 'product_id'],
    ]);
  const detail = `
    CREATE OR REPLACE TEMP TABLE lost_detail AS
    WITH outage AS (SELECT ${day} FROM daily WHERE NOT in_stock),
    -- One row per stock-out day and substitute: the substitute's uplift over its own baseline that
    -- day (0 when it is out too or has no baseline), and this product's claim on it.
    events AS (
      SELECT ${keyList(keys, 'o')}o.date, o.store_id, o.product_id, w.substitute_id,
             w.weight * coalesce(b.baseline, 0) AS claim,
             CASE WHEN sd.in_stock AND sb.baseline IS NOT NULL THEN sd.units - sb.baseline ELSE 0 END AS uplift
      FROM outage o
      JOIN weights w ON w.product_id = o.product_id
      LEFT JOIN baselines b ON ${pair('b', 'o')}
      LEFT JOIN daily sd ON ${on('sd', 'o', keys, [
        ['date', 'date'],
        ['store_id', 'store_id'],
      ])} AND sd.product_id = w.substitute_id
      LEFT JOIN baselines sb ON ${on('sb', 'o', keys, [['store_id', 'store_id']])} AND sb.product_id = w.substitute_id
    ),
    -- Products out on the same day share a substitute's uplift in proportion to their claims.
    shared AS (
      SELECT *, CASE WHEN claim > 0
                     THEN uplift * claim / sum(claim) OVER (PARTITION BY ${k}date, store_id, substitute_id)
                     ELSE 0 END AS substituted
      FROM events
    ),
    per_product AS (
      SELECT ${k}store_id, product_id, sum(uplift) AS substitute_uplift, sum(substituted) AS substituted_units
      FROM shared GROUP BY ALL
    ),
    outs AS (SELECT ${k}store_id, product_id, count(*) AS stockout_days FROM outage GROUP BY ALL)
    SELECT ${keyList(keys, 'o')}o.store_id, o.product_id, p.name,
           coalesce(p.category, '(unknown)') AS category,
           coalesce(p.subcategory, '(unknown)') AS subcategory,
           o.stockout_days,
           -- Tributary writes clean_days as a float (polars fills its nulls with a float literal).
           coalesce(b.clean_days, 0)::DOUBLE AS clean_days,
           coalesce(b.baseline, 0) AS expected_daily_units,
           coalesce(b.baseline, 0) * o.stockout_days AS expected_units,
           coalesce(pp.substitute_uplift, 0) AS substitute_uplift,
           coalesce(pp.substituted_units, 0) AS substituted_units,
           coalesce(b.baseline, 0) * o.stockout_days - coalesce(pp.substituted_units, 0) AS lost_units
    FROM outs o
    LEFT JOIN baselines b ON ${pair('b', 'o')}
    LEFT JOIN per_product pp ON ${pair('pp', 'o')}
    LEFT JOIN products p ON p.product_id = o.product_id`;
  return {
    prepare: [daily, baselines, detail],
    tables: {
      lost_sales_detail: `SELECT * FROM lost_detail ORDER BY ${k}store_id, product_id`,
      lost_sales_by_category: `
        SELECT ${k}category,
               count(*) AS products_out,
               sum(stockout_days)::BIGINT AS stockout_days,
               sum(expected_units) AS expected_units,
               sum(substitute_uplift) AS substitute_uplift,
               sum(substituted_units) AS substituted_units,
               sum(lost_units) AS lost_units,
               CASE WHEN sum(expected_units) > 0 THEN sum(substituted_units) / sum(expected_units) END
                 AS substitution_share
        FROM lost_detail GROUP BY ALL ORDER BY ${k}category`,
    },
  };
}

/** The metrics the baseline has SQL for, by registry name. */
export const SQL_METRICS = {
  hierarchySales: hierarchySalesSql,
  lostSalesToSubstitutes: lostSalesSql,
} satisfies Partial<{ [N in keyof typeof METRICS]: (src: Sources) => MetricSql<TablesOf<N>> }>;

/** The SQL of the named metrics; throws naming any metric the baseline has no SQL for. */
export function metricsSql(names: readonly string[], src: Sources): MetricSql[] {
  return names.map((name) => {
    const sql = (SQL_METRICS as Record<string, ((s: Sources) => MetricSql) | undefined>)[name];
    if (!sql)
      throw new Error(
        `The DuckDB baseline (bench/duckdbSql.ts) has no SQL for metric ${name}; it has ${Object.keys(SQL_METRICS).join(', ')}`,
      );
    return sql(src);
  });
}
