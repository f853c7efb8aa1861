/**
 * Issue 16, inputs side: a data root on object storage (the suite's MinIO). The same sample is
 * generated locally and uploaded under an `s3://` root; discovery, the read stage, availability and
 * the reference data must give on S3 what they give on the local copy, schema errors must name the
 * `s3://` file and column, footer checks must use ranged reads only (counted by a test double of the
 * storage interface around the real S3 storage), and a missing bucket or a wrong key must fail at
 * once, naming the bucket.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkAvailability } from '../activities/availability';
import { discoverDatasets } from '../activities/discover';
import { openInput, inspectInput } from '../activities/inspect';
import { fileSchema, scanStored, scanSummary } from '../activities/parquet';
import { footerNullCounts } from '../activities/parquetFooter';
import { prepareRun } from '../activities/plan';
import { rulesOf } from '../activities/quality';
import { readDataset, readReferenceFiles } from '../activities/read';
import { ReferenceCache } from '../activities/referenceCache';
import { SMALL_FILE_BYTES } from '../activities/smallFile';
import type { DatasetRef, ReferenceRef } from '../common/types';
import { datasetRefs, generateRetailWeek, TINY_DATASETS } from '../datagen';
import { storageFor, type Storage, useObjectStorage } from '../storage';
import { S3Storage } from '../storage/s3';
import { suiteObjectStorage, uploadTree as upload } from './helpers/objectStorage';
import { tempDir } from './helpers/parquet';
import { specFor } from './helpers/weekly';

const WEEK = '2026-11-16';
/** Duplicate keys and negative values warn (not fail), so the two copies' warnings can be compared. */
const QUALITY = { duplicateKeys: 'warn', negativeValues: 'warn' } as const;

let s3: ReturnType<typeof suiteObjectStorage>;
let local: string;
let remote: string;
let localSets: DatasetRef[];
let remoteSets: DatasetRef[];
/** The big region's transactions: more than SMALL_FILE_BYTES, so polars scans it (from S3 too). */
let big: { local: string; remote: string };

/** The same DatasetRef on the other copy. */
const onS3 = (d: DatasetRef): DatasetRef => ({
  name: d.name,
  dir: d.dir.replace(local, remote),
  files: { transactions: d.files.transactions.replace(local, remote), stock: d.files.stock.replace(local, remote) },
});

beforeAll(async () => {
  s3 = suiteObjectStorage();
  local = await tempDir('tributary-s3-inputs-');
  const manifest = await generateRetailWeek({ out: local, ...TINY_DATASETS, regions: 2, week: WEEK });
  // A region big enough to be scanned, not read whole: its own sample, moved into this one's sales/.
  const bigDir = await tempDir('tributary-s3-inputs-big-');
  await generateRetailWeek({ out: bigDir, ...TINY_DATASETS, regions: 1, stores: 60, products: 600, week: WEEK });
  // A region with planted problems: one negative unit count, every stock row twice (duplicate keys).
  const north = manifest.files.sales.north!;
  const tx = pl.readParquet(path.join(local, north.transactions));
  const negative = tx.head(1).withColumn(pl.lit(-3).cast(pl.Int32).alias('units'));
  const stock = pl.readParquet(path.join(local, north.stock));
  const write = async (df: pl.DataFrame, rel: string) => {
    const file = path.join(local, rel);
    await mkdir(path.dirname(file), { recursive: true });
    df.writeParquet(file);
  };
  await write(pl.concat([tx, negative]), 'sales/dupes/transactions.parquet');
  await write(pl.concat([stock, stock]), 'sales/dupes/stock.parquet');
  await write(pl.readParquet(path.join(bigDir, 'sales/north/transactions.parquet')), 'sales/big/transactions.parquet');
  await write(pl.readParquet(path.join(bigDir, 'sales/north/stock.parquet')), 'sales/big/stock.parquet');
  // A hidden folder the glob must skip, as it does on disk.
  await write(stock, 'sales/.staging/stock.parquet');
  remote = s3.root('inputs');
  await upload(local, remote);
  const sets = ['big', 'dupes', ...manifest.regions];
  localSets = datasetRefs(local, {
    regions: sets,
    files: {
      ...manifest.files,
      sales: Object.fromEntries(
        sets.map((r) => [r, { transactions: `sales/${r}/transactions.parquet`, stock: `sales/${r}/stock.parquet` }]),
      ),
    },
  });
  remoteSets = localSets.map(onS3);
  big = { local: localSets[0]!.files.transactions, remote: remoteSets[0]!.files.transactions };
});

afterEach(() => useObjectStorage(undefined));

