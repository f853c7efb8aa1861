/**
 * The resolve stage: validate the spec (runs may be started by any client, so the worker checks
 * too), find the datasets under the data root, and return the run's plan: references only.
 */
import { resolveLocation } from '../common/location';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { checkName, checkRunId, checkWeekInput, inside } from '../common/paths';
import { quoted } from '../common/week';
import { InvalidSpecError, parseSpec } from '../pipeline/schema';
import type { PipelineSpec, RunPlan } from '../pipeline/types';
import { storageFor } from '../storage';
import { discoverDatasets } from './discover';

/** Resolves `relative` under the data root, refusing anything that lands outside it (common/paths.ts). */
const insideRoot = (root: string, relative: string, what: string, setting: string) =>
  inside(root, relative, 'data root', { what, setting });

/**
 * `week`: given for this run; `defaultWeek`: used when neither the run nor the spec names one.
 * Any client may start a run, so every input that becomes a path or a date is checked here:
 * the week (as the spec checks its own), dataset names, and the run's id (`workflowId`), which
 * names its folder under <output root>/.runs.
 */
export async function prepareRun(
  input: { spec: unknown; week?: string; defaultWeek: string },
  workflowId?: string,
): Promise<RunPlan> {
  if (input.week !== undefined) checkWeekInput(input.week, 'week');
  checkWeekInput(input.defaultWeek, 'defaultWeek');
  if (workflowId !== undefined) checkRunId(workflowId);
  let spec: PipelineSpec;
  try {
    spec = parseSpec(input.spec);
  } catch (err) {
    if (err instanceof InvalidSpecError) throw ApplicationFailure.nonRetryable(err.message, 'InvalidSpec');
    throw err;
  }
  const week = input.week ?? spec.week ?? input.defaultWeek;
  // A local folder or an object-storage prefix (`s3://bucket/prefix`): paths below are built the same way.
  const root = resolveLocation(spec.dataRoot);
  // Listed entries are checked against the root first: one outside it is a mistake in the spec.
  const below = (d: string) => {
    const full = insideRoot(root, d, 'Dataset', 'datasets.list');
    return full === root ? '' : full.slice(root.replace(/\/$/, '').length + 1);
  };
  const listed = 'list' in spec.datasets ? { list: spec.datasets.list.map(below) } : spec.datasets;
  const { folders, refused } = await discoverDatasets(root, listed);
  if (folders.length === 0 && refused.length === 0) {
    const how = 'glob' in spec.datasets ? `glob "${spec.datasets.glob}"` : 'list';
    throw ApplicationFailure.nonRetryable(`The dataset ${how} matched no folders under ${root}`, 'NoDatasets');
  }
  const names = folders.map((f) => {
    const origin = { what: 'Dataset name', setting: `the dataset folder ${quoted(f.split(path.sep).join('/'))}` };
    return checkName(path.basename(f), origin, 'rename the folder');
  });
  const all = [...names, ...refused.map((r) => r.dataset)];
  const duplicate = all.find((n, i) => all.indexOf(n) !== i);
  if (duplicate) {
    throw ApplicationFailure.nonRetryable(
      `Two dataset folders are both named "${duplicate}"; names must be unique`,
      'InvalidSpec',
    );
  }
  const datasets = folders.map((folder, i) => {
    const dir = insideRoot(root, folder, 'Dataset', 'datasets');
    return {
      name: names[i] as string,
      dir,
      files: {
        transactions: insideRoot(root, path.join(folder, spec.inputs.transactions), 'Input', 'inputs.transactions'),
        stock: insideRoot(root, path.join(folder, spec.inputs.stock), 'Input', 'inputs.stock'),
      },
    };
  });
  const reference = {
    products: insideRoot(root, spec.reference.products, 'Reference dataset', 'reference.products'),
    substitutes: insideRoot(root, spec.reference.substitutes, 'Reference dataset', 'reference.substitutes'),
  };
  const size = async (file: string) =>
    (
      await storageFor(file)
        .stat(file)
        .catch(() => undefined)
    )?.size ?? 0;
  const bytes = await Promise.all(
    datasets.map(async (d) => (await size(d.files.transactions)) + (await size(d.files.stock))),
  );
  return {
    spec: { ...spec, dataRoot: root, output: { ...spec.output, root: resolveLocation(spec.output.root) } },
    week,
    folders,
    bytes,
    reference,
    ...(refused.length > 0 ? { refused } : {}),
  };
}
