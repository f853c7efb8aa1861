/**
 * The metrics of a whole batch of small datasets in one polars plan. Building a plan costs about
 * the same whatever the data size (100+ ms of main-thread work here), so for small datasets it
 * dominates; one plan per batch pays it once. Each dataset's rows are tagged with its index in the
 * batch; its stores get batch-unique ids (index * 2^20 + store_id) so the per-store lost-sales
 * logic runs unchanged, and the hierarchy and category totals group by the index as well. The
 * results are split back into one staged file per dataset and table, with exactly the columns and
 * types a dataset computed alone would have (test/batch.activity.test.ts compares them).
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import type { DatasetRef, ReferenceRef } from '../common/types';
import { hierarchySales } from '../metrics/hierarchySales';
import { lostSalesByCategory, lostSalesDetail } from '../metrics/lostSales';
import { renderOutputPath, type StagedTable } from './compute';
import { makeOutputDir, writingOutput } from './outputFaults';
import { inWeek } from './parquet';

const INDEX = '__dataset';
const STORE_SPACE = 2 ** 20;

export interface BatchComputeInput {
  datasets: { dataset: DatasetRef; stagingDir: string }[];
  reference: ReferenceRef;
  week: string;
  metrics: string[];
  output: { root: string; path: string };
  attempt: number;
}

function tagged(files: string[], week: string, storeIds: boolean): pl.LazyDataFrame {
  // Expressions are immutable: built once, shared by every file's scan (building them is the cost).
  const thisWeek = inWeek(week);
  const batchStore = pl.col(INDEX).mul(STORE_SPACE).add(pl.col('store_id').cast(pl.Int64)).alias('store_id');
  const all = pl.concat(
    files.map((file, i) => pl.scanParquet(file).filter(thisWeek).withColumns(pl.lit(i).cast(pl.Int64).alias(INDEX))),
    { how: 'vertical' },
  );
  return storeIds ? all.withColumns(batchStore) : all;
}

/** Batch tables by output table name, with the batch index column still in them. */
function plans(input: BatchComputeInput, products: pl.LazyDataFrame, substitutes: pl.LazyDataFrame): Record<string, pl.LazyDataFrame> {
  const tx = input.datasets.map((d) => d.dataset.files.transactions);
  const stock = input.datasets.map((d) => d.dataset.files.stock);
  const tables: Record<string, pl.LazyDataFrame> = {};
  if (input.metrics.includes('hierarchySales')) tables.hierarchy_sales = hierarchySales(tagged(tx, input.week, false), products, [INDEX]);
  if (input.metrics.includes('lostSalesToSubstitutes')) {
    const detail = lostSalesDetail({ transactions: tagged(tx, input.week, true), stock: tagged(stock, input.week, true), products, substitutes })
      .withColumns(pl.col('store_id').div(STORE_SPACE).floor().cast(pl.Int64).alias(INDEX), pl.col('store_id').modulo(STORE_SPACE).cast(pl.Int32).alias('store_id'))
      .cache();
    tables.lost_sales_detail = detail.select(INDEX, pl.all().exclude(INDEX)).sort([INDEX, 'store_id', 'product_id']);
    tables.lost_sales_by_category = lostSalesByCategory(detail, [INDEX]);
  }
  return tables;
}

/** Computes every table for the whole batch and stages one file per dataset and table. */
export async function computeBatch(input: BatchComputeInput, load: (file: string) => Promise<pl.DataFrame>): Promise<StagedTable[][]> {
  const [products, substitutes] = await Promise.all([load(input.reference.products), load(input.reference.substitutes)]);
  const staged: StagedTable[][] = input.datasets.map(() => []);
  const dirs = input.datasets.map((d) => path.join(d.stagingDir, `attempt-${input.attempt}`));
  await Promise.all(dirs.map(async (dir) => {
    await writingOutput(dir, () => rm(dir, { recursive: true, force: true }));
    await makeOutputDir(dir);
  }));
  for (const [table, plan] of Object.entries(plans(input, products.lazy(), substitutes.lazy()))) {
    const all = await plan.collect();
    const empty = all.head(0).drop(INDEX);
    const parts = new Map<number, pl.DataFrame>();
    if (all.height > 0) for (const part of all.partitionBy(INDEX, true, true)) parts.set(Number(part.getColumn(INDEX).get(0)), part.drop(INDEX));
    for (const [i, { dataset }] of input.datasets.entries()) {
      const part = parts.get(i) ?? empty;
      const file = path.join(dirs[i]!, `${table}.parquet`);
      // Proved inside the output root before anything is written.
      const final = renderOutputPath(input.output, { week: input.week, dataset: dataset.name, table });
      // A synchronous write, on purpose: batched datasets are small by definition (batching.maxBytes),
      // so each part takes about a millisecond, against ~10 ms of overhead for an async sink. Yield
      // between parts so heartbeats still flow.
      await writingOutput(file, async () => part.writeParquet(file));
      await new Promise((resolve) => setImmediate(resolve));
      staged[i]!.push({ table, staging: file, final, rows: part.height });
    }
  }
  return staged;
}
