/**
 * `tributary demo`: the quick start. Generates a few parquet files, makes sure a server is up
 * (starting the embedded dev server if none answers), runs a worker in this process, fans out
 * one child workflow per file, and prints the result and where to see the run in the Web UI.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pl from 'nodejs-polars';
import type { scanFiles } from '../workflows';
import { ensureServer } from '../runtime/devServer';
import { workflowUrl, type Settings } from '../runtime/settings';
import { createWorker } from '../workers/worker';

/** Writes `count` small parquet files with different row counts (deterministic). */
async function writeDemoFiles(dir: string, count: number): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const rows = 1_000 * (i + 1);
    const ids = Array.from({ length: rows }, (_, r) => r);
    const df = pl.DataFrame({
      store_id: ids.map((r) => r % 50),
      units: ids.map((r) => (r * 7 + i) % 13),
      revenue: ids.map((r) => ((r * 31 + i) % 1000) / 10),
    });
    const file = path.join(dir, `part-${String(i).padStart(3, '0')}.parquet`);
    df.writeParquet(file);
    files.push(file);
  }
  return files;
}

export async function demo(settings: Settings, argv: string[], log: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { files: { type: 'string', default: '12' }, window: { type: 'string', default: '4' } },
  });
  const server = await ensureServer(settings, log);
  const files = await writeDemoFiles(path.join(settings.home, 'demo'), Number(values.files));

  const workerConnection = await NativeConnection.connect({ address: settings.address });
  const connection = await Connection.connect({ address: settings.address });
  try {
    const client = new Client({ connection, namespace: settings.namespace });
    log('Bundling workflows and starting a worker...');
    const worker = await createWorker({
      connection: workerConnection,
      namespace: settings.namespace,
      taskQueue: settings.taskQueue,
    });
    const workflowId = `demo-scan-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const handle = await client.workflow.start<typeof scanFiles>('scanFiles', {
      taskQueue: settings.taskQueue,
      workflowId,
      args: [{ files, maxInFlight: Number(values.window) }],
    });
    const url = workflowUrl(settings, workflowId);
    log(`Started ${workflowId}: ${files.length} files, at most ${values.window} at once.\nWatch it: ${url}`);
    const result = await worker.runUntil(handle.result());

    for (const scan of result.scans) {
      log(`  ${path.basename(scan.file)}  ${String(scan.rows).padStart(7)} rows  ${Object.keys(scan.schema).join(', ')}`);
    }
    process.stdout.write(`${JSON.stringify({ workflowId, files: result.files, totalRows: result.totalRows })}\n`);
    log(`Done: ${result.files} files, ${result.totalRows} rows.\nWeb UI: ${url}`);
    if (server.started) log('The dev server keeps running for the Web UI; stop it with `npx tributary server stop`.');
    return 0;
  } finally {
    await connection.close();
    await workerConnection.close();
  }
}
