/**
 * Issue 16, first part: the commit protocol of issue 15 on real object storage (the suite's MinIO),
 * through the same storage interface as local files: no rename, the conditional put of the next
 * manifest generation is the commit; two commits of a week at once both land; superseded objects
 * and a run's uncommitted ones are removed; wrong credentials and a missing bucket fail at once,
 * naming the bucket, the operation and what to fix.
 */
import { createHash } from 'node:crypto';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import { commitWeek, currentManifest, writePending } from '../activities/commit';
import type { DatasetSummary } from '../common/types';
import { storageFor } from '../storage';
import { S3Storage } from '../storage/s3';
import { tributary } from './helpers/cli';
import { suiteObjectStorage } from './helpers/objectStorage';
import { commitInput, publishedTable } from './helpers/snapshot';

const WEEK = '2026-11-16';
let s3: ReturnType<typeof suiteObjectStorage>;

beforeAll(() => {
  s3 = suiteObjectStorage();
});

const published = (root: string, dataset: string, run: string, rows = 3) =>
  publishedTable(root, { week: WEEK, dataset, run, rows });

const input = (workflowId: string, datasets: DatasetSummary[], mode?: 'replace' | 'merge') =>
  commitInput(WEEK, workflowId, datasets, mode);

describe('the commit protocol on S3 (MinIO)', () => {
  it('commits generations by conditional put, removes superseded objects, and reads back through the manifest', async () => {
    const root = s3.root('commit');
    const storage = storageFor(root);
    const first = await commitWeek(
      root,
      input('w1', [await published(root, 'north', 'w1'), await published(root, 'south', 'w1')]),
    );
    expect(first.file).toBe(`${root}/${WEEK}/_manifests/0000000001.json`);
    expect(first.manifest.datasets.map((d) => d.tables[0]!.path)).toEqual([
      `${WEEK}/north/run-w1/t.parquet`,
      `${WEEK}/south/run-w1/t.parquet`,
    ]);

    const second = await commitWeek(root, input('w2', [await published(root, 'north', 'w2', 5)]));
    expect(second.manifest.generation).toBe(2);
    expect((await currentManifest(root, WEEK)).manifest?.datasets.map((d) => d.dataset)).toEqual(['north']);
    // Superseded objects and the older generation are gone; the current ones are there, whole.
    expect(await storage.stat(`${root}/${WEEK}/north/run-w1/t.parquet`)).toBeUndefined();
    expect(await storage.stat(`${root}/${WEEK}/south/run-w1/t.parquet`)).toBeUndefined();
    expect(await storage.stat(first.file)).toBeUndefined();
    const table = second.manifest.datasets[0]!.tables[0]!;
    const body = await storage.read(`${root}/${table.path}`);
    expect(createHash('sha256').update(body!).digest('hex')).toBe(table.sha256);
    expect(pl.readParquet(body!).height).toBe(5);

    // Both of two commits of the week at once land: the exclusive put is the compare-and-swap.
    const [a, b] = await Promise.all([published(root, 'east', 'r1'), published(root, 'west', 'r2')]);
    const both = await Promise.all([
      commitWeek(root, input('r1', [a], 'merge')),
      commitWeek(root, input('r2', [b], 'merge')),
    ]);
    expect(both.map((c) => c.manifest.generation).sort()).toEqual([3, 4]);
    const { manifest } = await currentManifest(root, WEEK);
    expect(manifest?.datasets.map((d) => d.dataset)).toEqual(['east', 'north', 'west']);
    expect((await storage.list(`${root}/${WEEK}/_manifests`)).map((o) => o.path)).toEqual([
      `${root}/${WEEK}/_manifests/0000000004.json`,
    ]);
  });

  it('removes the objects a run published but did not commit, named by its pending record', async () => {
    const root = s3.root('pending');
    const storage = storageFor(root);
    const kept = await published(root, 'north', 'w');
    const orphan = await published(root, 'south', 'w');
    await writePending(root, {
      week: WEEK,
      dataset: 'south',
      workflowId: 'w',
      runId: 'w-run',
      files: [`${WEEK}/south/run-w/t.parquet`],
      writtenAt: new Date().toISOString(),
    });
    await commitWeek(root, input('w', [kept]));
    expect(await storage.stat(orphan.outputs[0]!.path)).toBeUndefined();
    expect(await storage.list(`${root}/.pending`)).toEqual([]);
    expect(await storage.stat(kept.outputs[0]!.path)).toBeDefined();
  });

  it('tributary outputs reads an s3:// snapshot and verifies it', async () => {
    const root = s3.root('cli');
    await commitWeek(root, input('w', [await published(root, 'north', 'w', 4)]));
    const result = await tributary(['outputs', WEEK, '--root', root, '--json', '--verify'], s3.env);
    expect(result.code, result.stderr).toBe(0);
    const parsed = JSON.parse(result.stdout) as {
      verified: boolean;
      datasets: { tables: { file: string; rows: number }[] }[];
    };
    expect(parsed.verified).toBe(true);
    expect(parsed.datasets[0]!.tables[0]).toMatchObject({ file: `${root}/${WEEK}/north/run-w/t.parquet`, rows: 4 });
  });

  it('wrong credentials and a missing bucket fail at once, naming the bucket, the operation and the fix', async () => {
    const root = s3.root('errors');
    const wrong = new S3Storage({ ...process.env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' });
    await expect(wrong.write(`${root}/x.json`, '{}')).rejects.toMatchObject({
      nonRetryable: true,
      type: 'S3SignatureDoesNotMatch',
      message: expect.stringMatching(/PUT s3:\/\/tributary-test\/.*\(bucket tributary-test.*fix AWS_SECRET_ACCESS_KEY/),
    });
    const unknown = new S3Storage({ ...process.env, AWS_ACCESS_KEY_ID: 'nobody' });
    await expect(unknown.list(root)).rejects.toMatchObject({ nonRetryable: true, type: 'S3InvalidAccessKeyId' });
    const storage = storageFor(root);
    await expect(storage.write('s3://no-such-bucket-here/x.json', '{}')).rejects.toMatchObject({
      nonRetryable: true,
      type: 'S3NoSuchBucket',
      message: expect.stringContaining('bucket no-such-bucket-here'),
    });
  });
});
