/**
 * A batch computes many datasets in one polars plan; each dataset's outputs must be exactly what it
 * would get computed alone (same columns, types and rows), and bad input must fail only its dataset.
 */
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import { processBatch, type BatchInput } from '../activities/batch';
import { stack } from '../activities/batchCompute';
import { queryTotals } from '../activities/weekOverWeek';
import { OUTPUT_TABLES } from '../metrics';
import { computeMetrics } from '../activities/compute';
import type { DatasetRef, DatasetSummary, ReferenceRef } from '../common/types';
import { datasetRefs, generateRetailWeek, type Manifest, referenceRefs } from '../datagen';
import { tempDir } from './helpers/parquet';

const WEEK = '2026-11-16';
let data: string;
let manifest: Manifest;
const load = (file: string) => pl.scanParquet(file).collect();
const ref = () => referenceRefs(data, manifest);
const datasetOf = (name: string) => datasetRefs(data, manifest).find((d) => d.name === name)!;
const METRICS = ['hierarchySales', 'lostSalesToSubstitutes'];

beforeAll(async () => {
  data = await tempDir('tributary-batch-data-');
  manifest = await generateRetailWeek({
    out: data,
    regions: 6,
    stores: 3,
    products: 30,
    days: 7,
    seed: 12,
    week: WEEK,
    substitutionShare: 0.6,
    stockoutRate: 0.3,
  });
});

/** Each dataset's batched outputs are the tables it gets computed alone (floats to 1e-9: summation order). */
async function expectEachAsAlone(summaries: DatasetSummary[], datasets: DatasetRef[], reference: ReferenceRef) {
  const alone = await tempDir('tributary-alone-');
  for (const summary of summaries) {
    const single = (await new MockActivityEnvironment().run(() =>
      computeMetrics(
        {
          dataset: datasets.find((d) => d.name === summary.dataset)!,
          reference,
          week: WEEK,
          metrics: METRICS,
          output: { root: alone, path: '{week}/{dataset}/{table}.parquet' },
          stagingDir: path.join(alone, '.staging', summary.dataset),
        },
        load,
      ),
    )) as Awaited<ReturnType<typeof computeMetrics>>;
    expect(summary.outputs.map((o) => o.table).sort()).toEqual(single.tables.map((t) => t.table).sort());
    for (const table of single.tables) {
      const batched = pl.readParquet(summary.outputs.find((o) => o.table === table.table)!.path);
      const expected = pl.readParquet(table.staging);
      expect(batched.columns, `${summary.dataset} ${table.table}`).toEqual(expected.columns);
      expect(batched.dtypes.map(String), `${summary.dataset} ${table.table}`).toEqual(expected.dtypes.map(String));
      // Same rows; float sums may differ in the last bits (summation order), so compare to 1e-9.
      expect(batched.height, `${summary.dataset} ${table.table}`).toBe(expected.height);
      const rows = (df: pl.DataFrame) =>
        df
          .toRecords()
          .map((r) =>
            Object.fromEntries(
              Object.entries(r).map(([k, v]) => [k, typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v]),
            ),
          );
      expect(rows(batched), `${summary.dataset} ${table.table}`).toEqual(rows(expected));
    }
  }
}

