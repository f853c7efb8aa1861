/**
 * Issue 12, class 4: failures carry their real cause. Real faults on a real dev server: an output
 * root on a tmpfs filled to the last byte (ENOSPC), a read-only bind mount (EROFS), an input file
 * rewritten in place while the read stage reads it, and a run input over the server's size limit.
 * The mounts need root, as CI has; without it these tests fail saying so.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ApplicationFailure, type WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FaultHook } from '../activities/stage';
import { explainFailure } from '../cli/failure';
import type { RunReport } from '../common/report';
import type { DatasetSummary } from '../common/types';
import { generateRetailWeek, type Manifest } from '../datagen';
import type { weeklyLoad } from '../workflows';
import { expectExactlyOnceOutputs } from './helpers/invariants';
import { fillUp, readOnly, tmpfs, type Mount } from './helpers/mounts';
import { tempDir } from './helpers/parquet';
import { testEnvironment, taskQueueFor, startWorker } from './helpers/temporal';
import { filesUnder, specFor } from './helpers/weekly';
import { committedTable } from './helpers/snapshot';

const WEEK = '2026-11-16';
const SIZE = {
  regions: 2,
  stores: 20,
  products: 200,
  days: 7,
  seed: 5,
  week: WEEK,
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};
// Few, quick retries: the default budget (10 attempts, waits up to a minute) would take minutes here.
const QUICK = { maximumAttempts: 3, initialInterval: '100ms', maximumInterval: '200ms' };
const STAGES = Object.fromEntries(['read', 'compute', 'write'].map((s) => [s, { retry: QUICK }]));

let env: TestWorkflowEnvironment;
let data: string;
let manifest: Manifest;
const mounts: Mount[] = [];

beforeAll(async () => {
  env = await testEnvironment();
  data = await tempDir('tributary-failures-');
  manifest = await generateRetailWeek({ out: data, ...SIZE });
});
afterAll(async () => {
  for (const m of mounts) await m.unmount();
  await env?.teardown();
});

/** A run on its own worker; its result or its failure, and the task queue (children are `<queue>/<dataset>`). */
async function runToEnd(title: string, spec: unknown, faults?: FaultHook) {
  const taskQueue = taskQueueFor(title);
  const worker = await startWorker({
    connection: env.nativeConnection,
    taskQueue,
    activityDeps: faults ? { faults } : {},
  });
  const handle = await env.client.workflow.start<typeof weeklyLoad>('weeklyLoad', {
    taskQueue,
    workflowId: taskQueue,
    args: [{ spec, week: WEEK }],
  });
  type Outcome = { report?: RunReport; error?: unknown };
  const outcome = await worker.runUntil(
    handle.result().then(
      (report): Outcome => ({ report }),
      (error: unknown): Outcome => ({ error }),
    ),
  );
  return { ...outcome, taskQueue };
}

/** A dataset's summary from its child run (also when the run's report could not be written). */
async function datasetOutcome(taskQueue: string, dataset: string): Promise<DatasetSummary> {
  return env.client.workflow
    .getHandle(`${taskQueue}/${dataset}`)
    .result()
    .then(
      (summary) => summary as DatasetSummary,
      (err: unknown) => ((err as WorkflowFailedError).cause as ApplicationFailure).details?.[0] as DatasetSummary,
    );
}

