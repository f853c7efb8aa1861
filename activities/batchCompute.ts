/**
 * The metrics of a whole batch of small datasets in one polars plan. Building a plan costs about
 * the same whatever the data size (100+ ms of main-thread work here), so for small datasets it
 * dominates; one plan per batch pays it once. Each dataset's rows are tagged with its index in the
 * batch, and every metric computes within that index (its `keys`, metrics/metric.ts), so any metric
 * of the registry batches the same way. The results are split back into one staged file per dataset
 * and table, with exactly the columns and types a dataset computed alone would have
 * (test/batch.activity.test.ts and test/registry.test.ts compare them).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pl from 'nodejs-polars';
import type { DatasetRef, ReferenceRef } from '../common/types';
import { metricOf, OUTPUT_TABLES } from '../metrics';
import { INPUT_SCHEMAS } from '../metrics/schemas';
import { computeOrder, DATASET_INPUTS, type DatasetInput, isDerived, type TablePlan } from '../metrics/metric';
import { metricInputs, renderOutputPath, type StagedTable } from './compute';
import { joinPath, polarsOptions, storageFor } from '../storage';
import { writingOutput } from '../storage/faults';
import { inWeek } from './parquet';
import type { ReadFrames } from './read';
import { readSmallFile } from './smallFile';

const INDEX = '__dataset';

export interface BatchComputeInput {
  /** `frames`: the dataset's files its checks read whole (read.ts), computed from as they are. */
  datasets: { dataset: DatasetRef; stagingDir: string; frames?: ReadFrames }[];
  reference: ReferenceRef;
  week: string;
  metrics: string[];
  output: { root: string; path: string };
  attempt: number;
  /** The run id the outputs are written under (`…/run-<run id>/…`): the batch's workflow run. */
  runId: string;
}

/**
 * One input of every dataset of the batch, this week's rows, each tagged with its dataset's index.
 * Batched datasets are small by definition (batching.maxBytes), so each file is in memory: as its
 * checks read it, else read whole now. The files are stacked and tagged by one column built at
 * once: every polars expression built costs about a millisecond of main-thread work, more than such
 * a file's whole compute, so none is built per file. A file polars cannot read whole is scanned, so
 * that the error is the scan's usual one. Only the declared columns are kept, so files that differ
 * in other columns still stack.
 */
async function tagged(
  input: DatasetInput,
  datasets: BatchComputeInput['datasets'],
  week: string,
): Promise<pl.LazyDataFrame> {
  const columns = Object.keys(INPUT_SCHEMAS[input]);
  const inMemory: pl.DataFrame[] = [];
  const index: number[] = [];
  const scans: pl.LazyDataFrame[] = [];
  for (const [i, { dataset, frames }] of datasets.entries()) {
    const frame = frames?.[input] ?? (await readSmallFile(dataset.files[input], true));
    if (frame) {
      inMemory.push(frame);
      const rows = frame.height; // a call into polars each time it is read
      for (let row = 0; row < rows; row++) index.push(i);
    } else
      scans.push(
        pl
          .scanParquet(dataset.files[input], polarsOptions(dataset.files[input]))
          .select(...columns)
          .withColumns(pl.lit(i).cast(pl.Int64).alias(INDEX)),
      );
  }
  const tag = pl.Series(INDEX, index, pl.Int64);
  const stacked = inMemory.length ? [stack(inMemory, columns).withColumn(tag).lazy()] : [];
  // Built once, for the whole stack.
  return pl.concat([...stacked, ...scans], { how: 'vertical' }).filter(inWeek(week));
}

/** Frames one under another, with the declared columns: as they are when their columns agree (the usual case). */
export function stack(frames: pl.DataFrame[], columns: string[]): pl.DataFrame {
  try {
    return pl.concat(frames, { how: 'vertical', rechunk: false }).select(...columns);
  } catch {
    return pl.concat(
      frames.map((f) => f.select(...columns)),
      { how: 'vertical', rechunk: false },
    );
  }
}

/** Each metric's table plans for the whole batch, with the batch index column still in them. */
async function plans(input: BatchComputeInput, load: (file: string) => Promise<pl.DataFrame>) {
  const metrics = input.metrics.map(metricOf);
  const wanted = [...new Set(metrics.flatMap((m) => m.inputs))].filter(
    (name) => DATASET_INPUTS[name],
  ) as DatasetInput[];
  const stacks = new Map<DatasetInput, pl.LazyDataFrame>();
  for (const name of wanted) stacks.set(name, await tagged(name, input.datasets, input.week));
  const inputs = await metricInputs(metrics, (name) => stacks.get(name)!, input.reference, load);
  return metrics.map((metric) => metric.compute(inputs, [INDEX]));
}

