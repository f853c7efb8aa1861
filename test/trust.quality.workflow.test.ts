/**
 * Issue 12, class 2: no silently wrong numbers. Damaged copies of generated regions beside healthy
 * ones, run through the real weeklyLoad on a real dev server, on both execution paths (a child
 * workflow per dataset, and batches): duplicated keys fail the dataset with DuplicateKeys, negative
 * figures and a week the file does not hold fail with a hint, an empty file succeeds with a warning
 * the report shows; the spec's `quality` section turns each rule to fail, warn or ignore.
 */
import { existsSync } from 'node:fs';
import { cp, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderPage } from '../cli/htmlReport/render';
import type { Timeline } from '../cli/htmlReport/timeline';
import { buildReport, renderMarkdown, type RunReport } from '../common/report';
import type { DatasetSummary } from '../common/types';
import { generateRetailWeek, type Manifest } from '../datagen';
import { parseSpec } from '../pipeline/schema';
import { tempDir } from './helpers/parquet';
import { testEnvironment } from './helpers/temporal';
import { filesUnder, runWeekly, specFor } from './helpers/weekly';
import { committedTable } from './helpers/snapshot';

const SIZE = {
  regions: 2,
  stores: 4,
  products: 40,
  days: 7,
  seed: 3,
  week: '2026-11-16',
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};
type Input = 'transactions' | 'stock';

const fileOf = (dir: string, input: Input) => path.join(dir, `${input}.parquet`);
type Damage = (dir: string) => Promise<void>;
const rewrite =
  (input: Input, change: (df: pl.DataFrame) => pl.DataFrame): Damage =>
  async (dir) => {
    const file = fileOf(dir, input);
    change(pl.readParquet(file)).writeParquet(file);
  };
/** Negates `column` in the first `rows` rows. */
const negated = (column: string, rows: number) =>
  rewrite('transactions', (df) => {
    const values = df
      .getColumn(column)
      .toArray()
      .map((v, i) => (i < rows ? -Number(v) : Number(v)));
    return df.withColumn(pl.Series(column, values, df.getColumn(column).dtype));
  });
const shiftedDays = (days: number) => (df: pl.DataFrame) =>
  df.withColumn(pl.col('date').cast(pl.Int32).add(pl.lit(days)).cast(pl.Date).alias('date'));
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Damaged regions, each a copy of a healthy one. */
const CASES: Record<string, Damage> = {
  // The first stock row is (2026-11-16, store 1, product 1): the generator writes date x store x product in order.
  'dup-stock': rewrite('stock', (df) => pl.concat([df, df.head(1)])),
  'negative-units': negated('units', 3),
  'negative-revenue': negated('revenue', 1),
  // Next week's data: the file has rows, none of them in the week run.
  'other-week': async (dir) => {
    await rewrite('stock', shiftedDays(7))(dir);
    await rewrite('transactions', shiftedDays(7))(dir);
  },
  'empty-transactions': rewrite('transactions', (df) => df.head(0)),
};

let env: TestWorkflowEnvironment;
let data: string;
let manifest: Manifest;
let dataRoot: string;

beforeAll(async () => {
  env = await testEnvironment();
  data = await tempDir('tributary-quality-');
  manifest = await generateRetailWeek({ out: data, ...SIZE });
  dataRoot = await tempDir('tributary-quality-root-');
  await cp(data, dataRoot, { recursive: true });
  const healthy = path.join(dataRoot, 'sales', manifest.regions[0]!);
  for (const [name, damage] of Object.entries(CASES)) {
    const dir = path.join(dataRoot, 'sales', name);
    await cp(healthy, dir, { recursive: true });
    await damage(dir);
  }
});
afterAll(async () => {
  await env?.teardown();
});

const summaryOf = (report: RunReport, dataset: string): DatasetSummary => {
  const summary = report.datasets.find((d) => d.dataset === dataset);
  if (!summary) throw new Error(`no summary for ${dataset}`);
  return summary;
};
const file = (dataset: string, input: Input) => path.join(dataRoot, 'sales', dataset, `${input}.parquet`);
const sumOf = (output: string, column: string) => Number(pl.readParquet(output).getColumn(column).sum());

