/**
 * The write stage: staged outputs are moved into the run's own folders under their final names
 * (`…/run-<run id>/<table>.parquet`, atomic on one filesystem), hashed, and the staging folder is
 * removed. Nothing current changes here: the week's manifest, committed when the run reports
 * (activities/commit.ts), is what makes them current. A pending record written first names the
 * files, so a crash anywhere leaves nothing unaccounted for. Idempotent: a retry finishes the job.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { checkInsideDir, checkWorkDir } from '../common/paths';
import type { OutputFile } from '../common/types';
import { relativeToRoot, sha256Of, writePending, type StepHook } from './commit';
import type { StagedTable } from './compute';
import { storageFor } from '../storage';

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
  const storage = storageFor(stagingDir);
  for (const t of tables) {
    if (await storage.stat(t.staging)) await storage.move(t.staging, t.final);
    else if (!(await storage.stat(t.final))) {
      throw ApplicationFailure.nonRetryable(`Staged output ${t.staging} for ${t.final} is missing`, 'StagingMissing');
    }
    await step('publish:table-moved');
  }
  await storage.removeTree(stagingDir);
  const outputs: OutputFile[] = [];
  for (const t of tables) {
    // Hashed as it was written when it was (a batch); else read back once.
    const [bytes, sha256] =
      t.bytes !== undefined && t.sha256 !== undefined
        ? [t.bytes, t.sha256]
        : await Promise.all([storage.stat(t.final).then((s) => s?.size ?? 0), sha256Of(t.final)]);
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