/** The failure of the attempt before the one that completed, as the child's history records it. */
async function failureBeforeLastAttempt(workflowId: string, activityType: string) {
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  for (const [i, e] of (history.events ?? []).entries()) {
    if (e.activityTaskScheduledEventAttributes)
      scheduled.set(String(e.eventId ?? i), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
  }
  const started = (history.events ?? []).find(
    (e) =>
      e.activityTaskStartedEventAttributes &&
      scheduled.get(String(e.activityTaskStartedEventAttributes.scheduledEventId)) === activityType,
  )?.activityTaskStartedEventAttributes;
  return {
    attempt: started?.attempt,
    type: started?.lastFailure?.applicationFailureInfo?.type,
    message: started?.lastFailure?.message,
  };
}

async function mountedDir(prefix: string, mountIt: (dir: string) => Promise<Mount>): Promise<string> {
  const dir = path.join(await tempDir(prefix), 'out');
  await mkdir(dir);
  mounts.push(await mountIt(dir));
  return dir;
}

describe('output faults are OutputUnwritable, retried, and leave nothing behind', () => {
  it('a full output disk: datasets fail as OutputUnwritable naming path and cause, no temporary file is left, and the run failure says why there is no report', async () => {
    const out = await mountedDir('tributary-full-', (dir) => tmpfs(dir, 2 * 1024 * 1024));
    const filler = await fillUp(out);

    const { report, error, taskQueue } = await runToEnd('disk full', specFor(data, out, { stages: STAGES }));

    expect(report, 'nothing can be written, the report neither').toBeUndefined();
    for (const region of manifest.regions) {
      const summary = await datasetOutcome(taskQueue, region);
      expect(summary.error?.type, `${region}: ${summary.error?.message}`).toBe('OutputUnwritable');
      expect(summary.error?.message).toMatch(
        new RegExp(
          `Cannot write output ${out}/\\.staging/${encodeURIComponent(`${taskQueue}/${region}`)}@\\S+: no space left on device \\(ENOSPC\\)`,
        ),
      );
      expect(summary.stages.compute?.attempts, 'retried per the policy').toBe(QUICK.maximumAttempts);
    }
    expect(await filesUnder(out), 'no staging folder, no .tmp file').toEqual([path.basename(filler)]);
    const explained = explainFailure(error);
    expect(explained).toContain(
      `OutputUnwritable: Cannot write output ${out}/${WEEK}/_manifests/0000000001.json: no space left on device (ENOSPC)`,
    );
    expect(explained).toContain('Stage: report');
    expect(explained).toContain("The week's snapshot and the run report could not be written");
    expect(explained).toMatch(/What to do: Make the output root writable \(free space/);
  });

  it('a disk that is full for a while: the retry after space is freed succeeds, with every output in place', async () => {
    const out = await mountedDir('tributary-refill-', (dir) => tmpfs(dir, 8 * 1024 * 1024));
    const filler = await fillUp(out);
    // Space is freed once the first compute attempt has failed: the second one finds room.
    const freeSpace: FaultHook = async (stage, _dataset, attempt) => {
      if (stage === 'compute' && attempt === 2) await rm(filler, { force: true });
    };

    const { report, error, taskQueue } = await runToEnd(
      'disk full then freed',
      specFor(data, out, { stages: STAGES, parallelism: { datasets: 1 } }),
      freeSpace,
    );

    expect(error, String(error)).toBeUndefined();
    await expectExactlyOnceOutputs(report!, out, manifest.regions);
    const first = report!.datasets.find((d) => d.stages.compute?.attempts === 2)!;
    const attempt1 = await failureBeforeLastAttempt(`${taskQueue}/${first.dataset}`, 'computeMetrics');
    expect(attempt1.type).toBe('OutputUnwritable');
    expect(attempt1.message).toContain('no space left on device (ENOSPC)');
  });

  it('a read-only output root: OutputUnwritable naming the path and "read-only file system", not ENOENT', async () => {
    const out = await mountedDir('tributary-ro-', readOnly);

    const { report, error, taskQueue } = await runToEnd('read-only output', specFor(data, out, { stages: STAGES }));

    expect(report).toBeUndefined();
    for (const region of manifest.regions) {
      const summary = await datasetOutcome(taskQueue, region);
      expect(summary.error?.type, `${region}: ${summary.error?.message}`).toBe('OutputUnwritable');
      expect(summary.error?.message).toContain(
        `Cannot write output ${out}/.staging/${encodeURIComponent(`${taskQueue}/${region}`)}@`,
      );
      expect(summary.error?.message).toContain('read-only file system (EROFS)');
    }
    const explained = explainFailure(error);
    expect(explained).toContain(
      `OutputUnwritable: Cannot write output ${out}/${WEEK}/_manifests: read-only file system (EROFS)`,
    );
    expect(explained).toContain('Stage: report');
  });
});

describe('an input replaced while it is read', () => {
  it('is InputChanged, retried, and the outputs are those of the new file', async () => {
    const root = await tempDir('tributary-changing-');
    const copy = await generateRetailWeek({ out: root, ...SIZE, regions: 1 });
    const region = copy.regions[0]!;
    const file = path.join(root, 'sales', region, 'transactions.parquet');
    // The new version: every sale doubled. Written to the side first, then copied over the file in place.
    const newer = path.join(root, 'transactions.new.parquet');
    const old = pl.readParquet(file);
    old.withColumns(pl.col('units').mul(2).cast(old.getColumn('units').dtype)).writeParquet(newer);
    const bytes = await readFile(newer);
    let rewriting: Promise<void> | undefined;
    // As `cp` does it: truncate, then write the new bytes in chunks; the read starts meanwhile.
    const rewriteInPlace = async () => {
      const handle = await open(file, 'w');
      const chunk = Math.ceil(bytes.length / 20);
      await handle.write(bytes, 0, chunk);
      rewriting = (async () => {
        for (let at = chunk; at < bytes.length; at += chunk) {
          await sleep(2);
          await handle.write(bytes, at, Math.min(chunk, bytes.length - at), at);
        }
        await handle.close();
      })();
    };
    const faults: FaultHook = async (stage, _dataset, attempt) => {
      if (stage === 'read' && attempt === 1) await rewriteInPlace();
    };
    const out = await tempDir('tributary-changing-out-');

    const { report, error, taskQueue } = await runToEnd(
      'input replaced',
      specFor(root, out, { stages: STAGES }),
      faults,
    );
    await rewriting;

    expect(error, String(error)).toBeUndefined();
    expect(report!.datasets[0]?.status, JSON.stringify(report!.datasets[0]?.error)).toBe('succeeded');
    expect(report!.datasets[0]?.stages.read?.attempts).toBe(2);
    const attempt1 = await failureBeforeLastAttempt(`${taskQueue}/${region}`, 'readDataset');
    expect(attempt1.type).toBe('InputChanged');
    expect(attempt1.message).toContain(`Dataset ${region}: input ${file} (`);
    const hierarchy = pl.readParquet(await committedTable(out, WEEK, region, 'hierarchy_sales'));
    const units = Number(
      hierarchy
        .filter(pl.col('level').eq(pl.lit('category')))
        .getColumn('units')
        .sum(),
    );
    expect(units, 'computed from the new file').toBe(2 * Number(old.getColumn('units').sum()));
  });
});

describe('a run input over the server limit', () => {
  it('is refused by the server, and the explanation says so with the limit', async () => {
    const spec = {
      ...specFor(data, '/tmp/unused'),
      datasets: { list: Array.from({ length: 150_000 }, (_, i) => `sales/region-${i}`) },
    };
    const error = await env.client.workflow
      .start('weeklyLoad', {
        taskQueue: taskQueueFor('too big'),
        workflowId: taskQueueFor('too big'),
        args: [{ spec, week: WEEK }],
      })
      .then(
        () => undefined,
        (err: unknown) => err,
      );

    expect(error, 'the server refuses it').toBeInstanceOf(Error);
    const explained = explainFailure(error);
    expect(explained).toMatch(/^The Temporal server refused to start the run: its input is too large \(.+\)/);
    expect(explained).toContain("Temporal's default limit is 2.0 MB per payload");
  });
});