describe.each([
  { path: 'a child workflow per dataset', batching: undefined },
  { path: 'batches', batching: { maxDatasets: 50 } },
])('default rules, $path', ({ path: title, batching }) => {
  let report: RunReport;
  let out: string;

  beforeAll(async () => {
    out = path.join(await tempDir('tributary-quality-out-'), 'out');
    const spec = specFor(dataRoot, out, batching ? { batching } : {});
    ({ report } = await runWeekly(env, `quality defaults ${title}`, { spec, week: SIZE.week }));
  });

  it('a duplicated stock row fails its dataset with DuplicateKeys naming file, key columns, a sample key and the count', () => {
    const summary = summaryOf(report, 'dup-stock');
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatchObject({ stage: 'read', type: 'DuplicateKeys' });
    expect(summary.error?.message).toBe(
      `Dataset dup-stock, file ${file('dup-stock', 'stock')} (stock): columns (date, store_id, product_id) have 2 rows ` +
        `with duplicate keys in the week of ${SIZE.week}, e.g. date=2026-11-16, store_id=1, product_id=1 (2 rows); ` +
        'each key must appear once, or the metrics count its row more than once',
    );
    expect(existsSync(path.join(out, SIZE.week, 'dup-stock'))).toBe(false);
  });

  it('negative units or revenue fail the dataset with NegativeValues naming file, column and count', () => {
    const units = summaryOf(report, 'negative-units');
    expect(units.status).toBe('failed');
    expect(units.error).toMatchObject({ stage: 'read', type: 'NegativeValues' });
    expect(units.error?.message).toMatch(
      new RegExp(
        `^Dataset negative-units, file ${literal(file('negative-units', 'transactions'))} \\(transactions\\): column "units" has 3 negative rows in the week of ${SIZE.week} \\(smallest -\\d+\\)`,
      ),
    );
    expect(units.error?.message).toContain('set quality.negativeValues to "warn" or "ignore"');
    const revenue = summaryOf(report, 'negative-revenue');
    expect(revenue.error).toMatchObject({ stage: 'read', type: 'NegativeValues' });
    expect(revenue.error?.message).toMatch(/column "revenue" has 1 negative row in the week/);
  });

  it('a file whose rows are all outside the week fails with NoRowsInWeek, saying which dates it holds and which --week to run', () => {
    const summary = summaryOf(report, 'other-week');
    expect(summary.status).toBe('failed');
    expect(summary.error).toMatchObject({ stage: 'read', type: 'NoRowsInWeek' });
    expect(summary.error?.message).toMatch(
      new RegExp(
        `^Dataset other-week, file ${literal(file('other-week', 'transactions'))} \\(transactions\\): none of its \\d+ rows is in the week of 2026-11-16 \\(2026-11-16 to 2026-11-22\\); it holds dates 2026-11-23 to 2026-11-29\\. Run that week with --week 2026-11-23`,
      ),
    );
  });

  it('an empty file succeeds with a warning, shown in the report and its Markdown', async () => {
    const summary = summaryOf(report, 'empty-transactions');
    expect(summary.status).toBe('succeeded');
    const message = `Dataset empty-transactions, file ${file('empty-transactions', 'transactions')} (transactions) has no rows: the metrics of this dataset see no sales this week`;
    expect(summary.warnings).toEqual([{ rule: 'emptyInput', message }]);
    expect(report.totals.warnings).toBe(1);
    const markdown = await readFile(path.join(out, SIZE.week, '_report.md'), 'utf8');
    expect(markdown).toContain('1 with warnings');
    expect(markdown).toContain(`- empty-transactions: emptyInput: ${message}`);
  });

  it('the healthy regions succeed with their planted figures', async () => {
    for (const region of manifest.regions) {
      const summary = summaryOf(report, region);
      expect(summary.status).toBe('succeeded');
      expect(summary.warnings ?? []).toEqual([]);
      expect(summary.rowsIn).toEqual(manifest.rows[region]);
      const byCategory = await committedTable(out, SIZE.week, region, 'lost_sales_by_category');
      expect(sumOf(byCategory, 'stockout_days')).toBe(manifest.planted.regions[region]!.stockoutDays);
    }
    expect(report.totals).toMatchObject({ succeeded: manifest.regions.length + 1, failed: 4 });
  });
});

