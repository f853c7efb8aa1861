/**
 * Worker wiring: the workflow bundle, the activities, the task queue and its slots, and a graceful
 * shutdown. On SIGINT/SIGTERM the Temporal runtime stops polling for new tasks and gives in-flight
 * activities `shutdownGraceTime` to finish before cancelling them (they are then retried elsewhere).
 */
import path from 'node:path';
import { NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';

export const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows/index.ts');

export interface TributaryWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  /** A prebuilt bundle (tests bundle once per suite); otherwise the workflows are bundled now. */
  workflowBundle?: WorkflowBundleOption;
  /** Activities this worker runs at once. Default 4. */
  maxConcurrentActivities?: number;
  /** How long in-flight activities may run after a shutdown signal. Default 30 s. */
  shutdownGraceTime?: string | number;
  activityDeps?: ActivityDeps;
}

export async function createWorker(options: TributaryWorkerOptions): Promise<Worker> {
  const code = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : { workflowsPath: WORKFLOWS_PATH };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue,
    ...code,
    activities: createActivities(options.activityDeps),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? 4,
    shutdownGraceTime: options.shutdownGraceTime ?? '30 seconds',
  });
}

/** Connects to the configured server and runs a worker until a shutdown signal. */
export async function runWorker(options: Omit<TributaryWorkerOptions, 'connection'> & { address: string }): Promise<void> {
  const connection = await NativeConnection.connect({ address: options.address });
  try {
    const worker = await createWorker({ ...options, connection });
    await worker.run();
  } finally {
    await connection.close();
  }
}
