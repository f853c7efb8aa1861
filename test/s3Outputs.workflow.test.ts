/**
 * Issue 16: outputs on object storage. A weekly load whose output.root is `s3://…` (the suite's MinIO)
 * computes, stages, publishes and commits there, by the same code as on local disk: the snapshot
 * read through its manifest equals a local run's, cell for cell; the run's history never holds the
 * secret key; a rerun on S3 commits on top of the snapshot.
 */
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentManifest } from '../activities/commit';
import type { WeekManifest } from '../common/manifest';
import { generateRetailWeek, type Manifest } from '../datagen';
import { storageFor } from '../storage';
import { suiteObjectStorage, uploadTree } from './helpers/objectStorage';
import { tempDir } from './helpers/parquet';
import { expectConsistentSnapshot } from './helpers/snapshot';
import { testEnvironment } from './helpers/temporal';
import { runWeekly, specFor } from './helpers/weekly';

const WEEK = '2026-11-16';
const SIZE = {
  regions: 3,
  stores: 8,
  products: 60,
  days: 7,
  seed: 31,
  week: WEEK,
  substitutionShare: 0.6,
  stockoutRate: 0.1,
};

let env: TestWorkflowEnvironment;
let s3: ReturnType<typeof suiteObjectStorage>;
let data: string;
let manifest: Manifest;

beforeAll(async () => {
  s3 = suiteObjectStorage();
  env = await testEnvironment();
  data = await tempDir('tributary-s3out-data-');
  manifest = await generateRetailWeek({ out: data, ...SIZE });
});
afterAll(async () => {
  await env?.teardown();
});

/** Every table of a snapshot, read back through its manifest and sorted, as records. */
async function tablesOf(root: string, m: WeekManifest) {
  const out: Record<string, unknown[]> = {};
  for (const d of m.datasets) {
    for (const t of d.tables) {
      const file = `${root}/${t.path}`;
      const body = await storageFor(file).read(file);
      const frame = pl.readParquet(body!);
      out[`${d.dataset}/${t.table}`] = frame.sort(frame.columns).toRecords();
    }
  }
  return out;
}

/**
 * Cell for cell: the same tables, rows, keys and integers; floats equal within summation noise
 * (1e-9 relative: polars adds in parallel, in no fixed order).
 */
function expectSameTables(a: Record<string, unknown[]>, b: Record<string, unknown[]>) {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const [name, rows] of Object.entries(a)) {
    const other = b[name]!;
    expect(rows.length, name).toBe(other.length);
    rows.forEach((row, i) => {
      for (const [column, value] of Object.entries(row as Record<string, unknown>)) {
        const twin = (other[i] as Record<string, unknown>)[column];
        if (
          typeof value === 'number' &&
          typeof twin === 'number' &&
          !(Number.isInteger(value) && Number.isInteger(twin))
        )
          expect(Math.abs(value - twin), `${name} row ${i} ${column}`).toBeLessThanOrEqual(
            1e-9 * Math.max(1, Math.abs(value)),
          );
        else expect(value, `${name} row ${i} ${column}`).toEqual(twin);
      }
    });
  }
}

