/**
 * The compute stage: the metrics over one dataset's week, each output table streamed by polars
 * (lazy scan, async sink) into the dataset's staging folder. Nothing is published here: the write
 * stage moves staged files into place, so a failed or retried compute never leaves a half output.
 */
import { CancelledFailure, Context } from '@temporalio/activity';
import type pl from 'nodejs-polars';
import { formatBytes } from '../common/bytes';
import { checkWorkDir, versionedOutputFile } from '../common/paths';
import type { DatasetRef, ReferenceRef } from '../common/types';
import { metricOf, type Metric, type MetricInputs } from '../metrics';
import {
  computeOrder,
  DATASET_INPUTS,
  type DatasetInput,
  isDerived,
  type MetricInput,
  type ReferenceInput,
} from '../metrics/metric';
import { estimateFootprint, type MemoryAdmission } from './admission';
import { changedInput, inputSnapshot } from './inputChange';
import { joinPath, polarsOptions, storageFor } from '../storage';
import { outputUnwritable, writingOutput } from '../storage/faults';
import { countRows, inWeek, scanStored, unreadable } from './parquet';
import { discardEarlierStaging } from './staging';
import { shardedPlans, storeShardsFor } from './storeShards';

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
  /** Its report sums, when known as it was written (OutputFile.sums). */
  sums?: Record<string, number>;
  /** Its size and SHA-256 when known as it was written (a batch has the bytes in hand). */
  bytes?: number;
  sha256?: string;
}

/**
 * The file one run publishes an output table to, in the run's own folder under the template's
 * (common/paths.ts versionedOutputFile); throws unless it is inside the output root.
 */
export function renderOutputPath(
  output: ComputeInput['output'],
  vars: { week: string; dataset: string; table: string },
  runId: string,
): string {
  return versionedOutputFile(output, vars, runId);
}

/**
 * The inputs the metrics declare, and only those: a dataset input is `scanDataset`'s lazy scan, a
 * reference input is loaded through `load` (the worker's cache) and shared by every metric.
 */
export async function metricInputs(
  metrics: readonly Metric[],
  scanDataset: (input: DatasetInput) => pl.LazyDataFrame,
  reference: ReferenceRef,
  load: (file: string) => Promise<pl.DataFrame>,
): Promise<MetricInputs> {
  const wanted = [...new Set(metrics.flatMap((m) => m.inputs))];
  const frames = await Promise.all(
    wanted.map(async (name: MetricInput) =>
      DATASET_INPUTS[name] ? scanDataset(name as DatasetInput) : (await load(reference[name as ReferenceInput])).lazy(),
    ),
  );
  // Only the declared inputs are there; a metric's type lets it read no other.
  return Object.fromEntries(wanted.map((name, i) => [name, frames[i]])) as MetricInputs;
}

/** A staged table, scanned lazily from wherever it is stored. */
const scanStaged = scanStored;

/** What a compute attempt has staged so far: sent with its heartbeats, read back by a retry. */
export interface ComputeProgress {
  staged: StagedTable[];
  /** The inputs the tables were computed from (size, time, inode): a retry resumes only if unchanged. */
  inputs?: string;
}

/**
 * Tables a previous attempt finished (from its last heartbeat), moved into this attempt's folder.
 * A rename either takes the whole file or fails (the stale attempt already deleted it): then the
 * table is simply computed again. Tables of inputs that have changed since are computed again too.
 */
async function resumeStaged(previous: unknown, attemptDir: string, inputs: string): Promise<StagedTable[]> {
  const progress = previous as Partial<ComputeProgress> | undefined;
  const staged = progress?.inputs === undefined || progress.inputs === inputs ? (progress?.staged ?? []) : [];
  const resumed: StagedTable[] = [];
  for (const table of staged) {
    const target = joinPath(attemptDir, `${table.table}.parquet`);
    try {
      await storageFor(target).move(table.staging, target);
      resumed.push({ ...table, staging: target });
    } catch {
      // gone: compute it again
    }
  }
  return resumed;
}

/**
 * Computes the metrics of one dataset, admitted first against the worker's memory budget when one
 * is given: the attempt waits (heartbeating, cancellable) until its estimated footprint fits.
 */
