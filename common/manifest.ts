/**
 * A week's committed snapshot, its manifest: exactly the datasets, tables, files, row counts and
 * content hashes that are current for one week under one output root, and the runs that produced
 * them. What is not in the manifest is not current. The rules of the protocol are in
 * docs/outputs.md ("Committed snapshots"); the I/O in activities/commit.ts. Pure: no Node modules.
 *
 * Each commit is a new file `<output root>/<week>/_manifests/<generation>.json`, created only if it
 * does not exist (a hard link locally, a conditional put on object storage): that single write is
 * the commit. The current snapshot is the highest generation.
 */
import type { MetricTotals } from './report';
import type { DatasetSummary, OutputFile } from './types';

export const MANIFEST_FORMAT = 1;

/** Commits a manifest remembers (WeekManifest.earlier). */
export const EARLIER_COMMITS = 100;

/** One table of a committed dataset: its file relative to the output root ('/'-separated), rows, bytes, hash. */
export interface ManifestTable {
  table: string;
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface ManifestDataset {
  dataset: string;
  /** The workflow id of the run that computed these files (an unchanged dataset keeps the run that computed it). */
  workflowId: string;
  /** The key of what produced them (inputs, reference data, metrics, code): incremental runs compare it. */
  key?: string;
  rowsIn?: DatasetSummary['rowsIn'];
  /** The headline totals of its tables, as the report computed them: week over week reads them. */
  metricTotals?: MetricTotals;
  tables: ManifestTable[];
}

/** A dataset of the run that has no new outputs in this snapshot, and why (its earlier ones may be kept). */
export interface NotCommitted {
  dataset: string;
  status: DatasetSummary['status'];
  reason: string;
}

/** How a run's commit treats datasets it did not produce: a full run replaces them, a rerun keeps them. */
export type CommitMode = 'replace' | 'merge';

export interface WeekManifest {
  format: number;
  pipeline: string;
  week: string;
  generation: number;
  committedAt: string;
  /** The run that committed this snapshot. */
  run: { workflowId: string; runId: string; mode: CommitMode };
  /**
   * The runs that committed the generations before, newest first (at most EARLIER_COMMITS): a retried
   * commit finds its own there and does not commit again over a newer one.
   */
  earlier?: { workflowId: string; runId: string; generation: number }[];
  datasets: ManifestDataset[];
  notCommitted: NotCommitted[];
}

/** `0000000042.json`: generations sort as text. */
export const manifestName = (generation: number): string => `${String(generation).padStart(10, '0')}.json`;

/** The generation a manifest file name holds, or undefined for any other name. */
export function generationOf(name: string): number | undefined {
  const m = /^(\d{10})\.json$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The files the commit needs of a published table: summaries of runs before the protocol lack them. */
export type CommittedOutput = OutputFile & { bytes: number; sha256: string };
export const isCommittable = (o: OutputFile): o is CommittedOutput =>
  typeof o.bytes === 'number' && typeof o.sha256 === 'string';

export interface CommitFacts {
  pipeline: string;
  week: string;
  workflowId: string;
  runId: string;
  mode: CommitMode;
  committedAt: string;
  datasets: DatasetSummary[];
  metricTotals: Record<string, MetricTotals>;
  /** Turns an output's absolute path into its path relative to the output root. */
  relative: (file: string) => string;
}

/** A dataset's entry, when it has current outputs (succeeded or skipped, every table hashed). */
function entryOf(d: DatasetSummary, facts: CommitFacts): ManifestDataset | undefined {
  if (d.status !== 'succeeded' && d.status !== 'skipped') return undefined;
  if (d.outputs.length === 0 || !d.outputs.every(isCommittable)) return undefined;
  const tables = d.outputs.map((o) => ({
    table: o.table,
    path: facts.relative(o.path),
    rows: o.rows,
    bytes: o.bytes,
    sha256: o.sha256,
  }));
  return {
    dataset: d.dataset,
    workflowId: d.computedBy ?? facts.workflowId,
    ...(d.outputKey !== undefined && { key: d.outputKey }),
    ...(d.rowsIn && { rowsIn: d.rowsIn }),
    ...(facts.metricTotals[d.dataset] && { metricTotals: facts.metricTotals[d.dataset] }),
    tables,
  };
}

function reasonOf(d: DatasetSummary): string {
  if (d.error) return `${d.status} at ${d.error.stage}: ${d.error.message}`;
  if (d.note) return `${d.status}: ${d.note}`;
  if (d.status === 'succeeded' || d.status === 'skipped') return `${d.status} without committable outputs`;
  return d.status;
}

/**
 * The next snapshot: the run's datasets with new outputs (succeeded, or skipped as unchanged), and
 * for each of its datasets that has none this time (failed, late, cancelled) its entry of the
 * previous snapshot, if it had one: a failed re-run never takes good outputs away, and
 * `notCommitted` says which entries are kept from an earlier run and why. `replace` (a run of the
 * whole week): a dataset the run does not have (renamed, dropped) is gone. `merge` (a rerun of
 * some datasets): the previous snapshot's other datasets are kept as they were.
 */
export function nextManifest(previous: WeekManifest | undefined, facts: CommitFacts): WeekManifest {
  const before = new Map((previous?.datasets ?? []).map((d) => [d.dataset, d]));
  const datasets = new Map<string, ManifestDataset>();
  const notCommitted = new Map<string, NotCommitted>();
  if (facts.mode === 'merge') {
    for (const d of previous?.datasets ?? []) datasets.set(d.dataset, d);
    for (const n of previous?.notCommitted ?? []) notCommitted.set(n.dataset, n);
  }
  for (const d of facts.datasets) {
    const entry = entryOf(d, facts);
    const kept = before.get(d.dataset);
    // Unchanged (skipped) with the very files committed before: the entry as it was, totals included.
    const same = (a: ManifestDataset, b: ManifestDataset) =>
      JSON.stringify(a.tables.map((t) => t.path)) === JSON.stringify(b.tables.map((t) => t.path));
    if (entry && d.status === 'skipped' && kept && same(entry, kept)) {
      datasets.set(d.dataset, kept);
      notCommitted.delete(d.dataset);
      continue;
    }
    if (entry) {
      datasets.set(d.dataset, entry);
      notCommitted.delete(d.dataset);
      continue;
    }
    if (kept) datasets.set(d.dataset, kept);
    else datasets.delete(d.dataset);
    const keeping = kept ? `; its outputs of ${kept.workflowId} are kept` : '';
    notCommitted.set(d.dataset, { dataset: d.dataset, status: d.status, reason: `${reasonOf(d)}${keeping}` });
  }
  const byName = <T extends { dataset: string }>(xs: Iterable<T>) =>
    [...xs].sort((a, b) => (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0));
  return {
    format: MANIFEST_FORMAT,
    pipeline: facts.pipeline,
    week: facts.week,
    generation: (previous?.generation ?? 0) + 1,
    committedAt: facts.committedAt,
    run: { workflowId: facts.workflowId, runId: facts.runId, mode: facts.mode },
    earlier: previous
      ? [
          { workflowId: previous.run.workflowId, runId: previous.run.runId, generation: previous.generation },
          ...(previous.earlier ?? []),
        ].slice(0, EARLIER_COMMITS)
      : [],
    datasets: byName(datasets.values()),
    notCommitted: byName(notCommitted.values()),
  };
}

/** Every file a manifest lists, relative to the output root. */
export const filesOf = (m: WeekManifest | undefined): Set<string> =>
  new Set((m?.datasets ?? []).flatMap((d) => d.tables.map((t) => t.path)));

/** Files `older` lists that `current` does not: superseded once `current` is committed. */
export function supersededFiles(older: WeekManifest, current: WeekManifest): string[] {
  const keep = filesOf(current);
  return [...filesOf(older)].filter((f) => !keep.has(f));
}

/** Problems that make a file not a manifest (a reader refuses it rather than guess). */
export function manifestProblems(value: unknown): string[] {
  const m = value as Partial<WeekManifest> | null;
  if (!m || typeof m !== 'object') return ['not a JSON object'];
  const problems: string[] = [];
  if (m.format !== MANIFEST_FORMAT) problems.push(`format ${String(m.format)}, expected ${MANIFEST_FORMAT}`);
  if (typeof m.generation !== 'number') problems.push('no generation');
  if (!Array.isArray(m.datasets)) problems.push('no datasets');
  if (!Array.isArray(m.notCommitted)) problems.push('no notCommitted');
  return problems;
}
