/**
 * One timed weekly load for bench/commitCost.ts, in a process of its own, with the code of the
 * checkout `--repo` (this one, or one of an earlier commit): its worker, activities and workflows.
 * Prints one JSON line: wall and CPU seconds from `workflow.start` to the result, and the outcome.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import type * as WorkerModule from '../workers/worker';

async function main() {
  const { values } = parseArgs({
    options: {
      repo: { type: 'string' },
      address: { type: 'string' },
      data: { type: 'string' },
      out: { type: 'string' },
      week: { type: 'string' },
      batch: { type: 'string' },
      parallelism: { type: 'string', default: '4' },
    },
  });
  const repo = path.resolve(values.repo!);
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // The checkout's own worker factory: its activities, its workflows (bundled before the clock).
  const { createWorker } = (await import(path.join(repo, 'workers/worker.ts'))) as typeof WorkerModule;
  const taskQueue = `commit-cost-${process.pid}-${Date.now()}`;
  const parallelism = Number(values.parallelism);
  const connection = await NativeConnection.connect({ address: values.address! });
  const ledger = process.env.COMMIT_COST_LEDGER;
  const worker = await createWorker({
    connection,
    taskQueue,
    maxConcurrentActivities: parallelism,
    ...(ledger ? { ledgerFile: ledger } : {}),
  });
  const clientConnection = await Connection.connect({ address: values.address! });
  const client = new Client({ connection: clientConnection });
  const spec = {
    name: 'commit-cost',
    dataRoot: values.data,
    datasets: { glob: 'sales/*' },
    reference: { products: 'reference/products.parquet', substitutes: 'reference/substitutes.parquet' },
    metrics: ['hierarchySales', 'lostSalesToSubstitutes'],
    output: { root: values.out },
    parallelism: { datasets: parallelism },
    ...(values.batch ? { batching: { maxDatasets: Number(values.batch) } } : {}),
  };
  const result = await worker.runUntil(async () => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    const report = (await client.workflow.execute('weeklyLoad', {
      taskQueue,
      workflowId: taskQueue,
      args: [{ spec, week: values.week }],
    })) as { status: string; totals: { succeeded: number; datasets: number } };
    const used = process.cpuUsage(cpu);
    return {
      wallSeconds: (performance.now() - started) / 1000,
      cpuSeconds: (used.user + used.system) / 1e6,
      status: report.status,
      succeeded: report.totals.succeeded,
      datasets: report.totals.datasets,
    };
  });
  await clientConnection.close();
  await connection.close();
  process.stdout.write(`${JSON.stringify({ ...result, taskQueue })}\n`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
