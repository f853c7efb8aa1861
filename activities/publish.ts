/**
 * The write stage: staged outputs are renamed into their final paths (atomic on one filesystem),
 * and the staging folder is removed. Idempotent: a retry after a partial publish finishes the job.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { checkInsideDir, checkWorkDir } from '../common/paths';
import { earlierExecutions } from '../common/staging';
import type { OutputFile } from '../common/types';
import type { StagedTable } from './compute';
import { makeOutputDir, writingOutput } from './outputFaults';

export async function publishOutputs(tables: StagedTable[], stagingDir: string): Promise<{ outputs: OutputFile[] }> {
  // Both come from the workflow: the folder this removes must be a staging folder, the files it moves must be in it.
  checkWorkDir(stagingDir, '.staging');
  for (const t of tables) checkInsideDir(stagingDir, t.staging, `Staged table ${t.table}`);
  for (const t of tables) {
    await makeOutputDir(path.dirname(t.final));
    if (existsSync(t.staging)) await writingOutput(t.final, () => rename(t.staging, t.final));
    else if (!existsSync(t.final)) {
      throw ApplicationFailure.nonRetryable(`Staged output ${t.staging} for ${t.final} is missing`, 'StagingMissing');
    }
  }
  // maxRetries: an attempt that timed out may still be removing its own folder in there.
  await rm(stagingDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  return { outputs: tables.map((t) => ({ table: t.table, path: t.final, rows: t.rows })) };
}

/** Removes a dataset's staging folder after a failure or cancellation, so nothing partial remains. */
export async function discardStaging(stagingDir: string): Promise<void> {
  checkWorkDir(stagingDir, '.staging');
  await rm(stagingDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
}

/**
 * Removes the staging folders earlier executions of the same child workflow id left (a run that
 * was terminated while a dataset had staged tables, or whose worker died then). Only one execution
 * of an id runs at a time, so none of them is in use; a zombie attempt of one still running on
 * some worker learns from its next heartbeat that its run is gone, and stops.
 */
export async function discardEarlierStaging(stagingDir: string): Promise<void> {
  const parent = path.dirname(stagingDir);
  const names = await readdir(parent).catch(() => [] as string[]);
  for (const name of earlierExecutions(path.basename(stagingDir), names)) {
    await rm(path.join(parent, name), { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}
