/**
 * Stub activities for orchestration tests: the workflows (window, failFast, continue-as-new,
 * cancellation, batching, waiting for data) run for real on the suite's server, while the data
 * stages do no polars work and read no files. Each stage still goes through the real `runStage`
 * (attempts, heartbeats, typed failures), and the run's report is written by the real
 * saveSummaries/writeReport, so what the workflow hands them is checked too. Every call is recorded.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { BatchInput } from '../../activities/batch';
import type { ComputeInput, StagedTable } from '../../activities/compute';
import type { RunPlan } from '../../pipeline/types';
import { saveSummaries, writeReport } from '../../activities/report';
import { runStage } from '../../activities/stage';
import type { DatasetRef, DatasetSummary, ReferenceRef } from '../../common/types';
import { parseSpec } from '../../pipeline/schema';

export type StubStage = 'read' | 'compute' | 'write';

export interface StubScript {
  /** Datasets whose stage fails, not retryably, with this error type (e.g. UnreadableParquet). */
  fails?: Record<string, { stage: StubStage; type: string }>;
  /** How long each compute takes (ms), heartbeating and honouring cancellation. Default 0. */
  computeMs?: number;
  /** Datasets not arrived yet (checkAvailability says so until `arrive(name)`). */
  missing?: string[];
  /** Datasets a processBatch call reports failed (its other datasets succeed). */
  failedInBatch?: string[];
}

export interface StubCall {
  activity: string;
  dataset: string;
  attempt: number;
}

/** Waits `ms` while heartbeating every 100 ms; a cancellation of the activity ends it (CancelledFailure). */
async function work(ms: number): Promise<void> {
  const ctx = Context.current();
  const until = Date.now() + ms;
  while (Date.now() < until) {
    ctx.heartbeat();
    await ctx.sleep(Math.min(100, until - Date.now()));
  }
}

export function stubActivities(script: StubScript = {}) {
  const calls: StubCall[] = [];
  const missing = new Set(script.missing ?? []);
  let computing = 0;
  let maxComputing = 0;
  const note = (activity: string, dataset: string) =>
    calls.push({ activity, dataset, attempt: Context.current().info.attempt });
  const failIf = (stage: StubStage, dataset: string) => {
    const failure = script.fails?.[dataset];
    if (failure?.stage === stage) {
      throw ApplicationFailure.nonRetryable(
        `Dataset ${dataset}: stub ${stage} failure (${failure.type})`,
        failure.type,
      );
    }
  };
  const succeeded = (dataset: DatasetRef): DatasetSummary => ({
    dataset: dataset.name,
    status: 'succeeded',
    outputs: [],
    stages: { compute: { attempts: 1, durationMs: 0 } },
  });

  const activities = {
    /** The real spec parsing; the datasets are the spec's `datasets.list`, with no files behind them. */
    async prepareRun(input: { spec: unknown; week?: string; defaultWeek: string }): Promise<RunPlan> {
      const spec = parseSpec(input.spec);
      if (!('list' in spec.datasets)) throw new Error('stub prepareRun: give the datasets as a list');
      const folders = spec.datasets.list;
      const reference: ReferenceRef = {
        products: `${spec.dataRoot}/products`,
        substitutes: `${spec.dataRoot}/substitutes`,
      };
      return {
        spec,
        week: input.week ?? spec.week ?? input.defaultWeek,
        folders,
        bytes: folders.map(() => 1_000),
        reference,
      };
    },
    readDataset: (dataset: DatasetRef) =>
      runStage('read', dataset.name, {}, async () => {
        note('readDataset', dataset.name);
        failIf('read', dataset.name);
        return { rowsIn: { transactions: 10, stock: 10 }, fingerprint: `stub-${dataset.name}`, warnings: [] };
      }),
    readReference: (_reference: ReferenceRef, dataset: string) =>
      runStage('readReference', dataset, {}, async () => {
        note('readReference', dataset);
        return { fingerprint: 'stub-reference', warnings: [] };
      }),
    async findUnchanged(): Promise<{ unchanged: false }> {
      return { unchanged: false };
    },
    computeMetrics: (input: ComputeInput) =>
      runStage('compute', input.dataset.name, {}, async () => {
        note('computeMetrics', input.dataset.name);
        computing += 1;
        maxComputing = Math.max(maxComputing, computing);
        try {
          await work(script.computeMs ?? 0);
          failIf('compute', input.dataset.name);
          return { tables: [] as StagedTable[] };
        } finally {
          computing -= 1;
        }
      }),
    publishOutputs: (input: { dataset: string }) =>
      runStage('write', input.dataset, {}, async () => {
        note('publishOutputs', input.dataset);
        failIf('write', input.dataset);
        return { outputs: [] };
      }),
    async discardStaging(stagingDir: string): Promise<void> {
      note('discardStaging', stagingDir);
    },
    async checkAvailability(dataset: DatasetRef): Promise<{ ready: boolean; missing?: string }> {
      note('checkAvailability', dataset.name);
      return missing.has(dataset.name) ? { ready: false, missing: `stub marker of ${dataset.name}` } : { ready: true };
    },
    processBatch: (input: BatchInput) =>
      runStage('compute', `batch of ${input.datasets.length}`, {}, async () => {
        note('processBatch', input.datasets.map((d) => d.name).join(','));
        await work(script.computeMs ?? 0);
        const summaries = input.datasets.map((d): DatasetSummary =>
          script.failedInBatch?.includes(d.name)
            ? {
                dataset: d.name,
                status: 'failed',
                outputs: [],
                stages: {},
                error: { stage: 'read', type: 'UnreadableParquet', message: `stub: ${d.name}` },
              }
            : succeeded(d),
        );
        return { summaries };
      }),
    saveSummaries,
    writeReport,
  };

  return {
    activities,
    calls,
    /** Calls of one activity, in order. */
    of: (activity: string) => calls.filter((c) => c.activity === activity),
    /** The most computes that ran at once. */
    maxComputing: () => maxComputing,
    /** The dataset's data has arrived: checkAvailability says ready from now on. */
    arrive: (dataset: string) => missing.delete(dataset),
  };
}
