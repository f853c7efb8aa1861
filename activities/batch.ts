/**
 * Many small datasets in one activity: the orchestration cost (a child workflow, its activities and
 * their history events) and the polars plan are paid once per batch instead of once per dataset,
 * while each dataset still gets its own checks, status, outputs and error:
 *   1. each dataset's inputs are checked (schema, nulls, rows) and fingerprinted; bad input fails
 *      that dataset only, unchanged ones are skipped;
 *   2. the rest are computed together in one plan (batchCompute.ts) and split back per dataset;
 *      should that fail, each is computed alone so the culprit is named and the others succeed;
 *   3. each dataset's outputs are published into the run's folders (the run's commit makes them current).
 * A transient error fails the batch attempt; the retry resumes after the datasets already done
 * (they travel in the heartbeat details), so none is computed twice.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type pl from 'nodejs-polars';
import { afterRead, failed, newSummary, outputKey, skipped, type OutputKey } from '../common/journey';
import { stagingDir } from '../common/paths';
import type { DatasetRef, DatasetStage, DatasetSummary, ReferenceRef } from '../common/types';
import { mapBounded } from '../common/window';
import type { QualityRules } from '../pipeline/types';
import type { MemoryAdmission } from './admission';
import { computeBatch } from './batchCompute';
import { computeMetrics, type StagedTable } from './compute';
import { findUnchanged, keyOf, type ManifestCache } from './fingerprints';
import { relativeToRoot, writeBatchPending, type StepHook } from './commit';
import { isOutputUnwritable } from '../storage/faults';
import { publishOutputs } from './publish';
import { discardStaging } from './staging';
import { type ReadFrames, readDatasetKeeping, readReferenceFiles } from './read';

export interface BatchInput {
  datasets: DatasetRef[];
  reference: ReferenceRef;
  week: string;
  metrics: string[];
  output: { root: string; path: string };
  force?: boolean;
  /** The spec's data-quality rules (absent in runs started before the spec had them: the defaults). */
  quality?: QualityRules;
}

interface BatchProgress {
  done: DatasetSummary[];
}

/** Datasets checked at once: small files are latency-bound, not CPU-bound. */
const CHECK_CONCURRENCY = 8;

/** A dataset that passed its checks and is to be computed: its summary so far, key and staging folder. */
interface Ready {
  dataset: DatasetRef;
  /** Its files the checks read whole: computed from as they are. */
  frames: ReadFrames;
  summary: DatasetSummary;
  key: OutputKey;
  stagingDir: string;
}

const failure = (summary: DatasetSummary, stage: DatasetStage, err: ApplicationFailure): DatasetSummary =>
  failed(summary, stage, { type: err.type ?? 'Error', message: err.message });

export async function processBatch(
  input: BatchInput,
  load: (file: string) => Promise<pl.DataFrame>,
  progress: (update: Record<string, unknown>) => void,
  admission?: MemoryAdmission,
  step?: StepHook,
): Promise<{ summaries: DatasetSummary[] }> {
  const ctx = Context.current();
  const started = Date.now();
  const runId = ctx.info.workflowExecution?.runId ?? 'standalone';
  const workflowId = ctx.info.workflowExecution?.workflowId ?? 'standalone';
  const done = [...((ctx.info.heartbeatDetails as Partial<BatchProgress> | undefined)?.done ?? [])];
  const report = () => progress({ done: [...done] } satisfies BatchProgress);
  const stopIfCancelled = () => {
    if (ctx.cancellationSignal.aborted) throw new CancelledFailure('Batch cancelled');
  };

  // 1. Checks. The reference data is checked once for the whole batch.
  const reference = readReferenceFiles(input.reference, load, input.quality);
  reference.catch(() => undefined); // observed below, per dataset
  const ready: Ready[] = [];
  const manifests: ManifestCache = new Map();
  const todo = input.datasets.filter((d) => !done.some((s) => s.dataset === d.name));
  await mapBounded(todo, CHECK_CONCURRENCY, async (dataset) => {
    stopIfCancelled();
    let stage: DatasetStage = 'readReference';
    try {
      const ref = await reference;
      stage = 'read';
      const data = await readDatasetKeeping(dataset, input.week, input.quality);
      const warnings = [...ref.warnings, ...data.warnings];
      const summary = afterRead(newSummary(dataset.name), { rowsIn: data.rowsIn, warnings });
      const key = outputKey(input, dataset.name, { inputs: data.fingerprint, reference: ref.fingerprint });
      const previous = input.force ? undefined : await findUnchanged(key, manifests);
      if (previous?.unchanged) done.push(skipped(summary, previous));
      else
        ready.push({
          dataset,
          frames: data.frames,
          summary,
          key,
          stagingDir: stagingDir(input.output.root, dataset.name, runId),
        });
    } catch (err) {
      if (!(err instanceof ApplicationFailure && err.nonRetryable)) throw err;
      done.push(failure(newSummary(dataset.name), stage, err));
    }
  });
  report();
  if (ready.length === 0) return { summaries: ordered(input.datasets, done) };

  // 2. Compute, together; alone if together fails (a file that passed the checks may still break).
  stopIfCancelled();
  let staged: (StagedTable[] | ApplicationFailure)[];
  try {
    staged = await computeBatch(
      {
        datasets: ready,
        reference: input.reference,
        week: input.week,
        metrics: input.metrics,
        output: input.output,
        attempt: ctx.info.attempt,
        runId,
      },
      load,
    );
  } catch (err) {
    if (isOutputUnwritable(err)) throw err; // computing alone would only hit the same disk
    staged = [];
    for (const r of ready) {
      stopIfCancelled();
      try {
        staged.push(
          (
            await computeMetrics(
              { ...input, dataset: r.dataset, stagingDir: r.stagingDir },
              load,
              () => undefined,
              admission,
            )
          ).tables,
        );
      } catch (err) {
        if (!(err instanceof ApplicationFailure && err.nonRetryable)) throw err;
        staged.push(err);
      }
    }
  }

  // 3. Publish each dataset, after one pending record names every file this attempt moves.
  const attempts = { attempts: ctx.info.attempt, durationMs: Date.now() - started };
  const moving = ready.flatMap((r, i) => {
    const tables = staged[i]!;
    return tables instanceof ApplicationFailure ? [] : tables.map((t) => relativeToRoot(input.output.root, t.final));
  });
  if (moving.length > 0) {
    const record = { week: input.week, workflowId, runId, files: moving, writtenAt: new Date().toISOString() };
    await writeBatchPending(input.output.root, record, { first: ready[0]!.dataset.name, attempt: ctx.info.attempt });
    await step?.('publish:pending-written');
  }
  for (const [i, r] of ready.entries()) {
    const tables = staged[i]!;
    if (tables instanceof ApplicationFailure) {
      await discardStaging(r.stagingDir);
      done.push(failure(r.summary, 'compute', tables));
      continue;
    }
    const key = keyOf(r.key);
    // Named by the batch's record: no record per dataset.
    const published = await publishOutputs(tables, r.stagingDir, undefined, step);
    done.push({ ...r.summary, outputs: published.outputs, stages: { compute: attempts }, outputKey: key });
  }
  report();
  return { summaries: ordered(input.datasets, done) };
}

function ordered(datasets: DatasetRef[], done: DatasetSummary[]): DatasetSummary[] {
  return datasets.map((d) => done.find((s) => s.dataset === d.name)!);
}
