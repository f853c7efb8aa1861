/**
 * The first fan-out on a real Temporal dev server and real parquet files: one child per file,
 * row counts and schemas read by nodejs-polars, and the window checked in the server's own history.
 */
import { WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { scanFiles } from './workflows';
import { maxOpenChildren } from './helpers/history';
import { tempDir, writeNumberedFiles } from './helpers/parquet';
import { testEnvironment, taskQueueFor, startWorker } from './helpers/temporal';

let env: TestWorkflowEnvironment;
let dir: string;

beforeAll(async () => {
  env = await testEnvironment();
  dir = await tempDir();
});

afterAll(async () => {
  await env?.teardown();
});

async function runScan(title: string, files: string[], maxInFlight: number) {
  const taskQueue = taskQueueFor(title);
  const worker = await startWorker({ connection: env.nativeConnection, taskQueue });
  const handle = await env.client.workflow.start<typeof scanFiles>('scanFiles', {
    taskQueue,
    workflowId: taskQueue,
    args: [{ files, maxInFlight }],
  });
  const result = await worker.runUntil(handle.result());
  const { events } = await handle.fetchHistory();
  return { result, events: events ?? [] };
}

describe('scanFiles', () => {
  it('runs one child per file and returns each row count and schema', async () => {
    const rowCounts = [10, 250, 0, 1_000, 37];
    const files = await writeNumberedFiles(dir, rowCounts);

    const { result, events } = await runScan('counts and schemas', files, 2);

    expect(result.files).toBe(5);
    expect(result.scans.map((s) => s.file)).toEqual(files);
    expect(result.scans.map((s) => s.rows)).toEqual(rowCounts);
    expect(result.totalRows).toBe(1_297);
    for (const scan of result.scans) expect(scan.schema).toEqual({ id: 'Float64', value: 'Float64' });
    const childStarts = events.filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes);
    expect(childStarts).toHaveLength(5);
  });

  it.each([1, 3])('never has more than %i children open at once, and fills that window', async (window) => {
    const files = await writeNumberedFiles(
      await tempDir(),
      Array.from({ length: 9 }, (_, i) => 100 * (i + 1)),
    );

    const { result, events } = await runScan(`window ${window}`, files, window);

    expect(result.files).toBe(9);
    expect(maxOpenChildren(events)).toBe(window);
  });

  it('fails with a clear, non-retried error naming a missing file', async () => {
    const taskQueue = taskQueueFor('missing file');
    const worker = await startWorker({ connection: env.nativeConnection, taskQueue });
    const missing = `${dir}/nope.parquet`;
    const handle = await env.client.workflow.start<typeof scanFiles>('scanFiles', {
      taskQueue,
      workflowId: taskQueue,
      args: [{ files: [missing] }],
    });
    const err = await worker.runUntil(
      handle.result().then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const text = JSON.stringify((await handle.fetchHistory()).events);
    expect(text).toContain(`Input file ${missing} does not exist`);
    expect(text).toContain('FileNotFound');
    // Non-retryable: exactly one attempt, never retried.
    const child = env.client.workflow.getHandle(`${taskQueue}/file-0`);
    const started = (await child.fetchHistory()).events?.filter((e) => e.activityTaskStartedEventAttributes) ?? [];
    expect(started.map((e) => e.activityTaskStartedEventAttributes?.attempt)).toEqual([1]);
  });
});
