/**
 * One dataset's journey, the rules both paths follow: the `datasetPipeline` child (one dataset,
 * workflows/datasetPipeline.ts) and the `processBatch` activity (many small ones, activities/batch.ts).
 * The key its outputs are recorded under, the note of a dataset skipped as unchanged, the name of its
 * staging folder and the shapes of its summary. Pure (no I/O, no Node modules): the workflow bundle
 * imports it.
 */
import type { DatasetStage, DatasetSummary, DatasetWarning, OutputFile } from './types';

/** What produced a dataset's outputs: equal keys mean equal outputs (activities/fingerprints.ts records it). */
export interface OutputKey {
  dataset: string;
  week: string;
  outputRoot: string;
  inputs: string;
  reference: string;
  metrics: string[];
  outputPath: string;
}

/** The run's side of a dataset's journey: the same for every dataset of the run. */
export interface JourneyRun {
  week: string;
  metrics: string[];
  output: { root: string; path: string };
}

/** The key of one dataset's outputs, from the run and the fingerprints its read stage found. */
export function outputKey(run: JourneyRun, dataset: string, found: { inputs: string; reference: string }): OutputKey {
  // Field order kept as the child always sent it: the key is an activity argument in recorded histories.
  return {
    dataset,
    week: run.week,
    outputRoot: run.output.root,
    inputs: found.inputs,
    reference: found.reference,
    metrics: run.metrics,
    outputPath: run.output.path,
  };
}

/**
 * The name of a dataset's staging folder under `<output root>/.staging`, `<dataset>-<run id>`: a batch's
 * datasets, and children recorded before staging-named-by-workflow-id.
 */
export function stagingName(dataset: string, runId: string): string {
  return `${dataset}-${runId}`;
}

/**
 * The staging folder name of one execution of a dataset's own workflow, `<workflow id, URI-encoded>@<run
 * id>` (no '/' and no '@' but the separator). Temporal runs one execution of a workflow id at a time, so
 * a folder with the same id and another run id belongs to an execution that has closed (terminated,
 * say) and can be removed.
 */
export function executionStagingName(workflowId: string, runId: string): string {
  return `${encodeURIComponent(workflowId)}@${runId}`;
}

/** The other names in `names` that belong to earlier executions of the workflow id `own` is named for. */
export function earlierExecutions(own: string, names: string[]): string[] {
  const at = own.lastIndexOf('@');
  if (at < 0) return []; // a name from before workflow ids were part of it: nothing to tell
  const prefix = own.slice(0, at + 1);
  return names.filter((name) => name !== own && name.startsWith(prefix) && !name.slice(prefix.length).includes('@'));
}

/**
 * `<output root>/.staging/<dataset>-<run id>`, as a workflow writes it (no `path` here). The run id
 * is that of the workflow that computes the dataset: the child's own run, or for a batch the parent's.
 * Activities prove it is a staging folder before they touch it (common/paths.ts checkWorkDir).
 */
export function stagingFolder(outputRoot: string, dataset: string, runId: string): string {
  return `${outputRoot}/.staging/${stagingName(dataset, runId)}`;
}

/** `<output root>/.staging/<execution staging name>`, as the dataset's own workflow writes it. */
export function executionStagingFolder(outputRoot: string, workflowId: string, runId: string): string {
  return `${outputRoot}/.staging/${executionStagingName(workflowId, runId)}`;
}

/**
 * The workflow id of the run a dataset's workflow belongs to: a dataset's own workflow is
 * `<run>/<dataset>` (workflows/weeklyLoad.ts), a batch runs in the run itself.
 */
export function runOf(workflowId: string, dataset: string): string {
  const suffix = `/${dataset}`;
  return workflowId.endsWith(suffix) ? workflowId.slice(0, -suffix.length) : workflowId;
}

/** A dataset's summary before anything has run. */
export function newSummary(dataset: string): DatasetSummary {
  return { dataset, status: 'succeeded', outputs: [], stages: {} };
}

/** Warnings go in a summary only when there are some: summaries stay as they were for clean data. */
export const withWarnings = (warnings: DatasetWarning[]): { warnings?: DatasetWarning[] } =>
  warnings.length > 0 ? { warnings } : {};

/** The summary once the dataset and the reference data are read: rows in, and the warnings of both. */
export function afterRead(
  summary: DatasetSummary,
  read: { rowsIn: DatasetSummary['rowsIn']; warnings: DatasetWarning[] },
): DatasetSummary {
  return { ...summary, rowsIn: read.rowsIn, ...withWarnings(read.warnings) };
}

/** Skipped: the outputs of an earlier run with the same key are still in place. */
export function skipped(
  summary: DatasetSummary,
  previous: { outputs: OutputFile[]; workflowId: string; key?: string },
): DatasetSummary {
  const note = `unchanged: inputs, reference data and metric code as in ${previous.workflowId}`;
  const kept = previous.key === undefined ? {} : { outputKey: previous.key, computedBy: previous.workflowId };
  return { ...summary, status: 'skipped', outputs: previous.outputs, note, ...kept };
}

/** Failed at `stage`, with the error's type and message. */
export function failed(
  summary: DatasetSummary,
  stage: DatasetStage,
  error: { type: string; message: string },
): DatasetSummary {
  return { ...summary, status: 'failed', error: { stage, type: error.type, message: error.message } };
}
