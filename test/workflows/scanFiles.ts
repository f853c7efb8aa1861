/**
 * A small fan-out for tests (kept out of the production worker): one `scanFile` child per parquet
 * file, at most `maxInFlight` at once. Only paths go in and row counts and schemas come out.
 */
import { ApplicationFailure, executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';
import { mapBounded } from '../../common/window';
import type { FileScan, TestActivities } from '../helpers/testActivities';

const { inspectParquet } = proxyActivities<TestActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

export interface ScanFilesInput {
  /** Parquet files to scan, as paths the workers can read. */
  files: string[];
  /** How many child workflows may run at once. Default 4. */
  maxInFlight?: number;
}

export interface ScanFilesResult {
  files: number;
  totalRows: number;
  scans: FileScan[];
}

export async function scanFiles(input: ScanFilesInput): Promise<ScanFilesResult> {
  const maxInFlight = input.maxInFlight ?? 4;
  if (!Array.isArray(input.files) || input.files.length === 0) {
    throw ApplicationFailure.nonRetryable('scanFiles needs a non-empty "files" list', 'InvalidInput');
  }
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw ApplicationFailure.nonRetryable(
      `"maxInFlight" must be a whole number >= 1, got ${maxInFlight}`,
      'InvalidInput',
    );
  }
  const parentId = workflowInfo().workflowId;
  const scans = await mapBounded(input.files, maxInFlight, (file, index) =>
    executeChild(scanFile, { args: [file], workflowId: `${parentId}/file-${index}` }),
  );
  return { files: scans.length, totalRows: scans.reduce((sum, s) => sum + s.rows, 0), scans };
}

export async function scanFile(file: string): Promise<FileScan> {
  return inspectParquet(file);
}
