/**
 * The weekly load: plan the run (validate the spec, find the datasets), fan out its units (one
 * `datasetPipeline` child per dataset, or one activity per batch of small datasets) in a bounded
 * window, collect their summaries, and write the run report next to the outputs. The `progress`
 * query shows where the run is. A long run continues as new every `continueAsNewAfter` units,
 * carrying its plan and progress and leaving the summaries so far on disk, so its history stays
 * bounded whatever the number of datasets.
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  continueAsNew,
  defineQuery,
  executeChild,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { buildReport, type RunReport } from '../common/report';
import type { DatasetSummary, Progress, RunPlan } from '../common/types';
import { lastWeek, SCHEDULED_START } from '../common/week';
import { activityOptions, DEFAULT_POLICIES } from '../spec/policy';
import { datasetArrivedSignal } from './arrival';
import { datasetPipeline } from './datasetPipeline';
import { describeFailure } from './failures';
import { datasetRef, MAX_DATASETS_PER_RUN, planUnits, runEnd, unitSize, type Unit } from './units';
import { mapBounded } from './window';

export const progressQuery = defineQuery<Progress>('progress');

export interface WeeklyLoadInput {
  /** The pipeline spec (validated again by the worker, so any client may start a run). */
  spec: unknown;
  /** Monday of the week to process (YYYY-MM-DD). Default: the spec's `week`, else the last complete week. */
  week?: string;
  /** Recompute every dataset, even those whose inputs did not change since a successful run. */
  force?: boolean;
  /** Set by the run itself when it continues as new: where it got to. Not for callers. */
  resume?: ResumeState;
}

interface ResumeState {
  plan: RunPlan;
  startedAt: string;
  /** Index of the first unit this part runs. */
  nextUnit: number;
  /** Parts whose summaries are saved on disk. */
  parts: number;
  progress: Progress;
  stopping: boolean;
  availableBy?: number;
}

/** The run's "now" for choosing its week (see SCHEDULED_START). */
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

const cancelledSummary = (dataset: string): DatasetSummary => ({ dataset, status: 'cancelled', outputs: [], stages: {} });

/** A folder the plan refused (a link outside the data root, a loop), reported like any failed dataset. */
const refusedSummary = (r: NonNullable<RunPlan['refused']>[number]): DatasetSummary => ({
  dataset: r.dataset,
  status: 'failed',
  outputs: [],
  stages: {},
  error: { stage: 'resolve', type: r.type, message: r.message },
});

