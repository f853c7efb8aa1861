/**
 * The baselines: the same per-dataset metric code Tributary's compute stage runs
 * (`computeMetrics` from activities/compute.ts: lazy scans of the week's rows, the metrics' tables,
 * each streamed to parquet by an async sink), called in this process on each dataset, without
 * Temporal: no read-stage checks, no fingerprints, no publish step, no workflow or server.
 * `MockActivityEnvironment` only provides the activity context computeMetrics reads (attempt
 * number, heartbeats that go nowhere, a cancellation signal that never fires).
 * The reference data is loaded once per side and shared, as the worker's reference cache does.
 */
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { computeMetrics } from '../activities/compute';
import type { DatasetRef, ReferenceRef } from '../common/types';

export interface BaselineInput {
  datasets: DatasetRef[];
  reference: ReferenceRef;
  week: string;
  metrics: string[];
  /** Outputs go to <outRoot>/.staging/<dataset>/attempt-1/<table>.parquet (see baselineFiles). */
  outRoot: string;
  /** Datasets computed at once: 1 = sequential, N = a promise pool of N. */
  width: number;
  /** Called after each dataset with the number done so far. */
  onDone?: (done: number) => void;
}

export interface BaselineResult {
  datasets: number;
  tables: number;
  rowsOut: number;
}

type Computed = Awaited<ReturnType<typeof computeMetrics>>;

/** Where a baseline run left a dataset's table: staged by computeMetrics, never published. */
export function baselineFiles(outRoot: string): (dataset: string, table: string) => string[] {
  return (dataset, table) => [path.join(outRoot, '.staging', dataset, 'attempt-1', `${table}.parquet`)];
}

/** Runs `work` over `items`, at most `width` at once, next one as soon as one finishes. */
export async function inPool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}

export async function runBaseline(input: BaselineInput): Promise<BaselineResult> {
  const loaded = new Map<string, Promise<pl.DataFrame>>();
  const reference = (file: string) => {
    let frame = loaded.get(file);
    if (!frame) loaded.set(file, (frame = pl.scanParquet(file).collect()));
    return frame;
  };
  const result: BaselineResult = { datasets: 0, tables: 0, rowsOut: 0 };
  await inPool(input.datasets, input.width, async (dataset) => {
    const computed = (await new MockActivityEnvironment().run(() =>
      computeMetrics(
        {
          dataset,
          reference: input.reference,
          week: input.week,
          metrics: input.metrics,
          output: { root: input.outRoot, path: '{week}/{dataset}/{table}.parquet' },
          stagingDir: path.join(input.outRoot, '.staging', dataset.name), // see baselineFiles
        },
        reference,
      ),
    )) as Computed;
    result.datasets += 1;
    result.tables += computed.tables.length;
    result.rowsOut += computed.tables.reduce((n, t) => n + t.rows, 0);
    input.onDone?.(result.datasets);
  });
  return result;
}
