/**
 * The metric functions on small hand-made frames, where every figure can be worked out by hand.
 * Store 1; products 1 (cola A) and 2 (cola B) are substitutes of each other, 3 is unrelated.
 */
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { hierarchySales } from '../metrics/hierarchySales';
import { lostSalesByCategory, lostSalesDetail, substituteWeights } from '../metrics/lostSales';
import { pipe } from '../metrics/pipe';
import { INPUT_SCHEMAS, nonNullableColumns, nullProblems, schemaProblems, type TableSchema } from '../metrics/schemas';

const DAY = 20_000; // days since 1970-01-01
const dates = (days: number[]) => pl.Series('date', new Int32Array(days.map((d) => DAY + d))).cast(pl.Date);

const products = pl
  .DataFrame({
    product_id: [1, 2, 3],
    name: ['Cola A', 'Cola B', 'Soap'],
    category: ['Beverages', 'Beverages', 'Household'],
    subcategory: ['Soft drinks', 'Soft drinks', 'Cleaning'],
    brand: ['Acme', 'Fjord', 'Acme'],
    price: [1.5, 1.25, 3.0],
  })
  .withColumn(pl.col('product_id').cast(pl.Int32));

/** Stock for 4 days x 3 products, with the given (day, product) pairs out of stock. */
function stock(out: [number, number][]) {
  const rows = [0, 1, 2, 3].flatMap((day) => [1, 2, 3].map((product) => ({ day, product })));
  return pl
    .DataFrame({
      store_id: rows.map(() => 1),
      product_id: rows.map((r) => r.product),
      in_stock: rows.map((r) => !out.some(([d, p]) => d === r.day && p === r.product)),
    })
    .withColumns(dates(rows.map((r) => r.day)), pl.col('store_id').cast(pl.Int32), pl.col('product_id').cast(pl.Int32))
    .lazy();
}

/** Transactions from [day, product, units] rows (revenue = units x 1). */
function transactions(rows: [number, number, number][]) {
  return pl
    .DataFrame({
      store_id: rows.map(() => 1),
      product_id: rows.map((r) => r[1]),
      units: rows.map((r) => r[2]),
      revenue: rows.map((r) => r[2] * 1.0),
      promo: rows.map(() => false),
    })
    .withColumns(
      dates(rows.map((r) => r[0])),
      pl.col('store_id').cast(pl.Int32),
      pl.col('product_id').cast(pl.Int32),
      pl.col('units').cast(pl.Int32),
    )
    .lazy();
}

const substitutes = (rows: [number, number, number][]) =>
  pl
    .DataFrame({
      product_id: rows.map((r) => r[0]),
      substitute_id: rows.map((r) => r[1]),
      strength: rows.map((r) => r[2]),
    })
    .withColumns(pl.col('product_id').cast(pl.Int32), pl.col('substitute_id').cast(pl.Int32))
    .lazy();

const rowsOf = async (lf: pl.LazyDataFrame) => (await lf.collect()).toRecords();

describe('pipe', () => {
  it('applies steps left to right', async () => {
    const lf = pl.DataFrame({ x: [1, 2] }).lazy();
    const out = pipe(
      lf,
      (f) => f.withColumn(pl.col('x').mul(10)),
      (f) => f.withColumn(pl.col('x').add(1)),
    );
    expect((await out.collect()).getColumn('x').toArray()).toEqual([11, 21]);
  });
});

describe('schemaProblems', () => {
  it('names each missing or mistyped column and accepts extras', () => {
    const actual = {
      date: 'Date',
      store_id: 'Int64',
      product_id: 'String',
      units: 'Int32',
      revenue: 'Float64',
      extra: 'Bool',
    };
    expect(schemaProblems(actual, INPUT_SCHEMAS.transactions)).toEqual([
      { column: 'product_id', problem: 'has type String (expected integer)' },
      { column: 'promo', problem: 'missing (expected boolean)' },
    ]);
  });
});