describe('discovery under an s3:// data root', () => {
  it('finds the same dataset folders, sizes and reference paths as on the local copy, skipping hidden ones', async () => {
    const run = (root: string, datasets?: unknown) =>
      prepareRun({
        spec: specFor(root, `${root.replace(/\/$/, '')}-out`, datasets ? { datasets } : {}),
        week: WEEK,
        defaultWeek: WEEK,
      });
    const [onDisk, onObjects] = await Promise.all([run(local), run(`${remote}/`)]);
    expect(onObjects.folders).toEqual(['sales/big', 'sales/dupes', 'sales/north', 'sales/south']);
    expect(onObjects.folders).toEqual(onDisk.folders);
    expect(onObjects.bytes).toEqual(onDisk.bytes);
    expect(onObjects.bytes.every((b) => b > 0)).toBe(true);
    expect(onObjects.spec.dataRoot).toBe(remote);
    expect(onObjects.reference).toEqual({
      products: `${remote}/reference/products.parquet`,
      substitutes: `${remote}/reference/substitutes.parquet`,
    });

    const deep = await run(remote, { glob: '**/s*' });
    expect(deep.folders).toEqual((await run(local, { glob: '**/s*' })).folders);
    expect(deep.folders).toEqual(['sales', 'sales/south']);
    const listed = await run(remote, { list: ['sales/north', './sales/south/'] });
    expect(listed.folders).toEqual(['sales/north', 'sales/south']);
    // The spec refuses a listed '..' before discovery; discovery refuses it too, as on disk.
    expect((await discoverDatasets(remote, { list: ['../elsewhere'] })).refused).toMatchObject([
      { folder: '../elsewhere', type: 'PathOutsideDataRoot' },
    ]);
    await expect(run(remote, { glob: 'nothing/*' })).rejects.toMatchObject({ type: 'NoDatasets' });
  });
});

describe('the read stage on S3', () => {
  it('gives the rows, warnings and fingerprint shape of the local copy, whether read whole or scanned', async () => {
    for (const [i, dataset] of localSets.entries()) {
      const [here, there] = await Promise.all([
        readDataset(dataset, WEEK, QUALITY),
        readDataset(remoteSets[i]!, WEEK, QUALITY),
      ]);
      expect(there.rowsIn, dataset.name).toEqual(here.rowsIn);
      expect(there.rowsIn.transactions).toBeGreaterThan(0);
      expect(there.warnings).toEqual(
        here.warnings.map((w) => ({ ...w, message: w.message.replaceAll(local, remote) })),
      );
      // path:size:version per file; the sizes are the local files', the versions ETags.
      const parts = there.fingerprint.split('|').map((p) => /^(s3:\/\/.+):(\d+):("[0-9a-f-]+")$/.exec(p));
      expect(parts.map((p) => p?.[1])).toEqual([remoteSets[i]!.files.transactions, remoteSets[i]!.files.stock]);
      expect(parts.map((p) => p?.[2])).toEqual(here.fingerprint.split('|').map((p) => p.split(':')[1]));
    }
    const dupes = await readDataset(remoteSets[1]!, WEEK, QUALITY);
    expect(dupes.warnings.map((w) => w.rule)).toEqual(['negativeValues', 'duplicateKeys']);
    expect(dupes.warnings[0]!.message).toContain(`${remote}/sales/dupes/transactions.parquet`);
    expect(dupes.warnings[1]!.message).toContain(`${remote}/sales/dupes/stock.parquet`);
  });

  it('scans a big file from S3 with polars, and the scan path measures what the local one does', async () => {
    expect((await storageFor(big.remote).stat(big.remote))!.size).toBeGreaterThan(SMALL_FILE_BYTES);
    const measure = async (file: string) => {
      const opened = await openInput(file, 'transactions', 'Dataset big', 'scan');
      return inspectInput(opened, 'Dataset big', WEEK, rulesOf(QUALITY));
    };
    expect(await measure(big.remote)).toEqual(await measure(big.local));
    expect(await scanSummary(big.remote)).toEqual(await scanSummary(big.local));
    expect((await scanStored(big.remote).collect()).height).toBe((await scanStored(big.local).collect()).height);
  });

  it('a schema error names the s3:// file and the column, whether the file is read whole or by its footer', async () => {
    const root = s3.root('bad-schema');
    const file = `${root}/sales/north/transactions.parquet`;
    const good = pl.readParquet(big.local);
    const bad = good.withColumn(pl.col('units').cast(pl.Utf8));
    await storageFor(file).write(file, bad.writeParquet());
    const dataset = { ...remoteSets[2]!, name: 'north', files: { ...remoteSets[2]!.files, transactions: file } };
    const failure = (await readDataset(dataset, WEEK, QUALITY).catch((e: unknown) => e)) as Record<string, unknown>;
    expect(failure).toMatchObject({ type: 'SchemaMismatch', nonRetryable: true });
    expect(failure.message).toContain(`Dataset north, file ${file} (transactions): column "units"`);
    const small = `${root}/small/transactions.parquet`;
    await storageFor(small).write(small, bad.head(10).writeParquet());
    await expect(openInput(small, 'transactions', 'Dataset small')).rejects.toMatchObject({
      type: 'SchemaMismatch',
      message: expect.stringContaining(`file ${small} (transactions): column "units"`),
    });
  });
});

