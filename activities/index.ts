/**
 * Every activity the worker registers, built by one factory so dependencies (caches, test fault
 * hooks) come in from the worker rather than from module globals. Each is thin: the work lives in
 * the stage modules beside this file.
 */
import { Context } from '@temporalio/activity';
import type { DatasetRef, DatasetSummary, ReferenceRef } from '../common/types';
import type { AvailabilityRule, QualityRules } from '../pipeline/types';
import { checkAvailability } from './availability';
import { processBatch, type BatchInput } from './batch';
import { findUnchanged, keyOf, type OutputKey } from './fingerprints';
import { runOf } from '../common/journey';
import type { StepHook } from './commit';
import type { CommitMode } from '../common/manifest';
import { computeMetrics, type ComputeInput, type StagedTable } from './compute';
import { scanStored, unreadable } from './parquet';
import { prepareRun } from './plan';
import { publishOutputs } from './publish';
import { readDataset, readReferenceFiles } from './read';
import { defaultMemoryBudget, MemoryAdmission } from './admission';
import { DEFAULT_REFERENCE_CACHE_BYTES, ReferenceCache } from './referenceCache';
import { saveSummaries, writeReport, type RunFacts, type SavedParts } from './report';
import { Ledger } from './ledger';
import { runStage, type FaultHook } from './stage';
import { discardStaging } from './staging';

export interface ActivityDeps {
  /** Reference data shared by the activities of this worker. */
  referenceCache?: ReferenceCache;
  /** The worker's memory budget that compute attempts wait on (default: half the RAM or container limit). */
  admission?: MemoryAdmission;
  /** Tests only: called at the start of every stage attempt, may throw to inject a failure. */
  faults?: FaultHook;
  /** Where to append a line per stage start and finish (default: none). */
  ledgerFile?: string;
  /** Tests only: called at each step of publish and commit (workers/testHooks.ts kills the worker there). */
  steps?: StepHook;
}

export function createActivities(deps: ActivityDeps = {}) {
  // Worker settings come in through deps (workers/settings.ts reads them); these are the defaults.
  const cache = deps.referenceCache ?? new ReferenceCache(DEFAULT_REFERENCE_CACHE_BYTES);
  const admission = deps.admission ?? new MemoryAdmission(defaultMemoryBudget());
  const hooks = { faults: deps.faults, ledger: deps.ledgerFile ? new Ledger(deps.ledgerFile) : undefined };
  const loadReference = (file: string) =>
    cache.get(file, (f) =>
      scanStored(f)
        .collect()
        .catch((err: unknown) => Promise.reject(unreadable(f, err))),
    );

  return {
    /** Validates the spec and finds the datasets: the run's plan. */
    prepareRun: (input: { spec: unknown; week?: string; defaultWeek: string }) =>
      runStage('resolve', '*', hooks, () => prepareRun(input, Context.current().info.workflowExecution?.workflowId)),
    /** Checks one dataset's files against their schemas and counts the week's rows. */
    readDataset: (dataset: DatasetRef, week: string, quality?: QualityRules) =>
      runStage('read', dataset.name, hooks, () => readDataset(dataset, week, quality)),
    /** Checks the reference data and loads it into this worker's cache. */
    readReference: (reference: ReferenceRef, dataset: string, quality?: QualityRules) =>
      runStage('readReference', dataset, hooks, () => readReferenceFiles(reference, loadReference, quality)),
    /** Computes the metrics of one dataset into its staging folder. */
    computeMetrics: (input: ComputeInput) =>
      runStage('compute', input.dataset.name, hooks, (progress) =>
        computeMetrics(input, loadReference, progress, admission),
      ),
    /** Moves staged outputs into the run's folders, hashed; the run's commit makes them current. */
    publishOutputs: (input: { dataset: string; tables: StagedTable[]; stagingDir: string; key?: OutputKey }) =>
      runStage('write', input.dataset, hooks, async () => {
        const execution = Context.current().info.workflowExecution;
        // Runs recorded before incremental keys have no key, and no week here: no pending record then.
        const publisher = input.key && {
          outputRoot: input.key.outputRoot,
          week: input.key.week,
          dataset: input.dataset,
          workflowId: runOf(execution?.workflowId ?? 'standalone', input.dataset),
          runId: execution?.runId ?? 'standalone',
          key: keyOf(input.key),
        };
        const published = await publishOutputs(input.tables, input.stagingDir, publisher, deps.steps);
        return { ...published, ...(publisher && { key: publisher.key }) };
      }),
    /** The outputs of an earlier run with the same inputs, code and parameters, if still in place. */
    findUnchanged: (key: OutputKey) => findUnchanged(key),
    /** Whether a dataset's data has arrived, per the spec's availability rule. */
    checkAvailability: (dataset: DatasetRef, rule: AvailabilityRule, week: string) =>
      checkAvailability(dataset, rule, week),
    /** Many small datasets in one activity, each with its own summary. */
    processBatch: (input: BatchInput) =>
      runStage(
        'compute',
        `batch of ${input.datasets.length} from ${input.datasets[0]?.name ?? '-'}`,
        hooks,
        (progress) => processBatch(input, loadReference, progress, admission, deps.steps),
      ),
    /** Keeps the summaries of one part of a long run on disk, out of workflow history. */
    saveSummaries: (runDir: string, part: number, summaries: DatasetSummary[]) =>
      saveSummaries(runDir, part, summaries),
    /** Removes a dataset's staging folder. */
    discardStaging: (stagingDir: string) => discardStaging(stagingDir),
    /**
     * Builds the run report (with the parts a long run saved), commits the week's snapshot (`mode`;
     * runs recorded before the commit protocol send none: replace), writes the report next to the
     * outputs, returns it.
     */
    writeReport: (run: RunFacts, outputRoot: string, saved?: SavedParts, mode?: CommitMode) =>
      writeReport(run, outputRoot, saved, {
        mode: mode ?? 'replace',
        runId: Context.current().info.workflowExecution?.runId,
        step: deps.steps,
      }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