describe('outputs on S3 (MinIO)', () => {
  it('a weekly load commits its snapshot to s3://, equal cell for cell to a local run’s, with no secret in its history', async () => {
    const root = s3.root('weekly');
    const local = await tempDir('tributary-s3out-local-');
    const [onS3] = await Promise.all([
      runWeekly(env, 's3 outputs', { spec: specFor(data, root), week: WEEK }),
      runWeekly(env, 's3 outputs local twin', { spec: specFor(data, local), week: WEEK }),
    ]);
    expect(onS3.report.status, JSON.stringify(onS3.report.datasets.map((d) => d.error))).toBe('succeeded');
    expect(onS3.report.snapshot?.manifest).toBe(`${root}/${WEEK}/_manifests/0000000001.json`);

    const remote = (await currentManifest(root, WEEK)).manifest!;
    expect(remote.datasets.map((d) => d.dataset)).toEqual([...manifest.regions].sort());
    for (const d of remote.datasets)
      for (const t of d.tables)
        expect(t.path).toMatch(new RegExp(`^${WEEK}/${d.dataset}/run-[^/]+/${t.table}\\.parquet$`));
    const here = await expectConsistentSnapshot(local, WEEK);
    expectSameTables(await tablesOf(root, remote), await tablesOf(local, here));
    // Nothing left but the snapshot, the manifest and the report: no staging, no pending record.
    const left = (await storageFor(root).list(root)).map((o) => o.path.slice(root.length + 1)).sort();
    expect(left).toEqual(
      [
        ...remote.datasets.flatMap((d) => d.tables.map((t) => t.path)),
        `${WEEK}/_manifests/0000000001.json`,
        `${WEEK}/_report.json`,
        `${WEEK}/_report.md`,
      ].sort(),
    );

    // The worker's keys are in its environment only: nowhere in the run's or its children's histories.
    const histories = [onS3.handle.workflowId, ...manifest.regions.map((r) => `${onS3.handle.workflowId}/${r}`)];
    for (const id of histories) {
      const history = JSON.stringify(await env.client.workflow.getHandle(id).fetchHistory());
      expect(history, id).not.toContain(s3.env.AWS_SECRET_ACCESS_KEY);
      expect(history, id).not.toContain(Buffer.from(s3.env.AWS_SECRET_ACCESS_KEY!).toString('base64'));
    }
  });

  it('data, reference data and outputs all on S3: the same snapshot as a local run, cell for cell', async () => {
    const bucketData = s3.root('data');
    await uploadTree(data, bucketData);
    const root = s3.root('all');
    const local = await tempDir('tributary-s3all-local-');
    const [remote] = await Promise.all([
      runWeekly(env, 's3 everything', { spec: specFor(bucketData, root), week: WEEK }),
      runWeekly(env, 's3 everything local twin', { spec: specFor(data, local), week: WEEK }),
    ]);
    expect(remote.report.status, JSON.stringify(remote.report.datasets.map((d) => d.error))).toBe('succeeded');
    for (const d of remote.report.datasets) expect(d.rowsIn, d.dataset).toEqual(manifest.rows[d.dataset]);
    const onS3 = (await currentManifest(root, WEEK)).manifest!;
    expectSameTables(await tablesOf(root, onS3), await tablesOf(local, await expectConsistentSnapshot(local, WEEK)));
  });

  it('batched on S3: an unchanged week is skipped and committed again; a forced one replaces every object', async () => {
    const root = s3.root('again');
    // Batches: the many-small-datasets path stages and publishes on object storage too.
    const spec = specFor(data, root, { batching: { maxDatasets: 10 } });
    const batched = await runWeekly(env, 's3 first', { spec, week: WEEK });
    for (const d of batched.report.datasets) expect(Object.keys(d.stages), d.dataset).toEqual(['compute']); // a batch's
    const first = (await currentManifest(root, WEEK)).manifest!;
    expect(first.datasets.map((d) => d.dataset)).toEqual([...manifest.regions].sort());
    expect(await storageFor(root).list(`${root}/.pending`), 'the batch record went with the commit').toEqual([]);
    const again = await runWeekly(env, 's3 unchanged', { spec, week: WEEK });
    expect(again.report.datasets.map((d) => d.status)).toEqual(manifest.regions.map(() => 'skipped'));
    const second = (await currentManifest(root, WEEK)).manifest!;
    expect(second.generation).toBe(2);
    expect(second.datasets).toEqual(first.datasets);

    await runWeekly(env, 's3 forced', { spec, week: WEEK, force: true });
    const third = (await currentManifest(root, WEEK)).manifest!;
    const objects = (await storageFor(root).list(root)).map((o) => o.path.slice(root.length + 1));
    const files = (m: WeekManifest) => m.datasets.flatMap((d) => d.tables.map((t) => t.path));
    // The first run's objects are gone, the third's are there.
    expect(files(first).filter((f) => objects.includes(f))).toEqual([]);
    expect(files(third).every((f) => objects.includes(f))).toBe(true);
    expect(path.posix.basename(third.datasets[0]!.tables[0]!.path)).toBe(
      third.datasets[0]!.tables[0]!.table + '.parquet',
    );
  });
});
