/**
 * Every activity the worker registers, built by one factory so dependencies (config, caches)
 * come in from the worker rather than from module globals.
 */
import type { FileScan } from '../common/types';
import { scanSummary } from './parquet';

// Dependencies arrive here as later stages need them (data root, caches, ledgers).
export type ActivityDeps = Record<string, never>;

export function createActivities(_deps: ActivityDeps = {}) {
  return {
    /** Row count and schema of one parquet file. */
    async inspectParquet(file: string): Promise<FileScan> {
      return { file, ...(await scanSummary(file)) };
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
