/**
 * The resolve stage: validate the spec (runs may be started by any client, so the worker checks
 * too), find the datasets under the data root, and return the run's plan: references only.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import type { ReferenceRef } from '../common/types';
import { InvalidSpecError, parseSpec } from '../spec/schema';
import type { PipelineSpec } from '../spec/types';
import { discoverDatasets } from './discover';
import type { RefusedFolder } from './links';

/**
 * Datasets travel as folder names relative to the data root (the workflow rebuilds each DatasetRef,
 * see workflows/units.ts): a 10,000-dataset plan stays a few hundred KB, well under a payload's 2 MB.
 */
export interface RunPlan {
  spec: PipelineSpec;
  week: string;
  /** Dataset folders, relative to spec.dataRoot (absolute), '/'-separated. */
  folders: string[];
  /** Input bytes of each dataset (both files), for batching small ones together. */
  bytes: number[];
  reference: ReferenceRef;
  /**
   * Folders the datasets matched but the link policy refused (activities/links.ts): the run reports
   * each as a failed dataset. Absent in plans made before links were followed.
   */
  refused?: RefusedFolder[];
}

/** Resolves `relative` under `root`, refusing anything that lands outside it. */
export function insideRoot(root: string, relative: string, what: string): string {
  const resolved = path.resolve(root, relative);
  if (resolved !== root && !resolved.startsWith(root + path.sep)) {
    throw ApplicationFailure.nonRetryable(`${what} "${relative}" is outside the data root ${root}`, 'PathOutsideDataRoot');
  }
  return resolved;
}

/** `week`: given for this run; `defaultWeek`: used when neither the run nor the spec names one. */
export async function prepareRun(input: { spec: unknown; week?: string; defaultWeek: string }): Promise<RunPlan> {
  let spec: PipelineSpec;
  try {
    spec = parseSpec(input.spec);
  } catch (err) {
    if (err instanceof InvalidSpecError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidSpec');
    throw err;
  }
  const week = input.week ?? spec.week ?? input.defaultWeek;
  const root = path.resolve(spec.dataRoot);
  // Listed entries are checked against the root first: one outside it is a mistake in the spec.
  const listed = 'list' in spec.datasets
    ? { list: spec.datasets.list.map((d) => path.relative(root, insideRoot(root, d, 'Dataset'))) }
    : spec.datasets;
  const { folders, refused } = await discoverDatasets(root, listed);
  if (folders.length === 0 && refused.length === 0) {
    const how = 'glob' in spec.datasets ? `glob "${spec.datasets.glob}"` : 'list';
    throw ApplicationFailure.nonRetryable(`The dataset ${how} matched no folders under ${root}`, 'NoDatasets');
  }
  const names = folders.map((f) => path.basename(f));
  const all = [...names, ...refused.map((r) => r.dataset)];
  const duplicate = all.find((n, i) => all.indexOf(n) !== i);
  if (duplicate) {
    throw ApplicationFailure.nonRetryable(`Two dataset folders are both named "${duplicate}"; names must be unique`, 'InvalidSpec');
  }
  const datasets = folders.map((folder, i) => {
    const dir = insideRoot(root, folder, 'Dataset');
    return {
      name: names[i] as string,
      dir,
      files: {
        transactions: insideRoot(root, path.join(folder, spec.inputs.transactions), 'Input'),
        stock: insideRoot(root, path.join(folder, spec.inputs.stock), 'Input'),
      },
    };
  });
  const reference = {
    products: insideRoot(root, spec.reference.products, 'Reference dataset'),
    substitutes: insideRoot(root, spec.reference.substitutes, 'Reference dataset'),
  };
  const size = (file: string) => stat(file).then((s) => s.size, () => 0);
  const bytes = await Promise.all(datasets.map(async (d) => (await size(d.files.transactions)) + (await size(d.files.stock))));
  return {
    spec: { ...spec, dataRoot: root, output: { ...spec.output, root: path.resolve(spec.output.root) } },
    week,
    folders,
    bytes,
    reference,
    ...(refused.length > 0 ? { refused } : {}),
  };
}
