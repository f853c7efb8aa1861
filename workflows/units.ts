/**
 * Units of work of a run: a dataset on its own (a `datasetPipeline` child, with its per-stage retries)
 * or, when the spec asks for batching, a run of consecutive small datasets processed by one activity.
 * Pure string work: it runs inside the workflow.
 */
import type { DatasetRef } from '../common/types';
import type { PipelineSpec } from '../pipeline/types';

export type Unit = { kind: 'dataset'; index: number } | { kind: 'batch'; from: number; to: number };

/** The DatasetRef of folder `i` of a plan (folders are '/'-separated, relative to the data root). */
export function datasetRef(spec: PipelineSpec, folder: string): DatasetRef {
  const dir = `${spec.dataRoot}/${folder}`;
  const name = folder.split('/').pop() ?? folder;
  return {
    name,
    dir,
    files: { transactions: `${dir}/${spec.inputs.transactions}`, stock: `${dir}/${spec.inputs.stock}` },
  };
}

/**
 * Without batching, one unit per dataset. With it, consecutive datasets of at most `maxBytes` each
 * are grouped up to `maxDatasets` or `maxBytes` per batch; a bigger dataset gets a unit of its own.
 */
export function planUnits(bytes: readonly number[], batching: PipelineSpec['batching']): Unit[] {
  if (!batching) return bytes.map((_, index) => ({ kind: 'dataset', index }));
  const units: Unit[] = [];
  let from = -1;
  let total = 0;
  const close = (to: number) => {
    if (from >= 0) units.push({ kind: 'batch', from, to });
    from = -1;
    total = 0;
  };
  bytes.forEach((size, i) => {
    if (size > batching.maxBytes) {
      close(i);
      units.push({ kind: 'dataset', index: i });
      return;
    }
    if (from >= 0 && (i - from >= batching.maxDatasets || total + size > batching.maxBytes)) close(i);
    if (from < 0) from = i;
    total += size;
  });
  close(bytes.length);
  return units;
}

export function unitSize(unit: Unit): number {
  return unit.kind === 'dataset' ? 1 : unit.to - unit.from;
}

/**
 * Datasets one run of a long fan-out handles before it continues as new. Their summaries travel in
 * activity inputs (the part saved to disk, the report) and in the run's result, and the server
 * refuses a payload over 2 MB by default: a thousand summaries stay well under it.
 */
export const MAX_DATASETS_PER_RUN = 1_000;

/**
 * Where the run that starts at unit `first` stops: after `maxUnits` units (bounding its history)
 * or before the unit that would take it past `maxDatasets` datasets (bounding its payloads),
 * whichever comes first; always at least one unit.
 */
export function runEnd(units: readonly Unit[], first: number, maxUnits: number, maxDatasets: number): number {
  let end = first;
  let datasets = 0;
  while (end < units.length && end - first < maxUnits) {
    const size = unitSize(units[end]!);
    if (end > first && datasets + size > maxDatasets) break;
    datasets += size;
    end += 1;
  }
  return end;
}
