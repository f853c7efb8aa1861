/**
 * Test plumbing: the suite's shared Temporal dev server and workflow bundle (both made once by
 * test/globalSetup.ts and injected here), unique task queues, and workers in this process.
 */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundleOption } from '@temporalio/worker';
import type { ProvidedContext } from 'vitest';
import { createWorker, type TributaryWorkerOptions } from '../../workers/worker';
import { testActivities } from './testActivities';

export { temporalCliPath } from './devServer';

/** A value the global setup provided. Imported when asked: scripts (test/recordHistories.ts) load this file outside vitest. */
async function provided<K extends keyof ProvidedContext & string>(key: K): Promise<ProvidedContext[K]> {
  const { inject } = await import('vitest');
  return inject(key);
}

/** host:port of the suite's shared dev server. */
export function sharedServerAddress(): Promise<string> {
  return provided('temporalAddress');
}

/**
 * A client and a native connection to the suite's shared dev server; `teardown()` closes them (the
 * server runs on for the other files). Each test uses a task queue of its own (`taskQueueFor`).
 */
export async function testEnvironment(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createFromExistingServer({ address: await sharedServerAddress() });
}

/** The name files used when each started a server of its own: now the same as `testEnvironment()`. */
export const startTestServer = testEnvironment;

/** A task queue of its own for each test, readable in the Web UI. */
export function taskQueueFor(title: string): string {
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 60);
  return `test-${slug}-${randomUUID().slice(0, 8)}`;
}

/** The workflow bundle (Tributary's workflows and the test-only ones), built once per suite. */
export async function workflowBundle(): Promise<WorkflowBundleOption> {
  return { codePath: await provided('workflowBundlePath') };
}

export type TestWorkerOptions = Omit<TributaryWorkerOptions, 'workflowBundle'> & {
  workflowBundle?: WorkflowBundleOption;
};

/** A worker in this process: the suite's bundle, Tributary's activities, the test-only ones, and any in `activities`. */
export async function startWorker(options: TestWorkerOptions): Promise<Worker> {
  return createWorker({
    workflowBundle: await workflowBundle(),
    ...options,
    activities: { ...testActivities, ...options.activities },
  });
}

/** Runs `fn` while a worker (as `startWorker`) polls; the worker stops when `fn` settles. */
export async function withWorker<T>(options: TestWorkerOptions, fn: () => Promise<T>): Promise<T> {
  const worker = await startWorker(options);
  return worker.runUntil(fn);
}
