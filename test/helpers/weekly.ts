/** Running the weekly load in tests: a spec for a data folder, and a run on a real dev server. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FaultHook } from '../../activities/stage';
import { progressQuery, type weeklyLoad } from '../../workflows';
import { startWorker, taskQueueFor } from './temporal';

export function specFor(dataRoot: string, outputRoot: string, overrides: Record<string, unknown> = {}) {
  return {
    name: 'test-weekly',
    dataRoot,
    datasets: { glob: 'sales/*' },
    reference: { products: 'reference/products.parquet', substitutes: 'reference/substitutes.parquet' },
    metrics: ['hierarchySales', 'lostSalesToSubstitutes'],
    output: { root: outputRoot },
    stages: { read: { retry: { initialInterval: '100ms' } }, compute: { retry: { initialInterval: '100ms' } } },
    ...overrides,
  };
}

export async function runWeekly(
  env: TestWorkflowEnvironment,
  title: string,
  input: { spec: unknown; week?: string; force?: boolean },
  faults?: FaultHook,
) {
  const taskQueue = taskQueueFor(title);
  const worker = await startWorker({
    connection: env.nativeConnection,
    taskQueue,
    activityDeps: faults ? { faults } : {},
  });
  const handle = await env.client.workflow.start<typeof weeklyLoad>('weeklyLoad', {
    taskQueue,
    workflowId: taskQueue,
    args: [input],
  });
  // Queries, even of a closed run, are answered by a worker: ask while this one still runs.
  const { report, progress } = await worker.runUntil(async () => {
    const result = await handle.result();
    return { report: result, progress: await handle.query(progressQuery) };
  });
  return { report, progress, handle, taskQueue };
}

/** Every file below `dir`, relative to it (empty when dir does not exist). */
export async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}
