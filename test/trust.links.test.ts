/**
 * Issue 12, class 3: symlinked dataset folders. One policy, whoever looks (the run's plan, doctor,
 * rerun): a link that resolves inside the data root is a dataset named after the link; one that
 * resolves outside is refused (PathOutsideDataRoot); a loop or a dangling link is reported. Nothing
 * the glob reaches is dropped without a word, and a refused folder fails alone: the others complete.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverDatasets } from '../activities/discover';
import type { RunReport } from '../common/report';
import { runChecks } from '../cli/doctor';
import { rerun } from '../cli/rerun';
import { generateRetailWeek, type Manifest } from '../datagen';
import { loadSettings } from '../runtime/settings';
import type { weeklyLoad } from '../workflows';
import { tempDir } from './helpers/parquet';
import { freePort } from './helpers/processes';
import { testEnvironment, startWorker } from './helpers/temporal';
import { runWeekly, specFor } from './helpers/weekly';

const SIZE = {
  regions: 3,
  stores: 3,
  products: 20,
  days: 7,
  seed: 12,
  week: '2026-11-16',
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};

let env: TestWorkflowEnvironment;
let root: string;
let elsewhere: string;
let manifest: Manifest;
/** The run of the second describe's first test, re-run by its second. */
let firstRun: { workflowId: string; taskQueue: string } | undefined;

/**
 * sales/<r0>, sales/<r1>: plain folders; sales/linked -> ../store/<r2> (inside the root);
 * sales/outside -> a folder outside the root; sales/loop -> loop; sales/cycle -> . (its own parent);
 * sales/gone -> a folder that does not exist.
 */
beforeAll(async () => {
  root = await tempDir('tributary-links-');
  elsewhere = await tempDir('tributary-links-elsewhere-');
  [env, manifest] = await Promise.all([testEnvironment(), generateRetailWeek({ out: root, ...SIZE })]);
  const [r0, , r2] = manifest.regions as [string, string, string];
  const sales = path.join(root, 'sales');
  await mkdir(path.join(root, 'store'));
  await rename(path.join(sales, r2), path.join(root, 'store', r2));
  await symlink(path.join('..', 'store', r2), path.join(sales, 'linked'));
  await cp(path.join(sales, r0), elsewhere, { recursive: true });
  await symlink(elsewhere, path.join(sales, 'outside'));
  await symlink('loop', path.join(sales, 'loop'));
  await symlink('.', path.join(sales, 'cycle'));
  await symlink(path.join('..', 'nowhere'), path.join(sales, 'gone'));
});
afterAll(async () => {
  await env?.teardown();
});

const REFUSED = { cycle: 'SymlinkLoop', gone: 'DanglingSymlink', loop: 'SymlinkLoop', outside: 'PathOutsideDataRoot' };

describe('dataset discovery follows links inside the data root and reports every other one', () => {
  it('glob: the linked folder is a dataset, the others are refused with their type', async () => {
    const [r0, r1] = manifest.regions as [string, string];
    const found = await discoverDatasets(root, { glob: 'sales/*' });
    expect(found.folders).toEqual(['sales/linked', `sales/${r0}`, `sales/${r1}`].sort());
    expect(Object.fromEntries(found.refused.map((r) => [r.dataset, r.type]))).toEqual(REFUSED);
    const outside = found.refused.find((r) => r.dataset === 'outside');
    expect(outside?.message).toContain(`"sales/outside" links to ${elsewhere}, outside the data root ${root}`);
    expect(found.refused.find((r) => r.dataset === 'loop')?.message).toContain('"sales/loop" is a symbolic link loop');
  });

  it('** terminates on a link to its own parent, and reports it', async () => {
    const found = await discoverDatasets(root, { glob: 'sales/**' });
    expect(found.folders).toContain('sales/linked');
    expect(found.refused.map((r) => r.dataset)).toEqual(expect.arrayContaining(['cycle', 'loop', 'outside']));
  });

  it('list: the same policy, entry by entry', async () => {
    const [r0] = manifest.regions as [string];
    const list = [`sales/${r0}`, 'sales/linked', 'sales/outside', 'sales/loop', 'sales/gone'];
    const found = await discoverDatasets(root, { list });
    expect(found.folders).toEqual([`sales/${r0}`, 'sales/linked']);
    const { cycle: _notListed, ...listed } = REFUSED;
    expect(Object.fromEntries(found.refused.map((r) => [r.dataset, r.type]))).toEqual(listed);
  });
});

