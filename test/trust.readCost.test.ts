/**
 * The read stage's cost on small datasets. Building nodejs-polars expressions and plans costs
 * milliseconds of main-thread work each, whatever the data size; on a tiny dataset that dominated
 * the read (3x the cost before the quality checks). A small file is read once into memory and
 * checked in plain JS, so reading a tiny dataset builds no polars expression and scans nothing;
 * a big file is scanned with expressions built once per week, input and rules.
 */
import path from 'node:path';
import pl from 'nodejs-polars';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DatasetRef } from '../common/types';
import { type Inspected, inspectInput, type OpenedInput, openInput, type Reading } from '../activities/inspect';
import { rulesOf } from '../activities/quality';
import { readDataset } from '../activities/read';
import { SMALL_FILE_ROWS } from '../activities/smallFile';
import { datasetRefs, generateRetailWeek, TINY_DATASETS } from '../datagen';
import type { InputName } from '../metrics/schemas';
import type { QualityRules } from '../pipeline/types';
import { tempDir } from './helpers/parquet';

const WEEK = '2026-11-16';
const TINY = { ...TINY_DATASETS, regions: 2, week: WEEK };
let tiny: DatasetRef[];

beforeAll(async () => {
  const data = await tempDir('tributary-read-cost-');
  const manifest = await generateRetailWeek({ out: data, ...TINY });
  tiny = datasetRefs(data, manifest);
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe('reading a tiny dataset', () => {
  it('builds no polars expression and scans no file, and still counts every row of the week', async () => {
    const scans = vi.spyOn(pl, 'scanParquet');
    const columns = vi.spyOn(pl, 'col');
    const counted = vi.spyOn(pl, 'len');
    const read = await readDataset(tiny[0]!, WEEK, {});
    expect(read.rowsIn).toEqual({ transactions: expect.any(Number), stock: 2 * 4 * 7 });
    expect(read.rowsIn.transactions).toBeGreaterThan(0);
    expect(read.warnings).toEqual([]);
    expect({
      scans: scans.mock.calls.length,
      columns: columns.mock.calls.length,
      counted: counted.mock.calls.length,
    }).toEqual({ scans: 0, columns: 0, counted: 0 });
  });
});

/** A file's outcome as a user sees it: the week's rows and warnings, or the failure's type and message. */
type Outcome = Inspected | { failed: string; message: string; retryable: boolean };

async function outcome(file: string, input: InputName, rules: QualityRules, reading: Reading): Promise<Outcome> {
  const where = 'Dataset d';
  const failure = (err: unknown): Outcome => {
    const e = err as { type?: string; message: string; nonRetryable?: boolean };
    return { failed: e.type ?? 'Error', message: e.message, retryable: e.nonRetryable !== true };
  };
  let opened: OpenedInput;
  try {
    opened = await openInput(file, input, where, reading);
  } catch (err) {
    return failure(err);
  }
  // Each way really taken: a file polars cannot read whole would fall back to the scan.
  expect(opened.frame === undefined, file).toBe(reading === 'scan');
  return inspectInput(opened, where, WEEK, rules).catch(failure);
}

const days = (n: number) => (df: pl.DataFrame) =>
  df.withColumn(pl.col('date').cast(pl.Int32).add(pl.lit(n)).cast(pl.Date).alias('date'));
/** `column` with `value` in the rows `rows` (indices), the rest unchanged. */
const setRows = (column: string, rows: number[], value: number | null) => (df: pl.DataFrame) => {
  const values = df
    .getColumn(column)
    .toArray()
    .map((v, i) => (rows.includes(i) ? value : v));
  return df.withColumn(pl.Series(column, values, df.getColumn(column).dtype));
};

describe('which way a file is read', () => {
  it('in memory up to SMALL_FILE_ROWS rows, by a scan beyond, however small the file on disk', async () => {
    const dir = await tempDir('tributary-read-way-');
    const stockOf = (rows: number) =>
      pl.DataFrame({
        date: pl.Series(
          'date',
          Array.from({ length: rows }, () => new Date(Date.UTC(2026, 10, 16))),
          pl.Date,
        ),
        store_id: pl.Series(
          'store_id',
          Array.from({ length: rows }, () => 1),
          pl.Int32,
        ),
        product_id: pl.Series(
          'product_id',
          Array.from({ length: rows }, (_, i) => i),
          pl.Int32,
        ),
        in_stock: pl.Series(
          'in_stock',
          Array.from({ length: rows }, () => true),
          pl.Bool,
        ),
      });
    const [small, big] = [path.join(dir, 'small.parquet'), path.join(dir, 'big.parquet')];
    stockOf(SMALL_FILE_ROWS).writeParquet(small);
    stockOf(SMALL_FILE_ROWS + 1).writeParquet(big);
    expect((await openInput(small, 'stock', 'Dataset d')).frame?.height).toBe(SMALL_FILE_ROWS);
    expect((await openInput(big, 'stock', 'Dataset d')).frame).toBeUndefined();
    const rules = rulesOf({});
    expect(await inspectInput(await openInput(big, 'stock', 'Dataset d'), 'Dataset d', WEEK, rules)).toEqual({
      weekRows: SMALL_FILE_ROWS + 1,
      warnings: [],
    });
  });
});

describe('the in-memory checks of a small file and the polars scan', () => {
  const files: { name: string; input: InputName; file: string }[] = [];

  beforeAll(async () => {
    const dir = await tempDir('tributary-read-paths-');
    const data = path.join(dir, 'data');
    const manifest = await generateRetailWeek({ out: data, ...TINY, regions: 1, stores: 3, products: 6 });
    const region = path.join(data, 'sales', manifest.regions[0]!);
    const tx = pl.readParquet(path.join(region, 'transactions.parquet'));
    const stock = pl.readParquet(path.join(region, 'stock.parquet'));
    const nextWeek = days(7);
    const cases: [string, InputName, pl.DataFrame][] = [
      ['healthy transactions', 'transactions', tx],
      ['healthy stock', 'stock', stock],
      // The smallest duplicated key is not the first one in the file; one key three times; a
      // duplicate outside the week is not counted, nor is the week's key seen again next week.
      [
        'duplicated stock keys',
        'stock',
        pl.concat([
          stock,
          stock.slice(40, 2),
          stock.slice(5, 1),
          stock.slice(5, 1),
          nextWeek(stock.head(3)),
          nextWeek(stock.head(3)),
        ]),
      ],
      ['duplicated stock keys, this week only', 'stock', pl.concat([stock, stock.tail(1)])],
      [
        'negative units and revenue, a NaN revenue',
        'transactions',
        setRows('revenue', [7], Number.NaN)(setRows('revenue', [4], -2.5)(setRows('units', [1, 2, 9], -3)(tx))),
      ],
      [
        'negative units next week only',
        'transactions',
        pl.concat([tx, setRows('units', [0], -4)(nextWeek(tx.head(2)))]),
      ],
      [
        'nulls in units and product_id',
        'transactions',
        setRows('product_id', [3], null)(setRows('units', [0, 1], null)(tx)),
      ],
      ['a null date', 'stock', setRows('date', [2], null)(stock)],
      ['another week', 'stock', nextWeek(stock)],
      ['another week, over two weeks', 'transactions', pl.concat([days(14)(tx), days(21)(tx.head(1))])],
      ['no rows', 'transactions', tx.head(0)],
      ['no rows', 'stock', stock.head(0)],
    ];
    for (const [i, [name, input, df]] of cases.entries()) {
      // Every other file without statistics, so that the scan counts nulls itself.
      const file = path.join(dir, `${i}-${input}.parquet`);
      await df
        .lazy()
        .sinkParquet(file, { statistics: i % 2 === 0 })
        .collect();
      files.push({ name, input, file });
    }
  });

  const RULE_SETS: [string, Partial<QualityRules>][] = [
    ['default rules', {}],
    ['every rule warns', { duplicateKeys: 'warn', negativeValues: 'warn', emptyWeek: 'warn', emptyInput: 'warn' }],
    ['every rule fails', { duplicateKeys: 'fail', negativeValues: 'fail', emptyWeek: 'fail', emptyInput: 'fail' }],
    [
      'every rule ignored',
      { duplicateKeys: 'ignore', negativeValues: 'ignore', emptyWeek: 'ignore', emptyInput: 'ignore' },
    ],
  ];

  it.each(RULE_SETS)('give the same rows, warnings and failures, with %s', async (_, given) => {
    const rules = rulesOf(given);
    const seen: Record<string, { memory: Outcome; scan: Outcome }> = {};
    for (const { name, input, file } of files) {
      const [memory, scan] = [await outcome(file, input, rules, 'memory'), await outcome(file, input, rules, 'scan')];
      seen[`${name} (${input})`] = { memory, scan };
    }
    for (const [name, both] of Object.entries(seen)) expect(both.memory, name).toEqual(both.scan);
    // The files do break the rules: the comparison is not between two empty answers.
    const kinds = Object.values(seen).map(({ scan }) =>
      'failed' in scan ? scan.failed : scan.warnings.map((w) => w.rule).join('+') || 'ok',
    );
    expect(new Set(kinds).size).toBeGreaterThan(given.duplicateKeys === 'ignore' ? 1 : 4);
  });

  it('every rule warning: each case says what it should', async () => {
    const rules = rulesOf(RULE_SETS[1]![1]);
    const text = async (name: string) => {
      const { input, file } = files.find((f) => f.name === name)!;
      const seen = await outcome(file, input, rules, 'memory');
      return 'failed' in seen ? `${seen.failed}: ${seen.message}` : seen.warnings.map((w) => w.message).join(' / ');
    };
    expect(await text('duplicated stock keys')).toMatch(
      new RegExp(
        'columns \\(date, store_id, product_id\\) have 7 rows with duplicate keys in the week of 2026-11-16, ' +
          'e\\.g\\. date=2026-11-16, store_id=1, product_id=6 \\(3 rows\\)',
      ),
    );
    expect(await text('negative units and revenue, a NaN revenue')).toMatch(
      new RegExp(
        'column "units" has 3 negative rows in the week of 2026-11-16 \\(smallest -3\\); ' +
          'column "revenue" has 1 negative row .*\\(smallest -2\\.5\\)',
      ),
    );
    expect(await text('negative units next week only')).toBe('');
    expect(await text('nulls in units and product_id')).toMatch(
      /^NullValues: .*column "product_id" has 1 null row .*column "units" has 2 null rows/,
    );
    expect(await text('a null date')).toMatch(/^NullValues: .*column "date" has 1 null row/);
    const otherWeek = await text('another week');
    expect(otherWeek).toMatch(/none of its \d+ rows is in the week of 2026-11-16 /);
    expect(otherWeek).toMatch(/it holds dates 2026-11-23 to 2026-11-29\./);
    expect(otherWeek).toMatch(/Run that week with --week 2026-11-23/);
    expect(await text('another week, over two weeks')).toMatch(
      /it holds dates 2026-11-30 to 2026-12-07\. Run a week it holds, e\.g\. with --week 2026-12-07/,
    );
    expect(await text('no rows')).toMatch(/has no rows: the metrics of this dataset see no sales this week/);
  });
});
