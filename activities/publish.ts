/**
 * The write stage: staged outputs are moved into the run's own folders under their final names
 * (`…/run-<run id>/<table>.parquet`, atomic on one filesystem), hashed, and the staging folder is
 * removed. Nothing current changes here: the week's manifest, committed when the run reports
 * (activities/commit.ts), is what makes them current. A pending record written first names the
 * files, so a crash anywhere leaves nothing unaccounted for. Idempotent: a retry finishes the job.
 */
import { existsSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { checkInsideDir, checkWorkDir } from '../common/paths';
import type { OutputFile } from '../common/types';
import { relativeToRoot, sha256Of, writePending, type StepHook } from './commit';
import type { StagedTable } from './compute';
import { makeOutputDir, writingOutput } from '../storage/faults';

/** Who publishes, for the pending record: the dataset, its week, the workflow execution. */
export interface Publisher {
  outputRoot: string;
  week: string;
  dataset: string;
  workflowId: string;
  runId: string;
  /** The key of what produced the outputs (activities/fingerprints.ts keyOf). */
  key?: string;
}

export async function publishOutputs(
  tables: StagedTable[],
  stagingDir: string,
  publisher?: Publisher,
  step: StepHook = () => undefined,
): Promise<{ outputs: OutputFile[] }> {
  // Both come from the workflow: the folder this removes must be a staging folder, the files it moves must be in it.
  checkWorkDir(stagingDir, '.staging');
  for (const t of tables) checkInsideDir(stagingDir, t.staging, `Staged table ${t.table}`);
  const pending = publisher && {
    week: publisher.week,
    dataset: publisher.dataset,
    workflowId: publisher.workflowId,
    runId: publisher.runId,
    files: tables.map((t) => relativeToRoot(publisher.outputRoot, t.final)),
    writtenAt: new Date().toISOString(),
  };
  if (publisher && pending) {
    await writePending(publisher.outputRoot, pending);
    await step('publish:pending-written');
  }
  for (const t of tables) {
    await makeOutputDir(path.dirname(t.final));
    if (existsSync(t.staging)) await writingOutput(t.final, () => rename(t.staging, t.final));
    else if (!existsSync(t.final)) {
      throw ApplicationFailure.nonRetryable(`Staged output ${t.staging} for ${t.final} is missing`, 'StagingMissing');
    }
    await step('publish:table-moved');
  }
  // maxRetries: an attempt that timed out may still be removing its own folder in there.
  await rm(stagingDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  const outputs: OutputFile[] = [];
  for (const t of tables) {
    const [bytes, sha256] = await Promise.all([stat(t.final).then((s) => s.size), sha256Of(t.final)]);
    outputs.push({ table: t.table, path: t.final, rows: t.rows, ...(t.sums && { sums: t.sums }), bytes, sha256 });
  }
  if (publisher && pending) {
    // Complete: a later run with the same key can take these files even if this run never commits.
    const tablesOf = outputs.map((o, i) => ({
      table: o.table,
      path: pending.files[i]!,
      rows: o.rows,
      bytes: o.bytes!,
      sha256: o.sha256!,
    }));
    await writePending(publisher.outputRoot, { ...pending, key: publisher.key, outputs: tablesOf });
  }
  await step('publish:done');
  return { outputs };
}
