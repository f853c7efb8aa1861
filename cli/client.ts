/** Shared plumbing of commands that start runs: a client, and a worker in this process when none polls. */
import type { Client, WorkflowHandle } from '@temporalio/client';
import path from 'node:path';
import { temporal } from '@temporalio/proto';
import type { Worker } from '@temporalio/worker';
import { connectClient, connectionProblem, connectNative, dataConverterFor, isSecured } from '../runtime/connection';
import type { Settings } from '../runtime/settings';
import { tracingPlugin } from '../runtime/tracing';
import { loadWorkerSettings } from '../workers/settings';
import { createWorker } from '../workers/worker';

// Every command connects through runtime/connection.ts, so TLS, API keys and encryption apply to all alike.
export { connectClient } from '../runtime/connection';

/**
 * Runs `use` with a client of the server that holds a run, for commands on an existing run (`cancel`,
 * `report`). Never starts a dev server, since an empty one would not hold it: when the server does
 * not answer, says why (`need`: what the command wants from it) and returns exit code 2.
 */
export async function withRunServer(
  settings: Settings,
  log: (line: string) => void,
  need: string,
  use: (client: Client) => Promise<number>,
): Promise<number> {
  const problem = await connectionProblem(settings, 2_000);
  if (problem !== undefined) {
    // With TLS or an API key the cause (certificate, CA, key) is what helps; plain, the server is just not there.
    const start = 'Start it (npx tributary server) or set TEMPORAL_ADDRESS.';
    const plain = `No Temporal server answers at ${settings.address}: ${need}. ${start}`;
    log(isSecured(settings) ? `${problem} (${need})` : plain);
    return 2;
  }
  const { client, close } = await connectClient(settings);
  try {
    return await use(client);
  } finally {
    await close();
  }
}

/**
 * A live idle worker long-polls (about a minute per poll), so its last poll is recent; the server
 * keeps listing a stopped worker for minutes, so older pollers do not count.
 */
const LIVE_POLLER_MS = 75_000;

/** True when some worker polled `taskQueue` (default: the configured one) for workflow tasks within the last 75 s. */
export async function hasPollers(
  client: Client,
  settings: Settings,
  now = Date.now(),
  taskQueue = settings.taskQueue,
): Promise<boolean> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: settings.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
  });
  return (response.pollers ?? []).some((p) => {
    const seconds = Number(p.lastAccessTime?.seconds ?? 0);
    return now - seconds * 1000 < LIVE_POLLER_MS;
  });
}

/** Waits until the run's first workflow task was picked up (history grows past its first events). */
async function pickedUp(handle: WorkflowHandle, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    if ((await handle.describe()).historyLength > 2) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

/**
 * Runs `until` with a worker in this process if no worker serves the task queue (the embedded
 * default); otherwise lets the existing workers do the work. If the workers seen do not pick the
 * run up within 5 s (`settings.workerWait`; they may just have stopped), runs one here after all,
 * rather than wait forever.
 */
export async function withWorker<T>(
  client: Client,
  settings: Settings,
  log: (line: string) => void,
  handle: WorkflowHandle,
  until: () => Promise<T>,
): Promise<T> {
  if (await hasPollers(client, settings)) {
    const { pickUpMs } = settings.workerWait;
    if (await pickedUp(handle, pickUpMs)) return until();
    log(
      `No worker picked up the run within ${pickUpMs / 1000} s on task queue "${settings.taskQueue}": running one in this process.`,
    );
  } else {
    log(`No worker polls task queue "${settings.taskQueue}": running one in this process.`);
  }
  return hostWorker(settings, settings.taskQueue, until);
}

/** Runs `until` with a worker in this process on `taskQueue`. */
export async function hostWorker<T>(settings: Settings, taskQueue: string, until: () => Promise<T>): Promise<T> {
  const connection = await connectNative(settings);
  const tracing = tracingPlugin();
  try {
    // The settings an in-process worker has always taken from the environment; its slots and grace stay the defaults.
    const { memoryBudget, referenceCacheBytes, ledgerFile, stickyTimeout } = loadWorkerSettings();
    const worker: Worker = await createWorker({
      connection,
      namespace: settings.namespace,
      taskQueue,
      memoryBudget,
      referenceCacheBytes,
      stickyTimeout,
      ...(ledgerFile !== undefined && { ledgerFile }),
      dataConverter: dataConverterFor(settings),
      ...(tracing ? { plugins: [tracing] } : {}),
      bundleCacheDir: path.join(settings.home, 'cache'),
    });
    return await worker.runUntil(until);
  } finally {
    await connection.close();
  }
}
