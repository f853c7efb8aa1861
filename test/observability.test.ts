/**
 * What an operator sees of a worker process: its Prometheus endpoint after a real run (Temporal's
 * runtime metrics and the pipeline's own), and its JSON log lines naming run, dataset and stage.
 */
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRetailWeek } from '../datagen';
import type { weeklyLoad } from '../workflows';
import { waitFor } from './helpers/devServer';
import { tempDir } from './helpers/parquet';
import { freePort, WorkerProcess } from './helpers/processes';
import { sharedServerAddress, taskQueueFor } from './helpers/temporal';
import { specFor } from './helpers/weekly';

const WEEK = '2026-11-16';
let server: { address: string };
let connection: Connection;
let worker: WorkerProcess | undefined;

beforeAll(async () => {
  server = { address: await sharedServerAddress() };
  connection = await Connection.connect({ address: server.address });
});
afterAll(async () => {
  await worker?.kill('SIGKILL');
  await connection?.close();
});

/** `name{labels} value` lines of a Prometheus text exposition, for one metric name. */
function samples(text: string, name: string): { labels: string; value: number }[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .map((line) => {
      const value = Number(line.slice(line.lastIndexOf(' ') + 1));
      const labels = line.includes('{') ? line.slice(line.indexOf('{') + 1, line.indexOf('}')) : '';
      return { labels, value };
    });
}

describe('a worker process', () => {
  it('exposes runtime and pipeline metrics on /metrics, and logs one JSON object per line with run, dataset and stage', async () => {
    const data = await tempDir('tributary-obs-data-');
    const manifest = await generateRetailWeek({
      out: data,
      regions: 3,
      stores: 4,
      products: 40,
      days: 7,
      seed: 6,
      week: WEEK,
      substitutionShare: 0.6,
      stockoutRate: 0.15,
    });
    const port = await freePort();
    const taskQueue = taskQueueFor('observability');
    worker = await WorkerProcess.start({
      TEMPORAL_ADDRESS: server.address,
      TRIBUTARY_TASK_QUEUE: taskQueue,
      TRIBUTARY_METRICS_PORT: String(port),
      TRIBUTARY_LOG_FORMAT: 'json',
      TRIBUTARY_LOG_LEVEL: 'INFO',
    });
    const client = new Client({ connection });

    const report = await client.workflow.execute<typeof weeklyLoad>('weeklyLoad', {
      taskQueue,
      workflowId: taskQueue,
      args: [{ spec: specFor(data, await tempDir('tributary-out-')), week: WEEK }],
    });
    expect(report.status).toBe('succeeded');
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();

    // Temporal's own runtime metrics...
    expect(text).toMatch(/^temporal_activity_execution_latency/m);
    expect(text).toMatch(/^temporal_workflow_completed/m);
    // ...and the pipeline's, with figures that match the run.
    const processed = samples(text, 'tributary_datasets_processed').filter((s) =>
      s.labels.includes('status="succeeded"'),
    );
    expect(processed.reduce((n, s) => n + s.value, 0)).toBe(manifest.regions.length);
    const written = samples(text, 'tributary_rows_written').reduce((n, s) => n + s.value, 0);
    expect(written).toBe(report.totals.rowsOut);
    const read = samples(text, 'tributary_rows_read').reduce((n, s) => n + s.value, 0);
    expect(read).toBe(report.totals.rowsIn);
    const computeCount = samples(text, 'tributary_stage_duration_count').filter((s) =>
      s.labels.includes('stage="compute"'),
    );
    expect(computeCount.reduce((n, s) => n + s.value, 0)).toBe(manifest.regions.length);

    // The run's result can arrive before the worker's last log lines have come through its pipe.
    const entries = () =>
      worker!.output
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    const stagesFinished = () => entries().filter((e) => e.message === 'stage finished');
    const expected = manifest.regions.length * 4;
    const finished = await waitFor(
      `${expected} "stage finished" log lines`,
      () => stagesFinished().length >= expected && stagesFinished(),
      10_000,
    ).catch(() => stagesFinished());
    expect(finished.length).toBeGreaterThanOrEqual(expected);
    for (const region of manifest.regions) {
      const compute = finished.find((e) => e.dataset === region && e.stage === 'compute');
      expect(compute, region).toMatchObject({ workflowId: `${taskQueue}/${region}`, attempt: 1, level: 'INFO' });
      expect(typeof compute?.time).toBe('string');
      expect(compute?.workflowRunId ?? compute?.runId).toBeTruthy();
    }
  });
});
