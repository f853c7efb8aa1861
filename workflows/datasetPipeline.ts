/**
 * One dataset's journey: read the dataset and the reference data at the same time (fork/join),
 * compute the metrics into a staging folder, publish the outputs into the run's folders (the run's
 * commit of the week's manifest makes them current), return a summary.
 * On failure the staging folder is removed, and the failure carries the summary so far.
 */
import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  patched,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import {
  afterRead,
  executionStagingFolder,
  failed,
  newSummary,
  outputKey,
  skipped,
  stagingFolder,
} from '../common/journey';
import { policyOf, type DatasetStage, type PolicyStage } from '../common/stages';
import type { DatasetRef, DatasetSummary, ReferenceRef } from '../common/types';
import { activityOptions, type StagePolicy } from '../pipeline/policy';
import type { AvailabilityRule, QualityRules } from '../pipeline/types';
import { waitForData } from './arrival';
import { describeFailure } from './failures';

export interface DatasetPipelineInput {
  dataset: DatasetRef;
  reference: ReferenceRef;
  week: string;
  metrics: string[];
  output: { root: string; path: string };
  stages: Record<PolicyStage, StagePolicy>;
  /** Wait for the data per this rule until `availableBy` (epoch ms); absent: read at once. */
  availability?: AvailabilityRule;
  availableBy?: number;
  /** Recompute even if the inputs are unchanged since a successful run. */
  force?: boolean;
  /** The spec's data-quality rules, checked on read (absent in runs started before them: the defaults). */
  quality?: QualityRules;
}

export async function datasetPipeline(input: DatasetPipelineInput): Promise<DatasetSummary> {
  const stage = (s: PolicyStage) => proxyActivities<Activities>(activityOptions(input.stages[s]));
  const [read, compute, write] = [stage('read'), stage('compute'), stage('write')];
  const name = input.dataset.name;
  const { workflowId, runId } = workflowInfo();
  // Named by workflow id, so the next execution of this id can tell (and remove) what a terminated one left.
  const stagingDir = patched('staging-named-by-workflow-id')
    ? executionStagingFolder(input.output.root, workflowId, runId)
    : stagingFolder(input.output.root, name, runId);
  let summary = newSummary(name);
  let current: DatasetStage = 'read';
  const track = <T extends { attempt: number; durationMs: number }>(s: DatasetStage, result: T): T => {
    summary.stages[s] = { attempts: result.attempt, durationMs: result.durationMs };
    return result;
  };

  if (input.availability) {
    const checks = stage('resolve');
    const rule = input.availability;
    const deadline = input.availableBy ?? Date.now() + rule.deadlineMs;
    const arrival = await waitForData(
      () => checks.checkAvailability(input.dataset, rule, input.week),
      rule.checkEveryMs,
      deadline,
    );
    if (!arrival.ready) {
      return {
        ...summary,
        status: 'late',
        note: `not arrived by ${new Date(deadline).toISOString()}: missing ${arrival.missing}`,
      };
    }
  }

  try {
    const [data, ref] = await Promise.all([
      read.readDataset(input.dataset, input.week, input.quality).then(
        (r) => track('read', r),
        (err: unknown) => Promise.reject(tag('read', err)),
      ),
      read.readReference(input.reference, name, input.quality).then(
        (r) => track('readReference', r),
        (err: unknown) => Promise.reject(tag('readReference', err)),
      ),
    ]);
    // Broken rules whose outcome is `warn`; results recorded before the rules existed have none.
    const warnings = [...(ref.warnings ?? []), ...(data.warnings ?? [])];
    summary = afterRead(summary, { rowsIn: data.rowsIn, warnings });
    // Incremental runs: outputs keyed by what produced them; unchanged inputs, code and parameters
    // mean the outputs in place are still right.
    const incremental = patched('skip-unchanged');
    const found = { inputs: data.fingerprint, reference: ref.fingerprint };
    const key = incremental ? outputKey(input, name, found) : undefined;
    if (key && !input.force) {
      const previous = await write.findUnchanged(key);
      if (previous.unchanged) return skipped(summary, previous);
    }
    current = 'compute';
    const computed = track('compute', await compute.computeMetrics({ ...input, stagingDir }));
    current = 'write';
    const published = track(
      'write',
      await write.publishOutputs({ dataset: name, tables: computed.tables, stagingDir, key }),
    );
    summary.outputs = published.outputs;
    // The key the week's manifest keeps for the next run to compare (absent in recorded results).
    if (published.key !== undefined) summary.outputKey = published.key;
    return summary;
  } catch (err) {
    await CancellationScope.nonCancellable(() => write.discardStaging(stagingDir));
    if (isCancellation(err)) throw err;
    const failedStage = err instanceof StageError ? err.stage : current;
    const info = describeFailure(
      err instanceof StageError ? err.cause : err,
      input.stages[policyOf(failedStage)].retry.maximumAttempts,
    );
    if (info.attempts !== undefined)
      summary.stages[failedStage] = {
        attempts: info.attempts,
        durationMs: summary.stages[failedStage]?.durationMs ?? 0,
      };
    const details = failed(summary, failedStage, info);
    const message = `Dataset ${name} failed at ${failedStage}: ${info.message}`;
    throw ApplicationFailure.nonRetryable(message, 'DatasetFailed', details);
  }
}

/** Remembers which branch of the fork/join failed. */
class StageError extends Error {
  constructor(
    readonly stage: DatasetStage,
    override readonly cause: unknown,
  ) {
    super(`${stage} failed`);
  }
}
const tag = (stage: DatasetStage, err: unknown) => (isCancellation(err) ? err : new StageError(stage, err));
