/**
 * Incremental runs: each dataset's entry in the week's manifest (common/manifest.ts) carries the key
 * of what produced its outputs (input and reference fingerprints, metrics, output template, metric
 * code version, week). A later run with the same key, whose committed files are still in place
 * with their sizes, skips the dataset and commits the same files again; so does one that finds
 * them in a complete pending record (published by a run that never committed). Kept out of workflow
 * history on purpose: it must outlive runs.
 */
import { createHash } from 'node:crypto';
import type { OutputKey } from '../common/journey';
import type { OutputFile } from '../common/types';
import { METRICS_VERSION } from '../metrics/version';
import type { ManifestTable, WeekManifest } from '../common/manifest';
import { committedPath, currentManifest, notInPlace, pendingRecords } from './commit';

export type { OutputKey };

export function keyOf(k: OutputKey): string {
  const parts = {
    inputs: k.inputs,
    reference: k.reference,
    metrics: k.metrics,
    outputPath: k.outputPath,
    week: k.week,
    version: METRICS_VERSION,
  };
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/**
 * The week's manifest, read once for many lookups (a batch's datasets): read per dataset, a manifest
 * of 10,000 datasets would be parsed 10,000 times.
 */
export type ManifestCache = Map<string, Promise<{ manifest?: WeekManifest }>>;

export type Unchanged =
  { unchanged: false } | { unchanged: true; outputs: OutputFile[]; workflowId: string; key: string };

/** The files of `tables` with absolute paths, if every one is still there with its size. */
async function inPlace(outputRoot: string, tables: ManifestTable[]): Promise<OutputFile[] | undefined> {
  const outputs: OutputFile[] = [];
  for (const t of tables) {
    const file = committedPath(outputRoot, t.path);
    // A file that cannot be looked at is as good as gone: the dataset is computed again.
    if (await notInPlace(file, t.bytes).catch(() => 'unreadable')) return undefined;
    outputs.push({ table: t.table, path: file, rows: t.rows, bytes: t.bytes, sha256: t.sha256 });
  }
  return outputs;
}

/**
 * Outputs of the dataset with the same key, all still there unchanged in size: those of the week's
 * committed snapshot, else those a run published and recorded in full but never committed (its
 * report failed, it was terminated): that work is not done again.
 */
export async function findUnchanged(k: OutputKey, manifests?: ManifestCache): Promise<Unchanged> {
  const key = keyOf(k);
  const read = () => currentManifest(k.outputRoot, k.week).catch(() => ({ manifest: undefined }));
  const where = `${k.outputRoot}\n${k.week}`;
  if (manifests && !manifests.has(where)) manifests.set(where, read());
  const { manifest } = await (manifests?.get(where) ?? read());
  const entry = manifest?.datasets.find((d) => d.dataset === k.dataset);
  if (entry?.key === key) {
    const outputs = await inPlace(k.outputRoot, entry.tables);
    if (outputs) return { unchanged: true, outputs, workflowId: entry.workflowId, key };
  }
  const published = await pendingRecords(k.outputRoot, k.week, k.dataset).catch(() => []);
  for (const { record } of published.sort((a, b) => (a.record.writtenAt < b.record.writtenAt ? 1 : -1))) {
    if (record.key !== key || !record.outputs || record.dataset !== k.dataset) continue;
    const outputs = await inPlace(k.outputRoot, record.outputs);
    if (outputs) return { unchanged: true, outputs, workflowId: record.workflowId, key };
  }
  return { unchanged: false };
}