export async function computeMetrics(
  input: ComputeInput,
  reference: (file: string) => Promise<pl.DataFrame>,
  progress: (update: Record<string, unknown>) => void = () => undefined,
  admission?: MemoryAdmission,
) {
  if (!admission) return computeAdmitted(input, reference, progress);
  const ctx = Context.current();
  const files = input.dataset.files;
  const bytes = await estimateFootprint([files.transactions, files.stock]);
  // While waiting, the heartbeats keep what the previous attempt staged, so a retry after this
  // attempt dies in the queue can still resume from it.
  const previous = (ctx.info.heartbeatDetails as Partial<ComputeProgress> | undefined)?.staged ?? [];
  let waited = false;
  const release = await admission.acquire(bytes, ctx.cancellationSignal, () => {
    waited = true;
    progress({ staged: previous, waitingForMemory: `${formatBytes(bytes)} of ${formatBytes(admission.budget)}` });
  });
  try {
    if (waited) progress({ staged: previous });
    return await computeAdmitted(input, reference, progress);
  } finally {
    release();
  }
}

async function computeAdmitted(
  input: ComputeInput,
  reference: (file: string) => Promise<pl.DataFrame>,
  progress: (update: Record<string, unknown>) => void,
) {
  const { dataset, week } = input;
  const metrics = input.metrics.map(metricOf);
  const scan = (name: DatasetInput) => scanStored(dataset.files[name]).filter(inWeek(week));
  const inputs = await metricInputs(metrics, scan, input.reference, reference);
  // Each attempt stages into its own folder: an attempt that timed out but still runs (a zombie)
  // can never overwrite the files of the attempt that publishes. An attempt that fails, is
  // cancelled, or learns (through its heartbeat) that it timed out removes its folder itself.
  const ctx = Context.current();
  // The staging folder comes from the workflow: proved to be <output root>/.staging/<name> before
  // anything is removed in it.
  const stagingDir = checkWorkDir(input.stagingDir, '.staging', input.output.root);
  const attemptDir = joinPath(stagingDir, `attempt-${ctx.info.attempt}`);
  const storage = storageFor(attemptDir);
  const runId = ctx.info.workflowExecution?.runId ?? 'standalone';
  const stopIfCancelled = () => {
    if (ctx.cancellationSignal.aborted)
      throw new CancelledFailure(
        `Compute of ${dataset.name} cancelled (${String(ctx.cancellationSignal.reason ?? 'cancelled')})`,
      );
  };
  const tables: StagedTable[] = [];
  const files = [dataset.files.transactions, dataset.files.stock];
  const before = await inputSnapshot(files);
  const staged = () => progress({ staged: [...tables], inputs: before } satisfies ComputeProgress);
  try {
    stopIfCancelled();
    await discardEarlierStaging(input.stagingDir);
    await writingOutput(attemptDir, () => storage.removeTree(attemptDir));
    await storage.makeDir(attemptDir);
    tables.push(...(await resumeStaged(ctx.info.heartbeatDetails, attemptDir, before)));
    if (tables.length > 0) staged(); // a further retry resumes them too
    const shards = await storeShardsFor(dataset.files.stock);
    for (const metric of metrics) {
      const plans = await shardedPlans(metric, inputs, shards);
      for (const table of computeOrder(plans)) {
        if (tables.some((t) => t.table === table)) continue; // resumed from a previous attempt
        stopIfCancelled();
        const plan = plans[table]!;
        // A roll-up reads its source's staged file (computed just before, or resumed): the source's
        // plan runs once.
        const frame = isDerived(plan)
          ? plan.derive(scanStaged(tables.find((t) => t.table === plan.from)!.staging))
          : plan;
        const staging = joinPath(attemptDir, `${table}.parquet`);
        // Proved inside the output root before anything is written.
        const final = renderOutputPath(input.output, { week, dataset: dataset.name, table }, runId);
        try {
          await frame.sinkParquet(staging, polarsOptions(staging)).collect();
        } catch (err) {
          // A full or read-only disk is the output's fault; a file replaced meanwhile is retried; only
          // what remains is an input polars cannot read.
          const where = `Dataset ${dataset.name}, table ${table}`;
          throw (
            outputUnwritable(staging, err) ??
            (await changedInput(where, files, before, err)) ??
            unreadable(`${files.join(' / ')} (dataset ${dataset.name}, table ${table})`, err)
          );
        }
        const rows = await countRows(scanStaged(staging));
        tables.push({ table, staging, final, rows });
        staged();
      }
    }
    stopIfCancelled();
    // Tables computed from an input that changed meanwhile may mix two versions of it: start again.
    const changed = await changedInput(`Dataset ${dataset.name}`, files, before);
    if (changed) throw changed;
  } catch (err) {
    await storage.removeTree(attemptDir);
    await storage.pruneEmpty(input.stagingDir, input.output.root).catch(() => undefined); // its folder, if now empty
    throw err;
  }
  // In the metrics' declaration order, whatever order they were computed (or resumed) in.
  const declared = metrics.flatMap((m) => Object.keys(m.tables));
  return { tables: tables.sort((a, b) => declared.indexOf(a.table) - declared.indexOf(b.table)) };
}