export async function weeklyLoad(input: WeeklyLoadInput): Promise<RunReport> {
  const progress: Progress = input.resume?.progress ?? { phase: 'planning', total: 0, pending: 0, running: 0, succeeded: 0, failed: 0, late: 0, skipped: 0 };
  setHandler(progressQuery, () => progress);

  // The spec is not parsed yet, so planning runs under the default resolve policy.
  const { prepareRun } = proxyActivities<Activities>(activityOptions(DEFAULT_POLICIES.resolve));
  const startedAt = input.resume?.startedAt ?? new Date().toISOString();
  const plan = input.resume?.plan ?? (await prepareRun({ spec: input.spec, week: input.week, defaultWeek: lastWeek(runTime()) }));
  const { spec, week } = plan;
  const { writeReport, saveSummaries } = proxyActivities<Activities>(activityOptions(spec.stages.write));
  const { processBatch } = proxyActivities<Activities>(activityOptions(spec.stages.compute));
  if (!input.resume) Object.assign(progress, { phase: 'running', total: plan.folders.length, pending: plan.folders.length });
  // Refused folders fail at once, in the first part of the run only (later parts carry the same plan).
  // Plans recorded before links were followed have none, so `patched` is only asked when there are.
  const refused =
    !input.resume && plan.refused?.length && patched('refused-datasets') ? plan.refused.map(refusedSummary) : [];
  progress.total += refused.length;

  const parentId = workflowInfo().workflowId;
  const runDir = `${spec.output.root}/.runs/${parentId.replace(/[^\w.-]/g, '_')}`;
  const parts = input.resume?.parts ?? 0;
  // One deadline for the whole run, counted from its start.
  const availableBy = input.resume?.availableBy ?? (spec.availability ? Date.now() + spec.availability.deadlineMs : undefined);
  const arrival = spec.availability ? { availability: spec.availability, availableBy } : {};
  // Data-quality rules go to the read stage; a plan made before the spec had them has none (the
  // activities then apply the defaults). Only activity and child inputs change, not the commands.
  const quality = spec.quality ? { quality: spec.quality } : {};
  // A `datasetArrived` signal to the run wakes that dataset's check (or every dataset's) at once.
  const waiting = new Set<string>();
  setHandler(datasetArrivedSignal, async (name?: string) => {
    const targets = name ? [name].filter((n) => waiting.has(n)) : [...waiting];
    await Promise.all(targets.map((n) => getExternalWorkflowHandle(`${parentId}/${n}`).signal(datasetArrivedSignal, n).catch(() => undefined)));
  });
  let stopping = input.resume?.stopping ?? false; // failFast: set at the first failure; the rest are cancelled
  let cancelRequested = false; // the run itself was cancelled (CLI, Web UI, API)
  const fanOut = new CancellationScope();
  const failed = (err: unknown) => {
    progress.failed += 1;
    if (spec.onFailure === 'failFast' && !stopping) {
      stopping = true;
      fanOut.cancel();
    }
    return err;
  };
  progress.failed += refused.length;
  // failFast: a refused dataset is the first failure; nothing has started yet, so none is cancelled.
  if (refused.length > 0 && spec.onFailure === 'failFast') stopping = true;
  const count = (summary: DatasetSummary) => {
    if (summary.status === 'late') progress.late += 1;
    else if (summary.status === 'skipped') progress.skipped += 1;
    else if (summary.status === 'failed') failed(summary);
    else if (summary.status === 'succeeded') progress.succeeded += 1;
  };

  const runDataset = async (index: number): Promise<DatasetSummary> => {
    const dataset = datasetRef(spec, plan.folders[index]!);
    waiting.add(dataset.name);
    try {
      const summary = await executeChild(datasetPipeline, {
        workflowId: `${parentId}/${dataset.name}`,
        // A run terminated (or timed out) takes its children with it. Asked to cancel instead, they
        // waited forever when no worker was left, and held their ids against the next run of the week.
        // Their staging folders are removed by the next execution of the same child id.
        parentClosePolicy: patched('children-close-with-run')
          ? ParentClosePolicy.TERMINATE
          : ParentClosePolicy.REQUEST_CANCEL,
        args: [{ dataset, reference: plan.reference, week, metrics: spec.metrics, output: spec.output, stages: spec.stages, ...arrival, ...(input.force ? { force: true } : {}), ...quality }],
      });
      count(summary);
      return summary;
    } catch (err) {
      // A cancelled child is an outcome like any other: the window keeps settling the rest, so
      // every child has cleaned up before this run closes.
      if (isCancellation(err)) {
        if (!stopping) cancelRequested = true;
        return cancelledSummary(dataset.name);
      }
      failed(err);
      return failedSummary(dataset.name, err);
    } finally {
      waiting.delete(dataset.name);
    }
  };

  const runBatch = async (from: number, to: number): Promise<DatasetSummary[]> => {
    const datasets = plan.folders.slice(from, to).map((folder) => datasetRef(spec, folder));
    try {
      const { summaries } = await processBatch({ datasets, reference: plan.reference, week, metrics: spec.metrics, output: spec.output, ...(input.force ? { force: true } : {}), ...quality });
      summaries.forEach(count);
      return summaries;
    } catch (err) {
      if (isCancellation(err)) {
        if (!stopping) cancelRequested = true;
        return datasets.map((d) => cancelledSummary(d.name));
      }
      const info = describeFailure(err, spec.stages.compute.retry.maximumAttempts);
      return datasets.map((d) => {
        failed(err);
        const attempts = info.attempts ?? 1;
        return { dataset: d.name, status: 'failed', outputs: [], stages: { compute: { attempts, durationMs: 0 } }, error: { stage: 'compute', type: info.type, message: info.message } };
      });
    }
  };

  const runUnit = async (unit: Unit): Promise<DatasetSummary[]> => {
    const size = unitSize(unit);
    progress.pending -= size;
    if (stopping) {
      const indexes = unit.kind === 'dataset' ? [unit.index] : Array.from({ length: size }, (_, i) => unit.from + i);
      return indexes.map((i) => cancelledSummary(datasetRef(spec, plan.folders[i]!).name));
    }
    progress.running += size;
    try {
      return unit.kind === 'dataset' ? [await runDataset(unit.index)] : await runBatch(unit.from, unit.to);
    } finally {
      progress.running -= size;
    }
  };

  const units = planUnits(plan.bytes, spec.batching);
  const first = input.resume?.nextUnit ?? 0;
  // Runs recorded before datasets were counted too stop after continueAsNewAfter units only; a
  // run of 10,000 datasets in 200 batches would then carry every summary in one report payload.
  const last = patched('datasets-per-run')
    ? runEnd(units, first, spec.continueAsNewAfter, MAX_DATASETS_PER_RUN)
    : Math.min(units.length, first + spec.continueAsNewAfter);
  const results = await fanOut.run(() => mapBounded(units.slice(first, last), spec.parallelism.datasets, runUnit));
  const summaries = [...refused, ...results.flat()];

  if (last < units.length && !cancelRequested) {
    // Bounded history: keep this part's summaries on disk and go on in a fresh run.
    await saveSummaries(runDir, parts, summaries);
    const resume: ResumeState = { plan, startedAt, nextUnit: last, parts: parts + 1, progress, stopping, ...(availableBy !== undefined ? { availableBy } : {}) };
    await continueAsNew<typeof weeklyLoad>({ ...input, resume });
  }

  progress.phase = 'reporting';
  const report = buildReport({ pipeline: spec.name, workflowId: parentId, week, startedAt, finishedAt: new Date().toISOString(), datasets: summaries });
  // Written even for a cancelled run, so the report says which datasets finished before it stopped.
  const written = await CancellationScope.nonCancellable(() => writeReport(report, spec.output.root, parts > 0 ? { runDir, parts } : undefined));
  const files = { json: written.json, markdown: written.markdown };
  const whole: RunReport = written.merged
    ? { ...report, status: written.merged.status, totals: written.merged.totals, datasets: written.merged.datasets ?? [], ...(written.merged.datasets ? {} : { datasetsIn: files.json }) }
    : report;
  progress.phase = 'done';
  if (cancelRequested) throw new CancelledFailure(`Run cancelled; report: ${files.markdown}`);
  if (stopping) {
    const firstFailure = whole.datasets.find((s) => s.status === 'failed') ?? summaries.find((s) => s.status === 'failed');
    throw ApplicationFailure.nonRetryable(
      `Stopped at the first failure (onFailure: failFast): ${firstFailure?.dataset}: ${firstFailure?.error?.message}. Report: ${files.markdown}`,
      'RunFailed',
      { ...whole, files },
    );
  }
  return { ...whole, files };
}
