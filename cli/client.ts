/** Shared plumbing of commands that start runs: a client, and a worker in this process when none polls. */
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Settings } from '../runtime/settings';
import { createWorker } from '../workers/worker';

export async function connectClient(settings: Settings): Promise<{ client: Client; close: () => Promise<void> }> {
  const connection = await Connection.connect({ address: settings.address });
  return { client: new Client({ connection, namespace: settings.namespace }), close: () => connection.close() };
}

/** True when some worker polls the task queue for workflow tasks. */
export async function hasPollers(client: Client, settings: Settings): Promise<boolean> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: settings.namespace,
    taskQueue: { name: settings.taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (response.pollers?.length ?? 0) > 0;
}

/**
 * Runs `until` with a worker in this process if no worker polls the task queue (the embedded
 * default); otherwise lets the existing workers do the work.
 */
export async function withWorker<T>(
  client: Client,
  settings: Settings,
  log: (line: string) => void,
  until: () => Promise<T>,
): Promise<T> {
  if (await hasPollers(client, settings)) return until();
  log(`No worker polls task queue "${settings.taskQueue}": running one in this process.`);
  const connection = await NativeConnection.connect({ address: settings.address });
  try {
    const worker: Worker = await createWorker({ connection, namespace: settings.namespace, taskQueue: settings.taskQueue });
    return await worker.runUntil(until);
  } finally {
    await connection.close();
  }
}
