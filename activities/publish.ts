/**
 * The write stage: staged outputs are renamed into their final paths (atomic on one filesystem),
 * and the staging folder is removed. Idempotent: a retry after a partial publish finishes the job.
 */
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { checkInsideDir, checkWorkDir } from '../common/paths';
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
  return {
    outputs: tables.map((t) => ({ table: t.table, path: t.final, rows: t.rows, ...(t.sums && { sums: t.sums }) })),
  };
}
