/**
 * The weekly load: plan the run (validate the spec, find the datasets), fan out one
 * `datasetPipeline` child per dataset in a bounded window, collect their summaries, and write
 * the run report next to the outputs. The `progress` query shows where the run is.
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  defineQuery,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { Activities } from '../activities';
import { buildReport, type RunReport } from '../common/report';
import type { DatasetSummary, Progress } from '../common/types';
import { activityOptions, DEFAULT_POLICIES } from '../spec/policy';
import { datasetArrivedSignal } from './arrival';
import { datasetPipeline } from './datasetPipeline';
import { describeFailure } from './failures';
import { mapBounded } from './window';

export const progressQuery = defineQuery<Progress>('progress');

export interface WeeklyLoadInput {
  /** The pipeline spec (validated again by the worker, so any client may start a run). */
  spec: unknown;
  /** Monday of the week to process (YYYY-MM-DD). Default: the spec's `week`, else the last complete week. */
  week?: string;
  /** Recompute every dataset, even those whose inputs did not change since a successful run. */
  force?: boolean;
}

/** Monday of the week before `now`, in UTC: the last complete week. */
export function lastWeek(now: Date): string {
  const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7) - 7);
  return monday.toISOString().slice(0, 10);
}

/**
 * When the run is "now" for choosing its week: a run started by a Schedule (or a backfill) uses the
 * time it was scheduled for, so a backfilled run of an old Monday processes that Monday's previous
 * week; any other run uses its start time.
 */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
function runTime(): Date {
  return workflowInfo().typedSearchAttributes.get(SCHEDULED_START) ?? new Date();
}

/** The summary a failed child carries in its failure details, or one built from the error. */
function failedSummary(dataset: string, err: unknown): DatasetSummary {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : undefined;
  const carried = cause instanceof ApplicationFailure ? (cause.details?.[0] as DatasetSummary | undefined) : undefined;
  if (carried?.dataset === dataset) return carried;
  const info = describeFailure(err);
  return { dataset, status: 'failed', outputs: [], stages: {}, error: { stage: 'run', type: info.type, message: info.message } };
}

export async function weeklyLoad(input: WeeklyLoadInput): Promise<RunReport> {
  const startedAt = new Date().toISOString();
  const progress: Progress = { phase: 'planning', total: 0, pending: 0, running: 0, succeeded: 0, failed: 0, late: 0, skipped: 0 };
  setHandler(progressQuery, () => progress);

  // The spec is not parsed yet, so planning runs under the default resolve policy.
  const { prepareRun } = proxyActivities<Activities>(activityOptions(DEFAULT_POLICIES.resolve));
  const plan = await prepareRun({ spec: input.spec, week: input.week, defaultWeek: lastWeek(runTime()) });
  const { spec, week } = plan;
  const { writeReport } = proxyActivities<Activities>(activityOptions(spec.stages.write));
  Object.assign(progress, { phase: 'running', total: plan.datasets.length, pending: plan.datasets.length });

  const parentId = workflowInfo().workflowId;
  // One deadline for the whole run, counted from its start.
  const arrival = spec.availability ? { availability: spec.availability, availableBy: Date.now() + spec.availability.deadlineMs } : {};
  // A `datasetArrived` signal to the run wakes that dataset's check (or every dataset's) at once.
  const waiting = new Set<string>();
  setHandler(datasetArrivedSignal, async (name?: string) => {
    const targets = name ? [name].filter((n) => waiting.has(n)) : [...waiting];
    await Promise.all(targets.map((n) => getExternalWorkflowHandle(`${parentId}/${n}`).signal(datasetArrivedSignal, n).catch(() => undefined)));
  });
  let stopping = false; // failFast: set at the first failure; the rest are cancelled
  let cancelRequested = false; // the run itself was cancelled (CLI, Web UI, API)
  const fanOut = new CancellationScope();
  const summaries = await fanOut.run(() =>
    mapBounded(plan.datasets, spec.parallelism.datasets, async (dataset): Promise<DatasetSummary> => {
      if (stopping) {
        progress.pending -= 1;
        return { dataset: dataset.name, status: 'cancelled', outputs: [], stages: {} };
      }
      progress.pending -= 1;
      progress.running += 1;
      waiting.add(dataset.name);
      try {
        const summary = await executeChild(datasetPipeline, {
          workflowId: `${parentId}/${dataset.name}`,
          // If this run is terminated, its children are asked to cancel, so they clean up too.
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
          args: [{ dataset, reference: plan.reference, week, metrics: spec.metrics, output: spec.output, stages: spec.stages, ...arrival, ...(input.force ? { force: true } : {}) }],
        });
        if (summary.status === 'late') progress.late += 1;
        else if (summary.status === 'skipped') progress.skipped += 1;
        else progress.succeeded += 1;
        return summary;
      } catch (err) {
        // A cancelled child is an outcome like any other: the window keeps settling the rest, so
        // every child has cleaned up before this run closes.
        if (isCancellation(err)) {
          if (!stopping) cancelRequested = true;
          return { dataset: dataset.name, status: 'cancelled', outputs: [], stages: {} };
        }
        progress.failed += 1;
        if (spec.onFailure === 'failFast' && !stopping) {
          stopping = true;
          fanOut.cancel();
        }
        return failedSummary(dataset.name, err);
      } finally {
        waiting.delete(dataset.name);
        progress.running -= 1;
      }
    }),
  );

  progress.phase = 'reporting';
  const report = buildReport({ pipeline: spec.name, workflowId: parentId, week, startedAt, finishedAt: new Date().toISOString(), datasets: summaries });
  // Written even for a cancelled run, so the report says which datasets finished before it stopped.
  const files = await CancellationScope.nonCancellable(() => writeReport(report, spec.output.root));
  progress.phase = 'done';
  if (cancelRequested) throw new CancelledFailure(`Run cancelled; report: ${files.markdown}`);
  if (stopping) {
    const first = summaries.find((s) => s.status === 'failed');
    throw ApplicationFailure.nonRetryable(
      `Stopped at the first failure (onFailure: failFast): ${first?.dataset}: ${first?.error?.message}. Report: ${files.markdown}`,
      'RunFailed',
      { ...report, files },
    );
  }
  return { ...report, files };
}