describe('nullProblems', () => {
  it('declares every column of the four inputs not nullable', () => {
    for (const schema of Object.values(INPUT_SCHEMAS)) expect(nonNullableColumns(schema)).toEqual(Object.keys(schema));
  });

  it('names each non-nullable column with nulls and its count; nullable and undeclared columns may hold nulls', () => {
    const declared: TableSchema = {
      id: 'integer',
      label: { kind: 'string', nullable: true },
      price: { kind: 'float', nullable: false },
      day: 'date',
    };
    expect(nonNullableColumns(declared)).toEqual(['id', 'price', 'day']);
    expect(nullProblems({ id: 3, label: 5, price: 1, day: 0, extra: 9 }, declared)).toEqual([
      { column: 'id', problem: 'has 3 null rows (not nullable)' },
      { column: 'price', problem: 'has 1 null row (not nullable)' },
    ]);
  });

  it('checks the kind of a column declared with its nullability', () => {
    const declared: TableSchema = { label: { kind: 'string', nullable: true } };
    expect(schemaProblems({ label: 'Int32' }, declared)).toEqual([
      { column: 'label', problem: 'has type Int32 (expected string)' },
    ]);
    expect(schemaProblems({ label: 'String' }, declared)).toEqual([]);
  });
});

describe('substituteWeights', () => {
  it('normalises each product’s strengths to sum to 1 and drops self-substitution', async () => {
    const rows = await rowsOf(
      substituteWeights(
        substitutes([
          [1, 2, 0.6],
          [1, 3, 0.2],
          [2, 2, 1],
        ]),
      ).sort('substitute_id'),
    );
    expect(rows.map((r) => [r.product_id, r.substitute_id])).toEqual([
      [1, 2],
      [1, 3],
    ]);
    expect(rows.map((r) => r.weight)).toEqual([expect.closeTo(0.75, 9), expect.closeTo(0.25, 9)]);
  });
});

describe('lostSalesDetail', () => {
  it('measures expected units on clean days, the substitute’s uplift, and splits substituted from lost', async () => {
    // A sells 10 a day, B 5; A is out on day 3 and B sells 11 then: uplift 6 of A's expected 10.
    const tx = transactions([
      [0, 1, 10],
      [1, 1, 10],
      [2, 1, 10],
      [0, 2, 5],
      [1, 2, 5],
      [2, 2, 5],
      [3, 2, 11],
      [0, 3, 2],
      [3, 3, 2],
    ]);
    const inputs = {
      transactions: tx,
      stock: stock([[3, 1]]),
      products: products.lazy(),
      substitutes: substitutes([[1, 2, 0.5]]),
    };

    const [row, ...others] = await rowsOf(lostSalesDetail(inputs));

    expect(others).toEqual([]);
    expect(row).toMatchObject({
      store_id: 1,
      product_id: 1,
      category: 'Beverages',
      stockout_days: 1,
      clean_days: 3,
      expected_daily_units: 10,
      expected_units: 10,
      substitute_uplift: 6,
      substituted_units: 6,
      lost_units: 4,
    });
  });

  it('does not count a substitute’s borrowed days in its own baseline', async () => {
    // B's baseline must come from days 0-1 (5 a day), not day 2 when A is out and B sells 9.
    const tx = transactions([
      [0, 1, 10],
      [1, 1, 10],
      [3, 1, 10],
      [0, 2, 5],
      [1, 2, 5],
      [2, 2, 9],
      [3, 2, 5],
    ]);
    const inputs = {
      transactions: tx,
      stock: stock([[2, 1]]),
      products: products.lazy(),
      substitutes: substitutes([[1, 2, 1]]),
    };

    const [row] = await rowsOf(lostSalesDetail(inputs));

    expect(row).toMatchObject({ expected_units: 10, substitute_uplift: 4, substituted_units: 4, lost_units: 6 });
  });

  it('splits a shared substitute’s uplift in proportion to weight x expected units', async () => {
    // Products 1 (10 a day) and 3 (5 a day) both out on day 3 and both substitute to 2 (4 a day, 16 on day 3).
    const tx = transactions([
      [0, 1, 10],
      [1, 1, 10],
      [2, 1, 10],
      [0, 3, 5],
      [1, 3, 5],
      [2, 3, 5],
      [0, 2, 4],
      [1, 2, 4],
      [2, 2, 4],
      [3, 2, 16],
    ]);
    const inputs = {
      transactions: tx,
      stock: stock([
        [3, 1],
        [3, 3],
      ]),
      products: products.lazy(),
      substitutes: substitutes([
        [1, 2, 1],
        [3, 2, 1],
      ]),
    };

    const rows = await rowsOf(lostSalesDetail(inputs));

    // Uplift 12: product 1 claims 10 of 15, product 3 claims 5 of 15.
    expect(rows.map((r) => [r.product_id, r.substitute_uplift, r.substituted_units])).toEqual([
      [1, 12, 8],
      [3, 12, 4],
    ]);
  });

  it('counts demand as lost when the substitute is out too', async () => {
    const tx = transactions([
      [0, 1, 10],
      [1, 1, 10],
      [2, 1, 10],
      [0, 2, 5],
      [1, 2, 5],
      [2, 2, 5],
    ]);
    const inputs = {
      transactions: tx,
      stock: stock([
        [3, 1],
        [3, 2],
      ]),
      products: products.lazy(),
      substitutes: substitutes([[1, 2, 1]]),
    };

    const rows = await rowsOf(lostSalesDetail(inputs));

    expect(rows.find((r) => r.product_id === 1)).toMatchObject({
      expected_units: 10,
      substituted_units: 0,
      lost_units: 10,
    });
  });
});