describe('processBatch', () => {
  it('gives each dataset exactly the outputs it gets computed alone', async () => {
    const out = await tempDir('tributary-batch-out-');
    const input: BatchInput = {
      datasets: manifest.regions.map(datasetOf),
      reference: ref(),
      week: WEEK,
      metrics: METRICS,
      output: { root: out, path: '{week}/{dataset}/{table}.parquet' },
    };

    const { summaries } = (await new MockActivityEnvironment().run(() =>
      processBatch(input, load, () => undefined),
    )) as Awaited<ReturnType<typeof processBatch>>;

    expect(summaries.map((s) => s.status)).toEqual(manifest.regions.map(() => 'succeeded'));
    await expectEachAsAlone(summaries, manifest.regions.map(datasetOf), ref());
    // The report sums each table declares come with it, equal to what its file sums to when read back.
    const summed = summaries.flatMap((s) => s.outputs).filter((o) => OUTPUT_TABLES.get(o.table)!.totals);
    expect(summed.length).toBe(2 * manifest.regions.length);
    for (const output of summed) {
      const { sums, ...file } = output;
      expect(sums, output.path).toBeDefined();
      const readBack = await queryTotals(file);
      for (const [name, value] of Object.entries(sums!))
        expect(value, `${output.path} ${name}`).toBeCloseTo(readBack[name]!, 6);
    }
  });

  it('stacks files whose columns differ in order or in extra columns, each dataset still as alone', async () => {
    const copy = await tempDir('tributary-batch-columns-');
    await cp(data, copy, { recursive: true });
    const [first, second] = manifest.regions;
    // One stock file with its columns in another order, one sales file with a column more.
    const stock = path.join(copy, 'sales', first!, 'stock.parquet');
    const st = pl.readParquet(stock);
    st.select(...[...st.columns].reverse()).writeParquet(stock);
    const sales = path.join(copy, 'sales', second!, 'transactions.parquet');
    pl.readParquet(sales).withColumns(pl.lit('note').alias('comment')).writeParquet(sales);
    const datasets = datasetRefs(copy, manifest);
    const input: BatchInput = {
      datasets,
      reference: referenceRefs(copy, manifest),
      week: WEEK,
      metrics: METRICS,
      output: { root: await tempDir('tributary-batch-columns-out-'), path: '{week}/{dataset}/{table}.parquet' },
    };

    const { summaries } = (await new MockActivityEnvironment().run(() =>
      processBatch(input, load, () => undefined),
    )) as Awaited<ReturnType<typeof processBatch>>;

    expect(summaries.map((s) => s.status)).toEqual(manifest.regions.map(() => 'succeeded'));
    await expectEachAsAlone(summaries, datasets, input.reference);
  });

  it('stacks frames by the declared columns, in their order, whatever the order or extra columns of each', () => {
    const a = pl.DataFrame({ x: [1], y: ['a'] });
    const b = pl.DataFrame({ y: ['b'], x: [2], extra: [true] });
    const stacked = stack([a, b, a], ['x', 'y']);
    expect(stacked.columns).toEqual(['x', 'y']);
    expect(stacked.toRecords()).toEqual([
      { x: 1, y: 'a' },
      { x: 2, y: 'b' },
      { x: 1, y: 'a' },
    ]);
  });

  it('fails only the dataset with bad input, naming its file', async () => {
    const out = await tempDir('tributary-batch-out-');
    const bad = manifest.regions[2]!;
    const copy = await tempDir('tributary-batch-bad-');
    const { cp } = await import('node:fs/promises');
    await cp(data, copy, { recursive: true });
    await writeFile(path.join(copy, 'sales', bad, 'stock.parquet'), 'not parquet');
    const datasets = datasetRefs(copy, manifest);
    const reference = referenceRefs(copy, manifest);

    const { summaries } = (await new MockActivityEnvironment().run(() =>
      processBatch(
        {
          datasets,
          reference,
          week: WEEK,
          metrics: METRICS,
          output: { root: out, path: '{week}/{dataset}/{table}.parquet' },
        },
        load,
        () => undefined,
      ),
    )) as Awaited<ReturnType<typeof processBatch>>;

    const failed = summaries.filter((s) => s.status === 'failed');
    expect(failed.map((s) => s.dataset)).toEqual([bad]);
    expect(failed[0]?.error).toMatchObject({ stage: 'read', type: 'UnreadableParquet' });
    expect(failed[0]?.error?.message).toContain(path.join(copy, 'sales', bad, 'stock.parquet'));
    expect(summaries.filter((s) => s.status === 'succeeded')).toHaveLength(manifest.regions.length - 1);
  });
});
