/**
 * Issue 15: a worker SIGKILLed at every step of publish and commit leaves the week's previous
 * snapshot or the new one, never a mix, checked by reading through the manifest right after the
 * kill; another worker then finishes the run, which commits exactly once and leaves nothing behind.
 * Each step is a separate `tributary worker` process told (TRIBUTARY_TEST_KILL_AT, test-only) to
 * kill itself there.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { generateRetailWeek, type Manifest } from '../datagen';
import type { WeekManifest } from '../common/manifest';
import type { weeklyLoad } from '../workflows';
import { tempDir } from './helpers/parquet';
import { waitFor, WorkerProcess } from './helpers/processes';
import { expectConsistentSnapshot } from './helpers/snapshot';
import { sharedServerAddress, taskQueueFor } from './helpers/temporal';
import { filesUnder, specFor } from './helpers/weekly';

const WEEK = '2026-11-16';
const SIZE = {
  regions: 2,
  stores: 6,
  products: 50,
  days: 7,
  seed: 21,
  week: WEEK,
  substitutionShare: 0.6,
  stockoutRate: 0.1,
};
// A dead worker's activity is retried within seconds.
const QUICK = Object.fromEntries(
  ['read', 'compute', 'write'].map((s) => [s, { heartbeatTimeout: '2s', retry: { initialInterval: '200ms' } }]),
);
/** Every step of publish (two datasets, three tables each) and of the commit and its cleanup. */
const KILL_POINTS = [
  'publish:pending-written#1',
  'publish:table-moved#1',
  'publish:table-moved#2',
  'publish:done#1',
  'commit:before-manifest#1',
  'commit:manifest-written#1',
  'commit:manifest-committed#1',
  'cleanup:file-removed#1',
  'cleanup:file-removed#4',
  'cleanup:manifest-removed#1',
  'cleanup:pending-removed#1',
];

let connection: Connection;
let client: Client;
let address: string;
let data: string;
let manifest: Manifest;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  address = await sharedServerAddress();
  data = await tempDir('tributary-kills-data-');
  manifest = await generateRetailWeek({ out: data, ...SIZE });
  connection = await Connection.connect({ address });
  client = new Client({ connection });
});
afterAll(async () => {
  for (const w of workers) await w.kill('SIGKILL').catch(() => undefined);
  await connection?.close();
});

async function worker(taskQueue: string, extra: Record<string, string> = {}): Promise<WorkerProcess> {
  const w = await WorkerProcess.start({
    TEMPORAL_ADDRESS: address,
    TRIBUTARY_TASK_QUEUE: taskQueue,
    TRIBUTARY_STICKY_TIMEOUT: '1s',
    ...extra,
  });
  workers.push(w);
  return w;
}

/** The snapshot's datasets and the run that computed each. */
const computedBy = (m: WeekManifest) => Object.fromEntries(m.datasets.map((d) => [d.dataset, d.workflowId]));

it('a worker killed at any step of publish or commit leaves the old snapshot or the new one', async () => {
  const out = await tempDir('tributary-kills-out-');
  const spec = specFor(data, out, { stages: QUICK });
  const queue = taskQueueFor('kills first');
  const first = await worker(queue);
  await client.workflow.execute<typeof weeklyLoad>('weeklyLoad', {
    taskQueue: queue,
    workflowId: queue,
    args: [{ spec, week: WEEK }],
  });
  await first.kill('SIGTERM');
  let previous = await expectConsistentSnapshot(out, WEEK);

  // Each step's doomed worker starts while the previous step's run is being finished.
  const queues = KILL_POINTS.map((point) => taskQueueFor(`kill at ${point}`));
  const markers = KILL_POINTS.map((point) => `${out}.${point.replace(/[^\w]/g, '_')}.marker`);
  const doomedFor = (i: number) =>
    worker(queues[i]!, { TRIBUTARY_TEST_KILL_AT: KILL_POINTS[i]!, TRIBUTARY_TEST_KILL_MARKER: markers[i]! });
  let nextDoomed = doomedFor(0);
  for (const [i, point] of KILL_POINTS.entries()) {
    const [taskQueue, marker] = [queues[i]!, markers[i]!];
    const doomed = await nextDoomed;
    const handle = await client.workflow.start<typeof weeklyLoad>('weeklyLoad', {
      taskQueue,
      workflowId: taskQueue,
      args: [{ spec, week: WEEK, force: true }],
    });
    await waitFor(`the worker to reach ${point}`, () => existsSync(marker), 60_000);
    await doomed.exited();
    expect(readFileSync(marker, 'utf8').trim(), 'killed where asked').toBe(point);

    // Right after the kill: the snapshot is the old one or the new one, whole.
    const seen = await expectConsistentSnapshot(out, WEEK);
    if (seen.generation === previous.generation) expect(seen, point).toEqual(previous);
    else {
      expect(seen.generation, point).toBe(previous.generation + 1);
      expect(Object.values(computedBy(seen)), point).toEqual(manifest.regions.map(() => taskQueue));
    }

    // Another worker finishes the run: one commit, every dataset of this run, nothing left over.
    const [rescuer] = await Promise.all([
      worker(taskQueue),
      i + 1 < KILL_POINTS.length ? (nextDoomed = doomedFor(i + 1)) : undefined,
    ]);
    const report = await handle.result();
    await rescuer.kill('SIGTERM');
    expect(report.status, point).toBe('succeeded');
    const now = await expectConsistentSnapshot(out, WEEK);
    expect(now.generation, `${point}: committed exactly once`).toBe(previous.generation + 1);
    expect(now.run.workflowId).toBe(taskQueue);
    expect(Object.keys(computedBy(now)), point).toEqual([...manifest.regions].sort());
    for (const by of Object.values(computedBy(now))) expect(by, point).toBe(taskQueue);
    const files = await filesUnder(out);
    expect(
      files.filter((f) => f.endsWith('.parquet')),
      `${point}: only the snapshot's files`,
    ).toEqual(now.datasets.flatMap((d) => d.tables.map((t) => t.path)).sort());
    expect(
      files.filter((f) => !f.endsWith('.parquet')),
      `${point}: no pending record, no temporary file`,
    ).toEqual([
      path.join(WEEK, '_manifests', `${String(now.generation).padStart(10, '0')}.json`),
      path.join(WEEK, '_report.json'),
      path.join(WEEK, '_report.md'),
    ]);
    previous = now;
  }
}, 600_000);
