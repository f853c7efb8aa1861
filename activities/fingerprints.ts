/**
 * Incremental runs: each published dataset records the key of what produced it (input and reference
 * fingerprints, metrics, output template, metric code version, week) in a small file next to the
 * outputs, `<output root>/.fingerprints/<week>/<dataset>.json`. A later run with the same key and
 * outputs still in place skips the dataset. Kept out of workflow history on purpose: it must outlive runs.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { fingerprintFile } from '../common/paths';
import type { OutputKey } from '../common/journey';
import type { OutputFile } from '../common/types';
import { METRICS_VERSION } from '../metrics/version';
import { writeAtomically } from './storage';

export type { OutputKey };

interface FingerprintRecord {
  key: string;
  workflowId: string;
  outputs: (OutputFile & { bytes: number })[];
}

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

const recordFile = (k: OutputKey) => fingerprintFile(k.outputRoot, k.week, k.dataset);

/** The outputs of an earlier run with the same key, if all of them are still there unchanged in size. */
export async function findUnchanged(
  k: OutputKey,
): Promise<{ unchanged: false } | { unchanged: true; outputs: OutputFile[]; workflowId: string }> {
  let record: FingerprintRecord;
  try {
    record = JSON.parse(await readFile(recordFile(k), 'utf8')) as FingerprintRecord;
  } catch {
    return { unchanged: false };
  }
  if (record.key !== keyOf(k)) return { unchanged: false };
  for (const output of record.outputs) {
    const size = await stat(output.path).then(
      (s) => s.size,
      () => -1,
    );
    if (size !== output.bytes) return { unchanged: false };
  }
  return {
    unchanged: true,
    outputs: record.outputs.map(({ table, path: p, rows }) => ({ table, path: p, rows })),
    workflowId: record.workflowId,
  };
}

export async function recordOutputs(k: OutputKey, outputs: OutputFile[], workflowId: string): Promise<void> {
  const withBytes = await Promise.all(outputs.map(async (o) => ({ ...o, bytes: (await stat(o.path)).size })));
  const record: FingerprintRecord = { key: keyOf(k), workflowId, outputs: withBytes };
  await writeAtomically(recordFile(k), `${JSON.stringify(record, null, 2)}\n`);
}
