/**
 * The metric registry is the single source: every registered metric batches exactly (each dataset of
 * a batch gets the tables it gets alone), its declarations (inputs, tables, keys, totals, merge) match
 * what it computes, and no code outside metrics/ names a metric or a table.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import { processBatch } from '../activities/batch';
import { computeMetrics } from '../activities/compute';
import { datasetRefs, generateRetailWeek, type Manifest, referenceRefs } from '../datagen';
import { METRIC_NAMES, metricOf, OUTPUT_TABLES, type MetricInputs } from '../metrics';
import { lazyTables } from '../metrics/metric';
import { parseSpec } from '../pipeline/schema';
import { tempDir } from './helpers/parquet';

const WEEK = '2026-11-16';
let data: string;
let manifest: Manifest;
const load = (file: string) => pl.scanParquet(file).collect();
const ref = () => referenceRefs(data, manifest);
const datasetOf = (name: string) => datasetRefs(data, manifest).find((d) => d.name === name)!;
const OUTPUT = (root: string) => ({ root, path: '{week}/{dataset}/{table}.parquet' });
/** Rows as plain records, floats rounded to 1e-9: sums in another order differ in the last bits. */
const rounded = (v: unknown) => (typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v);
const rows = (df: pl.DataFrame) =>
  df.toRecords().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, rounded(v)])));
type Batch = Awaited<ReturnType<typeof processBatch>>;
type Alone = Awaited<ReturnType<typeof computeMetrics>>;

beforeAll(async () => {
  data = await tempDir('tributary-registry-data-');
  const size = { regions: 4, stores: 3, products: 30, days: 7, seed: 31, substitutionShare: 0.6, stockoutRate: 0.3 };
  manifest = await generateRetailWeek({ out: data, ...size, week: WEEK });
});

describe('the metric registry', () => {
  it('has the on-shelf availability metric, and a spec may ask for it', () => {
    expect(METRIC_NAMES).toContain('shelfAvailability');
    const spec = parseSpec({
      name: 'osa',
      dataRoot: data,
      datasets: { glob: 'sales/*' },
      reference: { products: 'p.parquet', substitutes: 's.parquet' },
      metrics: ['shelfAvailability'],
      output: { root: `${data}-out` },
    });
    expect(spec.metrics).toEqual(['shelfAvailability']);
  });

  it.each(METRIC_NAMES)('%s: a batch gives each dataset exactly the tables it gets alone', async (name) => {
    const out = await tempDir('tributary-registry-batch-');
    const metrics = [name];
    const datasets = manifest.regions.map(datasetOf);
    const input = { datasets, reference: ref(), week: WEEK, metrics, output: OUTPUT(out) };

    const batch = new MockActivityEnvironment().run(() => processBatch(input, load, () => undefined));
    const { summaries } = (await batch) as Batch;

    expect(summaries.map((s) => s.status)).toEqual(manifest.regions.map(() => 'succeeded'));
    const alone = await tempDir('tributary-registry-alone-');
    for (const summary of summaries) {
      const stagingDir = path.join(alone, '.staging', summary.dataset);
      const dataset = datasetOf(summary.dataset);
      const one = { dataset, reference: ref(), week: WEEK, metrics, output: OUTPUT(alone), stagingDir };
      const single = (await new MockActivityEnvironment().run(() => computeMetrics(one, load))) as Alone;
      expect(single.tables.map((t) => t.table)).toEqual(Object.keys(metricOf(name).tables));
      expect(summary.outputs.map((o) => o.table)).toEqual(single.tables.map((t) => t.table));
      for (const table of single.tables) {
        const at = `${summary.dataset} ${table.table}`;
        const batched = pl.readParquet(summary.outputs.find((o) => o.table === table.table)!.path);
        const expected = pl.readParquet(table.staging);
        expect(expected.height, at).toBeGreaterThan(0);
        expect(batched.columns, at).toEqual(expected.columns);
        expect(batched.dtypes.map(String), at).toEqual(expected.dtypes.map(String));
        expect(rows(batched), at).toEqual(rows(expected));
      }
    }
  });

  const declarations = '%s: its tables, keys, totals and merge rules are what it computes, from its declared inputs';
  it.each(METRIC_NAMES)(declarations, async (name) => {
    const metric = metricOf(name);
    const region = datasetOf(manifest.regions[0]!);
    const all: MetricInputs = {
      transactions: pl.scanParquet(region.files.transactions),
      stock: pl.scanParquet(region.files.stock),
      products: pl.scanParquet(ref().products),
      substitutes: pl.scanParquet(ref().substitutes),
    };
    // Only what it declares: reading any other input would fail on `undefined`.
    const declared = Object.fromEntries(metric.inputs.map((input) => [input, all[input]])) as MetricInputs;

    const tables = lazyTables(metric.compute(declared));

    expect(Object.keys(tables)).toEqual(Object.keys(metric.tables));
    for (const [table, frame] of Object.entries(tables)) {
      const df = await frame.collect();
      const decl = OUTPUT_TABLES.get(table)!;
      expect(decl.metric.name, table).toBe(name);
      expect(df.height, table).toBeGreaterThan(0);
      // The key names one row.
      expect(df.columns, table).toEqual(expect.arrayContaining([...decl.key]));
      expect(df.select(...decl.key).unique().height, table).toBe(df.height);
      // Every column other than the key merges somehow.
      const rest = df.columns.filter((c) => !decl.key.includes(c)).sort();
      if (decl.merge.rows === 'disjoint') expect(decl.key, table).toContain(decl.merge.shardKey);
      else {
        const { additive, distinct, ratios } = decl.merge;
        const merged = [...additive, ...Object.keys(distinct ?? {}), ...Object.keys(ratios ?? {})];
        expect(merged.sort(), table).toEqual(rest);
      }
      // The report reads columns that are there; a ratio divides two of its sums.
      if (decl.totals) {
        const read = [...Object.values(decl.totals.sums), ...(decl.totals.where ? [decl.totals.where.column] : [])];
        expect(df.columns, table).toEqual(expect.arrayContaining(read));
        for (const [numerator, denominator] of Object.values(decl.totals.ratios ?? {})) {
          expect(Object.keys(decl.totals.sums), table).toEqual(expect.arrayContaining([numerator, denominator]));
        }
      }
    }
  });

  it('is the only place outside metrics/ that names a metric or a table', () => {
    const names = [...METRIC_NAMES, ...OUTPUT_TABLES.keys()];
    const folders = ['activities', 'cli', 'common', 'datagen', 'runtime', 'pipeline', 'workers', 'workflows'];
    const root = path.resolve(__dirname, '..');
    const found: string[] = [];
    for (const folder of folders) {
      const files = readdirSync(path.join(root, folder), { recursive: true, encoding: 'utf8' });
      for (const file of files.filter((f) => f.endsWith('.ts'))) {
        const text = readFileSync(path.join(root, folder, file), 'utf8');
        for (const name of names) if (new RegExp(`\\b${name}\\b`).test(text)) found.push(`${folder}/${file}: ${name}`);
      }
    }
    expect(found).toEqual([]);
  });
});
