/**
 * Has a dataset's data arrived? A cheap check (file stats or HEADs, at most one row count) that never
 * throws for "not yet": it says what is still missing, so the workflow can wait on a durable timer
 * without holding a worker slot, and report exactly what never came.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { DatasetRef } from '../common/types';
import type { AvailabilityRule } from '../pipeline/types';
import { joinPath, storageFor } from '../storage';
import { countRows, inWeek, scanStored } from './parquet';

export interface Availability {
  ready: boolean;
  /** What is still missing, e.g. `marker file /data/sales/north/_SUCCESS`. */
  missing?: string;
}

/**
 * Whether the file (or object) is there. Object storage refusing to say (credentials, a missing
 * bucket) is not "not yet": its failure, naming the bucket and the fix, is thrown.
 */
async function isFile(file: string): Promise<boolean> {
  try {
    return (await storageFor(file).stat(file)) !== undefined;
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    return false; // a local path that cannot be a file (a file on the way, no permission): not arrived
  }
}

export async function checkAvailability(
  dataset: DatasetRef,
  rule: AvailabilityRule,
  week: string,
): Promise<Availability> {
  for (const file of [dataset.files.transactions, dataset.files.stock]) {
    if (!(await isFile(file))) return { ready: false, missing: `input file ${file}` };
  }
  if (rule.marker) {
    const marker = joinPath(dataset.dir, rule.marker);
    if (!(await isFile(marker))) return { ready: false, missing: `marker file ${marker}` };
  }
  if (rule.minRows !== undefined) {
    // A file still being written may not parse yet: that is "not arrived", not an error.
    const rows = await countRows(scanStored(dataset.files.transactions).filter(inWeek(week))).catch(() => -1);
    if (rows < rule.minRows) {
      return {
        ready: false,
        missing: `${rule.minRows} rows in ${dataset.files.transactions} for the week of ${week} (has ${Math.max(rows, 0)})`,
      };
    }
  }
  return { ready: true };
}
