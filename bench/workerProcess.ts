/**
 * A Tributary worker alone in a fresh process, for the memory-budget sides of the benchmark suite:
 * its peak RSS is then the worker's own, not inflated by what the suite's earlier sides left in
 * the suite's process (polars frees through glibc malloc, which keeps freed memory in its arenas).
 * The suite measures it from outside, through /proc/<pid>/status and clear_refs.
 *
 * Started by bench/suite.ts with one JSON argument: { address, namespace, taskQueue, codePath,
 * maxConcurrentActivities, memoryBudget? }. Sends "ready" over IPC once polling, runs until
 * SIGTERM/SIGINT (the Temporal runtime's graceful shutdown), then exits.
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createWorker } from '../workers/worker';

interface Options {
  address: string;
  namespace: string;
  taskQueue: string;
  codePath: string;
  maxConcurrentActivities: number;
  memoryBudget?: number;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as Options;
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: options.address });
  try {
    const worker = await createWorker({
      connection,
      namespace: options.namespace,
      taskQueue: options.taskQueue,
      workflowBundle: { codePath: options.codePath },
      maxConcurrentActivities: options.maxConcurrentActivities,
      ...(options.memoryBudget !== undefined ? { memoryBudget: options.memoryBudget } : {}),
    });
    const running = worker.run();
    process.send?.('ready');
    await running;
  } finally {
    await connection.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