/** The storage interface around the real S3 storage, counting what reaches object storage. */
function countingStorage(inner: Storage) {
  const calls = { stat: 0, read: [] as string[], ranges: [] as { path: string; length: number }[], list: 0 };
  const storage: Storage = {
    kind: inner.kind,
    stat: (p) => (calls.stat++, inner.stat(p)),
    read: (p) => (calls.read.push(p), inner.read(p)),
    readRange: (p, offset, length) => (calls.ranges.push({ path: p, length }), inner.readRange(p, offset, length)),
    write: (p, body) => inner.write(p, body),
    createExclusive: (p, body, options) => inner.createExclusive(p, body, options),
    list: (p) => (calls.list++, inner.list(p)),
    remove: (p, keepAbove) => inner.remove(p, keepAbove),
    children: (p) => (calls.list++, inner.children(p)),
    removeTree: (p) => inner.removeTree(p),
    move: (from, to) => inner.move(from, to),
    makeDir: (p) => inner.makeDir(p),
    pruneEmpty: (p, keepAbove) => inner.pruneEmpty(p, keepAbove),
  };
  return { storage, calls };
}

describe('footer checks on S3', () => {
  it('read the footer by ranged GETs only: never a whole object, a small part of a big one', async () => {
    const { storage, calls } = countingStorage(new S3Storage());
    useObjectStorage(storage);
    const size = (await storage.stat(big.remote))!.size;
    expect(size).toBeGreaterThan(SMALL_FILE_BYTES);
    const schema = await fileSchema(big.remote);
    expect(schema).toEqual(await fileSchema(big.local));
    expect(schema).toMatchObject({ units: 'Int32', revenue: 'Float64' });
    const nulls = await footerNullCounts(big.remote);
    expect(nulls?.get('store_id')).toBe(0);
    expect(await scanSummary(big.remote)).toEqual(await scanSummary(big.local));
    expect(calls.read).toEqual([]);
    expect(calls.ranges.length).toBeGreaterThanOrEqual(3);
    for (const range of calls.ranges) expect(range.length).toBeLessThan(size / 10);

    // The whole read stage of the big dataset: files above SMALL_FILE_BYTES are never downloaded by it.
    calls.ranges.length = 0;
    await readDataset(remoteSets[0]!, WEEK, QUALITY);
    expect(calls.read).not.toContain(big.remote);
    expect(calls.ranges.filter((r) => r.path === big.remote).every((r) => r.length < size / 10)).toBe(true);
  });
});

describe('requests of the read stage on S3', () => {
  it('a small dataset: each file read whole once, and looked at three times (before, to open, after)', async () => {
    const { storage, calls } = countingStorage(new S3Storage());
    useObjectStorage(storage);
    const north = remoteSets[2]!;
    const read = await readDataset(north, WEEK, QUALITY);
    expect(read.rowsIn.stock).toBeGreaterThan(0);
    expect(calls.read.sort()).toEqual([north.files.stock, north.files.transactions]);
    expect(calls.ranges).toEqual([]);
    expect(calls.stat).toBe(6);
  });
});