describe('lostSalesByCategory', () => {
  it('sums the detail per category with the substitution share', async () => {
    const detail = pl
      .DataFrame({
        category: ['Beverages', 'Beverages', 'Household'],
        stockout_days: [1, 2, 1],
        expected_units: [10, 20, 0],
        substitute_uplift: [6, 9, 0],
        substituted_units: [6, 9, 0],
        lost_units: [4, 11, 0],
      })
      .lazy();

    const rows = await rowsOf(lostSalesByCategory(detail));

    expect(rows).toEqual([
      {
        category: 'Beverages',
        products_out: 2,
        stockout_days: 3,
        expected_units: 30,
        substitute_uplift: 15,
        substituted_units: 15,
        lost_units: 15,
        substitution_share: 0.5,
      },
      {
        category: 'Household',
        products_out: 1,
        stockout_days: 1,
        expected_units: 0,
        substitute_uplift: 0,
        substituted_units: 0,
        lost_units: 0,
        substitution_share: null,
      },
    ]);
  });
});

describe('hierarchySales', () => {
  it('totals units, revenue and active products per category, subcategory and brand; unknown products are kept', async () => {
    const tx = transactions([
      [0, 1, 10],
      [1, 1, 5],
      [0, 2, 3],
      [0, 3, 2],
      [0, 9, 7],
    ]);

    const rows = await rowsOf(hierarchySales(tx, products.lazy()));

    const at = (level: string) =>
      rows.filter((r) => r.level === level).map((r) => [r.key, r.units, r.revenue, r.active_products]);
    expect(at('category')).toEqual([
      ['(unknown)', 7, 7, 1],
      ['Beverages', 18, 18, 2],
      ['Household', 2, 2, 1],
    ]);
    expect(at('subcategory')).toEqual([
      ['(unknown)', 7, 7, 1],
      ['Cleaning', 2, 2, 1],
      ['Soft drinks', 18, 18, 2],
    ]);
    expect(at('brand')).toEqual([
      ['(unknown)', 7, 7, 1],
      ['Acme', 17, 17, 2],
      ['Fjord', 3, 3, 1],
    ]);
  });

  it('counts a product active if any of its rows sold a unit, whatever its total', async () => {
    // Cola B: a day of 0 and a day of 4. Soap: only rows of 0 units (a listed product that did not sell).
    const tx = transactions([
      [0, 2, 0],
      [1, 2, 4],
      [0, 3, 0],
      [1, 3, 0],
    ]);

    const rows = await rowsOf(hierarchySales(tx, products.lazy()));

    const category = rows.filter((r) => r.level === 'category').map((r) => [r.key, r.units, r.active_products]);
    expect(category).toEqual([
      ['Beverages', 4, 1],
      ['Household', 0, 0],
    ]);
  });
});