describe('a run over a data root with links', () => {
  it('computes the linked dataset, reports the refused ones as failed, completes the others; doctor counts the same', async () => {
    const out = path.join(await tempDir('tributary-links-out-'), 'out');
    const spec = specFor(root, out);
    const { report, handle, taskQueue } = await runWeekly(env, 'links run', { spec, week: SIZE.week });
    firstRun = { workflowId: handle.workflowId, taskQueue };

    const byName = Object.fromEntries(report.datasets.map((d) => [d.dataset, d]));
    const [r0, r1] = manifest.regions as [string, string];
    for (const name of [r0, r1, 'linked']) {
      expect(byName[name]?.status, name).toBe('succeeded');
      expect(byName[name]?.rowsIn?.transactions, name).toBeGreaterThan(0);
    }
    expect(existsSync(path.join(out, SIZE.week, 'linked'))).toBe(true);
    for (const [name, type] of Object.entries(REFUSED)) {
      expect(byName[name], name).toMatchObject({ status: 'failed', error: { stage: 'resolve', type } });
    }
    expect(byName.outside?.error?.message).toContain(`links to ${elsewhere}`);
    expect(existsSync(path.join(out, SIZE.week, 'outside'))).toBe(false);
    expect(report.status).toBe('partial');
    expect(report.totals).toMatchObject({ datasets: 7, succeeded: 3, failed: 4 });

    // Doctor (with no server: the data checks run anyway) finds what the run computed, and says what it refuses.
    const specFile = path.join(root, '..', `${path.basename(root)}-spec.json`);
    await writeFile(specFile, JSON.stringify(spec));
    const nobody = `127.0.0.1:${await freePort()}`;
    const settings = loadSettings({ TEMPORAL_ADDRESS: nobody });
    const checks = await runChecks(settings, specFile);
    const datasets = checks.find((c) => c.name === 'datasets');
    expect(datasets?.detail).toMatch(new RegExp(`^${report.totals.succeeded} found`));
    expect(datasets?.status).toBe('problem');
    expect(datasets?.detail).toContain('4 refused');
    expect(datasets?.detail).toContain(`PathOutsideDataRoot: Dataset folder "sales/outside" links to ${elsewhere}`);
  });

  it('rerun names the refused datasets again, and the new run applies the same policy (a link fixed since is computed)', async () => {
    expect(firstRun).toBeDefined();
    const { workflowId, taskQueue } = firstRun!;
    // The dangling link's target appears: sales/gone now resolves inside the root.
    const [r0] = manifest.regions as [string];
    await cp(path.join(root, 'sales', r0), path.join(root, 'nowhere'), { recursive: true });
    const settings = loadSettings({ TEMPORAL_ADDRESS: env.address, TRIBUTARY_TASK_QUEUE: taskQueue });
    const lines: string[] = [];
    expect(await rerun(settings, [workflowId, '--detach'], (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toContain(`Re-running 4 of 7 datasets of ${workflowId}`);

    const worker = await startWorker({ connection: env.nativeConnection, taskQueue });
    const rerunHandle = env.client.workflow.getHandle<typeof weeklyLoad>(`${workflowId}-rerun-1`);
    const report = await worker.runUntil(rerunHandle.result());
    const outcome = Object.fromEntries(report.datasets.map((d) => [d.dataset, d.error?.type ?? d.status]));
    expect(outcome).toEqual({ ...REFUSED, gone: 'succeeded' });
  });

  it('with onFailure: failFast, a refused dataset stops the run before any other starts', async () => {
    const out = path.join(await tempDir('tributary-links-failfast-'), 'out');
    const spec = specFor(root, out, { onFailure: 'failFast' });
    const err = await runWeekly(env, 'links failfast', { spec, week: SIZE.week }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('RunFailed');
    expect(cause.message).toMatch(
      /^Stopped at the first failure \(onFailure: failFast\): (cycle|gone|loop|outside): Dataset folder "/,
    );
    const report = cause.details?.[0] as RunReport;
    // The rerun test above fixed one link: count from the discovery as it is now.
    const found = await discoverDatasets(root, { glob: 'sales/*' });
    expect(found.refused.length).toBeGreaterThan(0);
    expect(report.totals).toMatchObject({
      datasets: 7,
      failed: found.refused.length,
      cancelled: found.folders.length,
      succeeded: 0,
    });
  });
});