describe('availability and reference data on S3', () => {
  it('waits for a missing input or marker object, and is ready once they are there', async () => {
    const root = s3.root('arrival');
    const dataset: DatasetRef = {
      name: 'north',
      dir: `${root}/sales/north`,
      files: { transactions: `${root}/sales/north/transactions.parquet`, stock: `${root}/sales/north/stock.parquet` },
    };
    const rule = { marker: '_SUCCESS', minRows: 1, checkEveryMs: 1_000, deadlineMs: 60_000 };
    expect(await checkAvailability(dataset, rule, WEEK)).toEqual({
      ready: false,
      missing: `input file ${dataset.files.transactions}`,
    });
    for (const input of ['transactions', 'stock'] as const) {
      const body = await readFile(localSets[2]!.files[input]);
      await storageFor(root).write(dataset.files[input], body);
    }
    expect(await checkAvailability(dataset, rule, WEEK)).toEqual({
      ready: false,
      missing: `marker file ${root}/sales/north/_SUCCESS`,
    });
    await storageFor(root).write(`${root}/sales/north/_SUCCESS`, '');
    expect(await checkAvailability(dataset, rule, WEEK)).toEqual({ ready: true });
    expect(await checkAvailability(dataset, { ...rule, minRows: 1_000_000 }, WEEK)).toMatchObject({ ready: false });
  });

  it('checks the reference data like the local copy, and caches it by the object version', async () => {
    const reference = (root: string): ReferenceRef => ({
      products: `${root}/reference/products.parquet`,
      substitutes: `${root}/reference/substitutes.parquet`,
    });
    const cache = new ReferenceCache();
    let loads = 0;
    const load = (file: string) => cache.get(file, (f) => (loads++, scanStored(f).collect()));
    const [here, there] = await Promise.all([
      readReferenceFiles(reference(local), (f) => scanStored(f).collect(), QUALITY),
      readReferenceFiles(reference(remote), load, QUALITY),
    ]);
    expect(there.rows).toEqual(here.rows);
    expect(there.rows.products).toBeGreaterThan(0);
    expect(there.warnings).toEqual(here.warnings);
    expect(there.fingerprint).toMatch(/^s3:\/\/.+products\.parquet:\d+:"[0-9a-f-]+"\|s3:\/\/.+substitutes\.parquet/);
    expect(loads).toBe(2);

    // Same version: from the cache; a new object at the same key: read again.
    const products = reference(remote).products;
    expect((await load(products)).height).toBe(there.rows.products);
    expect(loads).toBe(2);
    const fewer = (await scanStored(products).collect()).head(2);
    await storageFor(products).write(products, fewer.writeParquet());
    expect((await load(products)).height).toBe(2);
    expect(loads).toBe(3);
  });
});

describe('object-storage faults on the input side', () => {
  it('a missing bucket fails discovery and the read at once, naming the bucket', async () => {
    const root = 's3://tributary-no-such-bucket/data';
    await expect(
      prepareRun({ spec: specFor(root, `${local}-out`), week: WEEK, defaultWeek: WEEK }),
    ).rejects.toMatchObject({
      type: 'S3NoSuchBucket',
      nonRetryable: true,
      message: expect.stringContaining('bucket tributary-no-such-bucket'),
    });
    const dataset = onS3(localSets[2]!);
    const elsewhere = {
      ...dataset,
      files: {
        transactions: dataset.files.transactions.replace(remote, root),
        stock: dataset.files.stock.replace(remote, root),
      },
    };
    await expect(readDataset(elsewhere, WEEK, QUALITY)).rejects.toMatchObject({
      type: 'S3NoSuchBucket',
      nonRetryable: true,
      message: expect.stringMatching(/HEAD s3:\/\/tributary-no-such-bucket\/.*bucket tributary-no-such-bucket.*To fix/),
    });
  });

  it('object storage failing polars mid-scan is retryable, not blamed on the file', async () => {
    // The storage interface reaches MinIO; polars, given the process's settings, finds nothing listening.
    useObjectStorage(new S3Storage({ ...process.env }));
    const endpoint = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:1';
    try {
      const opened = await openInput(big.remote, 'transactions', 'Dataset big', 'scan');
      await expect(inspectInput(opened, 'Dataset big', WEEK, rulesOf(QUALITY))).rejects.toMatchObject({
        type: 'ObjectStorageUnavailable',
        nonRetryable: false,
        message: expect.stringContaining(`Object storage failed while polars read ${big.remote}: object-store error`),
      });
    } finally {
      process.env.AWS_ENDPOINT_URL = endpoint;
    }
  });

  it('a wrong key or secret fails the read at once, naming the bucket and the variable to fix', async () => {
    const bucket = remote.split('/')[2]!;
    useObjectStorage(new S3Storage({ ...process.env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' }));
    await expect(readDataset(remoteSets[2]!, WEEK, QUALITY)).rejects.toMatchObject({
      type: 'S3SignatureDoesNotMatch',
      nonRetryable: true,
      message: expect.stringMatching(new RegExp(`bucket ${bucket}.*AWS_SECRET_ACCESS_KEY`)),
    });
    useObjectStorage(new S3Storage({ ...process.env, AWS_ACCESS_KEY_ID: 'nobody' }));
    await expect(readDataset(remoteSets[2]!, WEEK, QUALITY)).rejects.toMatchObject({
      type: 'S3InvalidAccessKeyId',
      nonRetryable: true,
      message: expect.stringMatching(new RegExp(`bucket ${bucket}.*AWS_ACCESS_KEY_ID`)),
    });
    useObjectStorage(new S3Storage({ ...process.env, AWS_SECRET_ACCESS_KEY: 'not-the-secret' }));
    await expect(
      prepareRun({ spec: specFor(remote, `${local}-out`), week: WEEK, defaultWeek: WEEK }),
    ).rejects.toMatchObject({ type: 'S3SignatureDoesNotMatch', nonRetryable: true });
  });
});