describe('the spec turns rules to warn or fail', () => {
  let report: RunReport;

  beforeAll(async () => {
    const out = path.join(await tempDir('tributary-quality-out-'), 'out');
    const quality = { negativeValues: 'warn', emptyWeek: 'warn', emptyInput: 'fail', duplicateKeys: 'ignore' };
    ({ report } = await runWeekly(env, 'quality turned', {
      spec: specFor(dataRoot, out, { quality }),
      week: SIZE.week,
    }));
  });

  it('warn: the dataset succeeds, with the same message as a warning', () => {
    const units = summaryOf(report, 'negative-units');
    expect(units.status).toBe('succeeded');
    expect(units.warnings).toEqual([
      { rule: 'negativeValues', message: expect.stringMatching(/column "units" has 3 negative rows/) },
    ]);
    const week = summaryOf(report, 'other-week');
    expect(week.status).toBe('succeeded');
    expect(week.warnings?.map((w) => w.rule)).toEqual(['emptyWeek', 'emptyWeek']);
    expect(renderMarkdown(report)).toMatch(
      /- other-week: emptyWeek: Dataset other-week, file .*stock\.parquet \(stock\): none of its/,
    );
  });

  it('fail: an empty file fails with EmptyInput', () => {
    expect(summaryOf(report, 'empty-transactions').error).toMatchObject({ stage: 'read', type: 'EmptyInput' });
  });

  it('ignore: duplicated keys are not checked', () => {
    expect(summaryOf(report, 'dup-stock')).toMatchObject({ status: 'succeeded' });
    expect(summaryOf(report, 'dup-stock').warnings ?? []).toEqual([]);
  });
});

describe('a duplicated (product_id, substitute_id) pair in the reference data', () => {
  it('fails every dataset at readReference with DuplicateKeys naming the substitutes file and the pair', async () => {
    const root = await tempDir('tributary-quality-subs-');
    await cp(data, root, { recursive: true });
    const substitutes = path.join(root, 'reference', 'substitutes.parquet');
    const rows = pl.readParquet(substitutes);
    pl.concat([rows, rows.head(1)]).writeParquet(substitutes);
    const first = rows.head(1).toRecords()[0]!;
    const out = path.join(await tempDir('tributary-quality-out-'), 'out');

    const { report } = await runWeekly(env, 'quality duplicated substitutes', {
      spec: specFor(root, out),
      week: SIZE.week,
    });

    expect(report.status).toBe('failed');
    for (const summary of report.datasets) {
      expect(summary.error).toMatchObject({ stage: 'readReference', type: 'DuplicateKeys' });
      expect(summary.error?.message).toBe(
        `Reference data, file ${substitutes} (substitutes): columns (product_id, substitute_id) have 2 rows with duplicate keys, ` +
          `e.g. product_id=${first.product_id}, substitute_id=${first.substitute_id} (2 rows); ` +
          'each key must appear once, or the metrics count its row more than once',
      );
    }
    // Only the report and a snapshot that says nothing is current.
    expect(await filesUnder(out)).toEqual([
      path.join(SIZE.week, '_manifests', '0000000001.json'),
      path.join(SIZE.week, '_report.json'),
      path.join(SIZE.week, '_report.md'),
    ]);
  });
});

describe('the quality section of the spec', () => {
  const base = specFor('/data', '/out');

  it('defaults: duplicate keys, negative values and a week the file does not hold fail; an empty file warns', () => {
    expect(parseSpec(base).quality).toEqual({
      duplicateKeys: 'fail',
      negativeValues: 'fail',
      emptyWeek: 'fail',
      emptyInput: 'warn',
    });
    expect(parseSpec({ ...base, quality: { negativeValues: 'ignore' } }).quality).toMatchObject({
      negativeValues: 'ignore',
      duplicateKeys: 'fail',
    });
  });

  it('rejects an unknown rule or outcome, by path', () => {
    expect(() => parseSpec({ ...base, quality: { negativeValues: 'maybe', nulls: 'warn' } })).toThrow(
      /quality\.negativeValues: Invalid option.*\n.*quality: Unrecognized key: "nulls"/s,
    );
  });
});

describe('warnings on the run page', () => {
  it('lists each warning under its dataset, and counts the datasets with warnings', () => {
    const warned: DatasetSummary = {
      dataset: 'north',
      status: 'succeeded',
      outputs: [],
      stages: {},
      warnings: [
        { rule: 'emptyInput', message: 'Dataset north, file /d/transactions.parquet (transactions) has no rows' },
      ],
    };
    const report = buildReport({
      pipeline: 'p',
      workflowId: 'w',
      week: SIZE.week,
      startedAt: '2026-11-23T00:00:00Z',
      finishedAt: '2026-11-23T00:01:00Z',
      datasets: [warned],
    });
    const lane = { name: 'run', status: 'succeeded', segments: [], markers: [] };
    const timeline: Timeline = { workflowId: 'w', start: 0, end: 60_000, outcome: 'completed', run: lane, lanes: [] };
    const html = renderPage(timeline, report);
    expect(html).toContain('data-total="warnings"');
    expect(html).toMatch(
      /<li data-rule="emptyInput">⚠ emptyInput: Dataset north, file \/d\/transactions\.parquet \(transactions\) has no rows<\/li>/,
    );
  });
});
