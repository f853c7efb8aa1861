/**
 * Reading a week's outputs as a downstream reader must: through the committed manifest. Every check
 * here reads the files the manifest lists and proves them whole (size and SHA-256).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import pl from 'nodejs-polars';
import { currentManifest } from '../../activities/commit';
import type { WeekManifest } from '../../common/manifest';
import type { DatasetSummary } from '../../common/types';
import { storageFor } from '../../storage';

/** The week's current manifest; fails the test when there is none. */
export async function readSnapshot(outputRoot: string, week: string): Promise<WeekManifest> {
  const { manifest } = await currentManifest(outputRoot, week);
  if (!manifest) throw new Error(`No committed snapshot for week ${week} under ${outputRoot}`);
  return manifest;
}

/** The committed file of one dataset's table (absolute), per the current manifest. */
export async function committedTable(
  outputRoot: string,
  week: string,
  dataset: string,
  table: string,
): Promise<string> {
  const manifest = await readSnapshot(outputRoot, week);
  const entry = manifest.datasets.find((d) => d.dataset === dataset);
  const file = entry?.tables.find((t) => t.table === table)?.path;
  if (!file)
    throw new Error(
      `Week ${week} has no committed ${dataset}/${table} (datasets: ${manifest.datasets.map((d) => d.dataset).join(', ')})`,
    );
  return path.join(outputRoot, file);
}

/**
 * The snapshot a reader gets: every listed file is there with the listed size and hash, and each
 * dataset's tables come from one run's folder (never a mix of attempts or runs). Returns it.
 */
export async function expectConsistentSnapshot(outputRoot: string, week: string): Promise<WeekManifest> {
  const manifest = await readSnapshot(outputRoot, week);
  expect(manifest.week).toBe(week);
  for (const d of manifest.datasets) {
    const folders = new Set(d.tables.map((t) => path.posix.basename(path.posix.dirname(t.path))));
    expect(folders.size, `${d.dataset}: tables from one run's folder`).toBe(1);
    expect([...folders][0]).toMatch(/^run-/);
    for (const t of d.tables) {
      const bytes = await readFile(path.join(outputRoot, t.path));
      expect(bytes.length, `${d.dataset}/${t.table} size`).toBe(t.bytes);
      expect(createHash('sha256').update(bytes).digest('hex'), `${d.dataset}/${t.table} hash`).toBe(t.sha256);
    }
  }
  return manifest;
}

/** What the snapshot holds, for comparing two of them: dataset → table → [rows, sha256]. */
export const snapshotContent = (m: WeekManifest): Record<string, Record<string, [number, string]>> =>
  Object.fromEntries(
    m.datasets.map((d) => [d.dataset, Object.fromEntries(d.tables.map((t) => [t.table, [t.rows, t.sha256]]))]),
  );

/**
 * A dataset as a run publishes it, without running one: one table of `rows` rows put in the run's
 * folder (`<root>/<week>/<dataset>/run-<run>/<table>.parquet`, local or s3://), and the succeeded
 * summary that names it with its size and hash, as commitWeek takes it.
 */
export async function publishedTable(
  root: string,
  at: { week: string; dataset: string; run: string; table?: string; rows?: number },
): Promise<DatasetSummary> {
  const { week, dataset, run, table = 't', rows = 3 } = at;
  const file = `${root}/${week}/${dataset}/run-${run}/${table}.parquet`;
  const body = pl
    .DataFrame({ category: Array.from({ length: rows }, (_, i) => `c${i}`), lost_units: Array(rows).fill(1.5) })
    .writeParquet();
  await storageFor(file).write(file, body);
  const sha256 = createHash('sha256').update(body).digest('hex');
  return {
    dataset,
    status: 'succeeded',
    outputs: [{ table, path: file, rows, bytes: body.length, sha256 }],
    stages: {},
    outputKey: `k-${dataset}`,
  };
}

/** What commitWeek takes from a run of `week` by `workflowId` (its run id `<workflowId>-run`). */
export const commitInput = (
  week: string,
  workflowId: string,
  datasets: DatasetSummary[],
  mode: 'replace' | 'merge' = 'replace',
) => ({ pipeline: 'p', week, workflowId, runId: `${workflowId}-run`, mode, datasets, metricTotals: {} });
