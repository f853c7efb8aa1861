/**
 * The compute stage: the metrics over one dataset's week, each output table streamed by polars
 * (lazy scan, async sink) into the dataset's staging folder. Nothing is published here: the write
 * stage moves staged files into place, so a failed or retried compute never leaves a half output.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { CancelledFailure, Context } from '@temporalio/activity';
import pl from 'nodejs-polars';
import type { DatasetRef, ReferenceRef } from '../common/types';
import { METRICS, type MetricName } from '../metrics';
import { countRows, inWeek, unreadable } from './parquet';

export interface ComputeInput {
  dataset: DatasetRef;
  reference: ReferenceRef;
  week: string;
  metrics: string[];
  output: { root: string; path: string };
  stagingDir: string;
}

export interface StagedTable {
  table: string;
  staging: string;
  final: string;
  rows: number;
}

export function renderOutputPath(output: ComputeInput['output'], vars: { week: string; dataset: string; table: string }): string {
  const relative = output.path.replace(/\{(week|dataset|table)\}/g, (_, key: keyof typeof vars) => vars[key]);
  return path.join(output.root, relative);
}

export async function computeMetrics(input: ComputeInput, reference: (file: string) => Promise<pl.DataFrame>) {
  const { dataset, week } = input;
  const scan = (file: string) => pl.scanParquet(file).filter(inWeek(week));
  const [products, substitutes] = await Promise.all([reference(input.reference.products), reference(input.reference.substitutes)]);
  const inputs = {
    transactions: scan(dataset.files.transactions),
    stock: scan(dataset.files.stock),
    products: products.lazy(),
    substitutes: substitutes.lazy(),
  };
  // Each attempt stages into its own folder: an attempt that timed out but still runs (a zombie)
  // can never overwrite the files of the attempt that publishes.
  const attemptDir = path.join(input.stagingDir, `attempt-${Context.current().info.attempt}`);
  await rm(attemptDir, { recursive: true, force: true });
  await mkdir(attemptDir, { recursive: true });
  const tables: StagedTable[] = [];
  for (const metric of input.metrics) {
    for (const [table, frame] of Object.entries(METRICS[metric as MetricName](inputs))) {
      if (Context.current().cancellationSignal.aborted) throw new CancelledFailure('Run cancelled');
      const staging = path.join(attemptDir, `${table}.parquet`);
      try {
        await frame.sinkParquet(staging).collect();
      } catch (err) {
        throw unreadable(`${dataset.files.transactions} / ${dataset.files.stock} (dataset ${dataset.name}, table ${table})`, err);
      }
      const rows = await countRows(pl.scanParquet(staging));
      tables.push({ table, staging, final: renderOutputPath(input.output, { week, dataset: dataset.name, table }), rows });
      Context.current().heartbeat({ stage: 'compute', dataset: dataset.name, table });
    }
  }
  return { tables };
}
