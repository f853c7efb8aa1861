/** Activities of the test-only workflows (test/workflows): registered by test workers beside Tributary's own. */
import { scanSummary } from '../../activities/parquet';

/** What one parquet file holds, without reading its rows into the orchestrator. */
export interface FileScan {
  file: string;
  rows: number;
  /** Column name to polars data type, e.g. `{ units: "Int32" }`. */
  schema: Record<string, string>;
}

export const testActivities = {
  /** Row count and schema of one parquet file. */
  async inspectParquet(file: string): Promise<FileScan> {
    return { file, ...(await scanSummary(file)) };
  },
};

export type TestActivities = typeof testActivities;
