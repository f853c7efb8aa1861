/**
 * Issue 12, class 4: `tributary run` says why a run failed as a whole (type, message, stage, what
 * to do), whether its own in-process worker ran it or a separate worker process did; and a spec
 * too large for a run's input is refused before anything starts, with its size and the limit.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hasPollers } from '../cli/client';
import { generateRetailWeek } from '../datagen';
import type { Settings } from '../runtime/settings';
import { tributary } from './helpers/cli';
import { readOnly, type Mount } from './helpers/mounts';
import { tempDir } from './helpers/parquet';
import { waitFor, WorkerProcess } from './helpers/processes';
import { sharedServerAddress, taskQueueFor } from './helpers/temporal';
import { specFor } from './helpers/weekly';

const WEEK = '2026-11-16';
const QUICK = { retry: { maximumAttempts: 2, initialInterval: '100ms', maximumInterval: '200ms' } };

let home: string;
let data: string;
let server: { address: string };
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  home = await tempDir('tributary-cli-failures-');
  server = { address: await sharedServerAddress() };
  data = path.join(home, 'data');
  await generateRetailWeek({
    out: data,
    regions: 1,
    stores: 3,
    products: 20,
    days: 7,
    seed: 4,
    week: WEEK,
    substitutionShare: 0.6,
    stockoutRate: 0.15,
  });
});
afterAll(async () => {
  for (const clean of cleanups) await clean();
});

async function tributaryRun(spec: object, env: Record<string, string>) {
  const file = path.join(await tempDir('tributary-spec-'), 'spec.json');
  await writeFile(file, JSON.stringify(spec));
  return tributary(['run', file, '--week', WEEK], { TRIBUTARY_HOME: home, ...env });
}

it('prints the root cause of a run that fails as a whole, run by its in-process worker', async () => {
  const spec = specFor(data, path.join(home, 'out-nodata'), { name: 'no-datasets', datasets: { glob: 'nowhere/*' } });

  const result = await tributaryRun(spec, {
    TEMPORAL_ADDRESS: server.address,
    TRIBUTARY_TASK_QUEUE: taskQueueFor('cli failures in process'),
  });

  expect(result.code).toBe(1);
  expect(result.stderr).toContain('running one in this process');
  expect(result.stderr).toContain(`tributary: The run no-datasets-${WEEK} failed: NoDatasets: `);
  expect(result.stderr).toContain('nowhere/*');
  expect(result.stderr).toContain('  Stage: planning (resolve)');
  expect(result.stderr).toContain('What to do: Check dataRoot and datasets in the spec');
  expect(result.stderr).not.toMatch(/tributary: Workflow execution failed\s*$/);
});

it('prints the root cause when a separate worker process ran the run: a read-only output root', async () => {
  const out = path.join(await tempDir('tributary-cli-ro-'), 'out');
  await mkdir(out);
  const mount: Mount = await readOnly(out);
  cleanups.push(mount.unmount);
  const queue = taskQueueFor('cli failures worker');
  const worker = await WorkerProcess.start({ TEMPORAL_ADDRESS: server.address, TRIBUTARY_TASK_QUEUE: queue });
  cleanups.push(() => worker.kill('SIGKILL'));
  // Until the server lists the worker's poll, `run` would host a worker itself.
  const connection = await Connection.connect({ address: server.address });
  const settings = { namespace: 'default', taskQueue: queue } as Settings;
  await waitFor(
    'the worker process to be listed as a poller',
    () => hasPollers(new Client({ connection }), settings),
    30_000,
  );
  await connection.close();
  const spec = specFor(data, out, { name: 'read-only', stages: { read: QUICK, compute: QUICK, write: QUICK } });

  const result = await tributaryRun(spec, { TEMPORAL_ADDRESS: server.address, TRIBUTARY_TASK_QUEUE: queue });

  expect(result.code).toBe(1);
  expect(result.stderr, 'the worker process ran it').not.toContain('running one in this process');
  expect(result.stderr).toContain(
    `tributary: The run read-only-${WEEK} failed: OutputUnwritable: Cannot write output ${out}/${WEEK}/_manifests: read-only file system (EROFS).`,
  );
  expect(result.stderr).toContain('  Stage: report');
  expect(result.stderr).toContain("The week's snapshot and the run report could not be written");
  expect(result.stderr).toContain('What to do: Make the output root writable');
  expect(result.stderr).toContain(`Web UI: `);
});

it('refuses a spec over the payload limit before starting, with its size and the limit', async () => {
  const list = Array.from({ length: 220_000 }, (_, i) => `sales/store-${String(i).padStart(6, '0')}`);
  const spec = specFor(data, path.join(home, 'out-big'), { name: 'too-big', datasets: { list } });
  const nowhere = path.join(home, 'unused-home');

  // Nothing listens there: the command must refuse before reaching or starting a server.
  const result = await tributaryRun(spec, { TEMPORAL_ADDRESS: '127.0.0.1:1', TRIBUTARY_HOME: nowhere });

  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(
    /\(spec\): is \d+\.\d MB; a run carries its spec as its input, and Temporal refuses inputs over 2\.0 MB/,
  );
  expect(result.stderr).toContain('Nothing was started.');
  expect(existsSync(path.join(nowhere, 'temporal.db'))).toBe(false);
});