/** Every table of the batch, collected, in declaration order; a roll-up derived from its source's result. */
async function collectTables(all: Record<string, TablePlan>[]): Promise<[string, pl.DataFrame][]> {
  const collected: [string, pl.DataFrame][] = [];
  for (const plans of all) {
    const done = new Map<string, pl.DataFrame>();
    for (const table of computeOrder(plans)) {
      const plan = plans[table]!;
      done.set(table, await (isDerived(plan) ? plan.derive(done.get(plan.from)!.lazy()) : plan).collect());
    }
    collected.push(...Object.keys(plans).map((t): [string, pl.DataFrame] => [t, done.get(t)!]));
  }
  return collected;
}

/**
 * The report sums a table declares (metrics/: TableTotals), for every dataset of the batch in one
 * query: read back from each dataset's file instead, they cost the report a file read per dataset
 * and table. A dataset without rows sums to 0, as its file does. Undefined for a table without totals.
 */
async function sumsByDataset(table: string, all: pl.DataFrame) {
  const totals = OUTPUT_TABLES.get(table)?.totals;
  if (!totals) return undefined;
  const names = Object.keys(totals.sums);
  const rows = totals.where ? all.filter(pl.col(totals.where.column).eq(pl.lit(totals.where.equals))) : all;
  const summed = await rows
    .lazy()
    .groupBy(INDEX)
    .agg(...Object.entries(totals.sums).map(([name, column]) => pl.col(column).cast(pl.Float64).sum().alias(name)))
    .collect();
  const byIndex = new Map<number, Record<string, number>>();
  for (const row of summed.toRecords())
    byIndex.set(Number(row[INDEX]), Object.fromEntries(names.map((n) => [n, Number(row[n] ?? 0)])));
  return (i: number) => byIndex.get(i) ?? Object.fromEntries(names.map((n) => [n, 0]));
}

/** Computes every table for the whole batch and stages one file per dataset and table. */
export async function computeBatch(
  input: BatchComputeInput,
  load: (file: string) => Promise<pl.DataFrame>,
): Promise<StagedTable[][]> {
  const tables = await plans(input, load);
  const staged: StagedTable[][] = input.datasets.map(() => []);
  const dirs = input.datasets.map((d) => joinPath(d.stagingDir, `attempt-${input.attempt}`));
  const storage = storageFor(input.output.root);
  await Promise.all(
    dirs.map(async (dir) => {
      await writingOutput(dir, () => storage.removeTree(dir));
      await storage.makeDir(dir);
    }),
  );
  for (const [table, all] of await collectTables(tables)) {
    const sums = await sumsByDataset(table, all);
    const empty = all.head(0).drop(INDEX);
    const parts = new Map<number, pl.DataFrame>();
    if (all.height > 0) {
      // Parts come in the order their index first appears; the index column is read once, not per
      // part (a Series per part cost a millisecond each).
      const order: number[] = [];
      const seen = new Set<number>();
      for (const value of all.getColumn(INDEX).toArray()) {
        const index = Number(value);
        if (seen.has(index)) continue;
        seen.add(index);
        order.push(index);
      }
      for (const [n, part] of all.partitionBy(INDEX, true, false).entries()) parts.set(order[n]!, part);
    }
    for (const [i, { dataset }] of input.datasets.entries()) {
      const part = parts.get(i) ?? empty;
      const file = joinPath(dirs[i]!, `${table}.parquet`);
      // Proved inside the output root before anything is written.
      const final = renderOutputPath(input.output, { week: input.week, dataset: dataset.name, table }, input.runId);
      // A synchronous write, on purpose: batched datasets are small by definition (batching.maxBytes),
      // so each part takes about a millisecond, against ~10 ms of overhead for an async sink. Yield
      // between parts so heartbeats still flow.
      // Written straight to the file locally (polars' writeParquet to a buffer is 10x slower),
      // put in one request on object storage; hashed from the bytes here, so publishing reads
      // nothing back.
      const body = await writingOutput(file, async () => {
        if (storage.kind !== 'local') {
          const bytes = part.writeParquet();
          await storage.write(file, bytes);
          return bytes;
        }
        part.writeParquet(file);
        return readFileSync(file);
      });
      await new Promise((resolve) => setImmediate(resolve));
      const hashed = { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
      staged[i]!.push({ table, staging: file, final, rows: part.height, ...(sums && { sums: sums(i) }), ...hashed });
    }
  }
  return staged;
}
