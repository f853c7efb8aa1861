/**
 * The weekly load: plan the run (validate the spec, find the datasets), fan out its units (one
 * `datasetPipeline` child per dataset, or one activity per batch of small datasets) in a bounded
 * window, settle their outcomes (workflows/outcome.ts, which answers the `progress` query), and
 * return the run report the report activity builds and writes next to the outputs. A long run
 * continues as new every `continueAsNewAfter` units, carrying its plan and progress and leaving the
 * summaries so far on disk, so its history stays bounded whatever the number of datasets.
 */
import {
  CancellationScope,
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
import type { RunReport } from '../common/report';
import type { DatasetSummary, Progress } from '../common/types';
import type { RunPlan } from '../pipeline/types';
import { lastWeek, SCHEDULED_START } from '../common/week';
import { activityOptions, DEFAULT_POLICIES } from '../pipeline/policy';
import { datasetArrivedSignal } from './arrival';
import { datasetPipeline } from './datasetPipeline';
import {
  cancelledSummary,
  failedBatchSummaries,
  failedChildSummary,
  refusedSummary,
  reportOf,
  RunOutcome,
  type CarriedOutcome,
} from './outcome';
import { datasetRef, MAX_DATASETS_PER_RUN, planUnits, runEnd, unitSize, type Unit } from './units';
import { mapBounded } from '../common/window';

export const progressQuery = defineQuery<Progress>('progress');

export interface WeeklyLoadInput {
  /** The pipeline spec (validated again by the worker, so any client may start a run). */
  spec: unknown;
  /** Monday of the week to process (YYYY-MM-DD). Default: the spec's `week`, else the last complete week. */
  week?: string;
  /** Recompute every dataset, even those whose inputs did not change since a successful run. */
  force?: boolean;
  /**
   * The week's committed snapshot keeps the datasets this run does not produce (a rerun of some of
   * them, `tributary rerun`); by default a run's commit replaces the snapshot with its own datasets.
   */
  keepOtherDatasets?: boolean;
  /** Set by the run itself when it continues as new: where it got to. Not for callers. */
  resume?: ResumeState;
}

interface ResumeState extends CarriedOutcome {
  plan: RunPlan;
  startedAt: string;
  /** Index of the first unit this part runs. */
  nextUnit: number;
  /** Parts whose summaries are saved on disk. */
  parts: number;
  availableBy?: number;
}

/** The run's "now" for choosing its week (see SCHEDULED_START). */
function runTime(): Date {
  return workflowInfo().typedSearchAttributes.get(SCHEDULED_START) ?? new Date();
}

/** What the units of one part of a run share: the plan, the run's options, where they report to. */
interface FanOut {
  plan: RunPlan;
  input: WeeklyLoadInput;
  parentId: string;
  outcome: RunOutcome;
  /** Datasets whose children are running, for a `datasetArrived` signal to reach. */
  waiting: Set<string>;
  availableBy: number | undefined;
}

export async function weeklyLoad(input: WeeklyLoadInput): Promise<RunReport> {
  const outcome = new RunOutcome(input.resume);
  setHandler(progressQuery, () => outcome.progress);

  // Plan. The spec is not parsed yet, so planning runs under the default resolve policy.
  const { prepareRun } = proxyActivities<Activities>(activityOptions(DEFAULT_POLICIES.resolve));
  const startedAt = input.resume?.startedAt ?? new Date().toISOString();
  const plan =
    input.resume?.plan ?? (await prepareRun({ spec: input.spec, week: input.week, defaultWeek: lastWeek(runTime()) }));
  const { spec, week } = plan;
  const parentId = workflowInfo().workflowId;
  const runDir = `${spec.output.root}/.runs/${parentId.replace(/[^\w.-]/g, '_')}`;
  const parts = input.resume?.parts ?? 0;
  // Refused folders fail at once, in the first part of the run only (later parts carry the same plan).
  // Plans recorded before links were followed have none, so `patched` is only asked when there are.
  const refused =
    !input.resume && plan.refused?.length && patched('refused-datasets') ? plan.refused.map(refusedSummary) : [];
  const scope = new CancellationScope();
  const stop = () => scope.cancel();
  outcome.planned(plan.folders.length, refused, { failFast: spec.onFailure === 'failFast', stop });

  // Fan out this part's units in a bounded window.
  // One deadline for the whole run, counted from its start.
  const deadline = spec.availability ? Date.now() + spec.availability.deadlineMs : undefined;
  const availableBy = input.resume?.availableBy ?? deadline;
  const fan: FanOut = { plan, input, parentId, outcome, waiting: new Set(), availableBy };
  // A `datasetArrived` signal to the run wakes that dataset's check (or every dataset's) at once.
  setHandler(datasetArrivedSignal, async (name?: string) => {
    const targets = name ? [name].filter((n) => fan.waiting.has(n)) : [...fan.waiting];
    const signal = (n: string) => getExternalWorkflowHandle(`${parentId}/${n}`).signal(datasetArrivedSignal, n);
    await Promise.all(targets.map((n) => signal(n).catch(() => undefined)));
  });
  const units = planUnits(plan.bytes, spec.batching);
  const first = input.resume?.nextUnit ?? 0;
  // Runs recorded before datasets were counted too stop after continueAsNewAfter units only; a
  // run of 10,000 datasets in 200 batches would then carry every summary in one report payload.
  const last = patched('datasets-per-run')
    ? runEnd(units, first, spec.continueAsNewAfter, MAX_DATASETS_PER_RUN)
    : Math.min(units.length, first + spec.continueAsNewAfter);
  const thisPart = units.slice(first, last);
  const results = await scope.run(() => mapBounded(thisPart, spec.parallelism.datasets, (unit) => runUnit(fan, unit)));
  const summaries = [...refused, ...results.flat()];

  // Continue as new: bounded history. This part's summaries wait on disk for the report.
  const { writeReport, saveSummaries } = proxyActivities<Activities>(activityOptions(spec.stages.write));
  if (last < units.length && !outcome.cancelled) {
    await saveSummaries(runDir, parts, summaries);
    const carried = { ...outcome.carry(), ...(availableBy !== undefined ? { availableBy } : {}) };
    const resume: ResumeState = { plan, startedAt, nextUnit: last, parts: parts + 1, ...carried };
    await continueAsNew<typeof weeklyLoad>({ ...input, resume });
  }

  // Report: the activity builds it, with the parts saved on disk, and writes it next to the outputs.
  // Written even for a cancelled run, so the report says which datasets finished before it stopped.
  outcome.reporting();
  const finishedAt = new Date().toISOString();
  const facts = { pipeline: spec.name, workflowId: parentId, week, startedAt, finishedAt, datasets: summaries };
  const saved = parts > 0 ? { runDir, parts } : undefined;
  // A rerun of some datasets commits on top of the week's snapshot; a run of the whole week replaces
  // it (its datasets that have no new outputs keep their earlier ones: common/manifest.ts).
  const mode = input.keepOtherDatasets ? 'merge' : 'replace';
  const written = await CancellationScope.nonCancellable(() => writeReport(facts, spec.output.root, saved, mode));
  return outcome.close(reportOf(written, facts), summaries);
}

/** One unit: a dataset's child or a batch, or, when failFast is stopping the run, cancelled at once. */
async function runUnit(fan: FanOut, unit: Unit): Promise<DatasetSummary[]> {
  const size = unitSize(unit);
  if (!fan.outcome.starts(size)) {
    const indexes = unit.kind === 'dataset' ? [unit.index] : Array.from({ length: size }, (_, i) => unit.from + i);
    return indexes.map((i) => cancelledSummary(datasetRef(fan.plan.spec, fan.plan.folders[i]!).name));
  }
  try {
    return unit.kind === 'dataset' ? [await runDataset(fan, unit.index)] : await runBatch(fan, unit.from, unit.to);
  } finally {
    fan.outcome.ends(size);
  }
}

async function runDataset(fan: FanOut, index: number): Promise<DatasetSummary> {
  const { plan, input, parentId, outcome, waiting, availableBy } = fan;
  const { spec, week } = plan;
  const dataset = datasetRef(spec, plan.folders[index]!);
  const arrival = spec.availability ? { availability: spec.availability, availableBy } : {};
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
      args: [
        {
          dataset,
          reference: plan.reference,
          week,
          metrics: spec.metrics,
          output: spec.output,
          stages: spec.stages,
          ...arrival,
          ...(input.force ? { force: true } : {}),
          ...qualityOf(plan),
        },
      ],
    });
    outcome.settle([summary]);
    return summary;
  } catch (err) {
    // A cancelled child is an outcome like any other: the window keeps settling the rest, so
    // every child has cleaned up before this run closes.
    if (isCancellation(err)) {
      outcome.interrupted();
      return cancelledSummary(dataset.name);
    }
    const summary = failedChildSummary(dataset.name, err);
    outcome.settle([summary]);
    return summary;
  } finally {
    waiting.delete(dataset.name);
  }
}

async function runBatch({ plan, input, outcome }: FanOut, from: number, to: number): Promise<DatasetSummary[]> {
  const { spec, week } = plan;
  const { processBatch } = proxyActivities<Activities>(activityOptions(spec.stages.compute));
  const datasets = plan.folders.slice(from, to).map((folder) => datasetRef(spec, folder));
  let summaries: DatasetSummary[];
  try {
    ({ summaries } = await processBatch({
      datasets,
      reference: plan.reference,
      week,
      metrics: spec.metrics,
      output: spec.output,
      ...(input.force ? { force: true } : {}),
      ...qualityOf(plan),
    }));
  } catch (err) {
    if (isCancellation(err)) {
      outcome.interrupted();
      return datasets.map((d) => cancelledSummary(d.name));
    }
    summaries = failedBatchSummaries(
      datasets.map((d) => d.name),
      err,
      spec.stages.compute.retry.maximumAttempts,
    );
  }
  outcome.settle(summaries);
  return summaries;
}

/**
 * Data-quality rules go to the read stage; a plan made before the spec had them has none (the
 * activities then apply the defaults). Only activity and child inputs change, not the commands.
 */
const qualityOf = ({ spec }: RunPlan) => (spec.quality ? { quality: spec.quality } : {});
