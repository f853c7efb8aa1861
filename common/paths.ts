/**
 * Every path built from a run's inputs (weeks, dataset names, output templates, workflow ids, spec
 * entries) is built here, and each builder proves its result stays inside its root, or throws a
 * non-retryable failure naming the value, the setting it came from and the root. Activities, the
 * CLI and the report writer build paths only through these functions. Pure: `path` and strings.
 */
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { stagingName } from './journey';
import { namesBelow, OBJECT_URL, resolveLocation } from './location';
import { quoted, weekProblem } from './week';

export type RootName = 'data root' | 'output root';
const OUTSIDE: Record<RootName, string> = {
  'data root': 'PathOutsideDataRoot',
  'output root': 'PathOutsideOutputRoot',
};

/** What a value is and the setting it came from, for messages: `Dataset "x" (from datasets.list)`. */
export interface Origin {
  what: string;
  setting: string;
}

/**
 * `relative` resolved under `root` (absolute values must already be inside it); throws when it lands
 * outside. `root` may be an object-storage location (`s3://bucket/prefix`): keys are '/'-paths there.
 */
export function inside(root: string, relative: string, rootName: RootName, origin: Origin): string {
  const object = OBJECT_URL.exec(root);
  const paths = object ? path.posix : path;
  let base: string;
  let target = relative;
  if (object) {
    base = path.posix.resolve('/', object[2] ?? '/');
    const other = OBJECT_URL.exec(relative);
    // Another bucket is outside whatever the key says.
    if (other) target = other[1] === object[1] ? path.posix.resolve('/', other[2] ?? '/') : '/..';
  } else base = path.resolve(root);
  const resolved = paths.resolve(base, target);
  const rel = paths.relative(base, resolved);
  if (rel === '..' || rel.startsWith(`..${paths.sep}`) || paths.isAbsolute(rel) || target === '/..') {
    const shown = object ? `${object[1]}${base === '/' ? '' : base}` : base;
    throw ApplicationFailure.nonRetryable(
      `${origin.what} ${quoted(relative)} is outside the ${rootName} ${shown} (from ${origin.setting})`,
      OUTSIDE[rootName],
    );
  }
  return object ? `${object[1]}${resolved}` : resolved;
}

/** What keeps `name` from being one folder or file name, or undefined. */
export function nameProblem(name: string): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'is not a name';
  if (/[/\\]/.test(name)) return 'holds a path separator';
  // A control character in a file name is what this looks for.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'holds a control character';
  return undefined;
}

/** `name` if it can be one folder or file name; else a non-retryable InvalidName naming it and its origin. */
export function checkName(name: string, origin: Origin, fix: string): string {
  const problem = nameProblem(name);
  if (problem) {
    const message = `${origin.what} ${quoted(name)} (from ${origin.setting}) ${problem}: ${fix}`;
    throw ApplicationFailure.nonRetryable(message, 'InvalidName');
  }
  return name;
}

/** `week` if it is a Monday's date; else a non-retryable InvalidSpec in the spec's words. */
export function checkWeekInput(week: string, setting = 'week'): string {
  const problem = weekProblem(week);
  if (problem) throw ApplicationFailure.nonRetryable(`Invalid run input: ${setting} ${problem}`, 'InvalidSpec');
  return week;
}

const datasetName = (name: string) =>
  checkName(name, { what: 'Dataset name', setting: 'the dataset folder' }, 'rename the folder');

export interface OutputVars {
  week: string;
  dataset: string;
  table: string;
}

/** The file of one output table: the template under the output root, with {week}, {dataset}, {table} filled in. */
export function outputFile(output: { root: string; path: string }, vars: OutputVars): string {
  checkWeekInput(vars.week);
  datasetName(vars.dataset);
  checkName(vars.table, { what: 'Table', setting: 'the metric' }, 'a metric must name its tables plainly');
  const relative = output.path.replace(/\{(week|dataset|table)\}/g, (_, key: keyof OutputVars) => vars[key]);
  const origin = { what: 'Output path', setting: `output.path ${quoted(output.path)}` };
  return inside(output.root, relative, 'output root', origin);
}

/**
 * The file one run writes for one output table: the template's file, in a folder of that run's own,
 * `<template's folder>/run-<run id>/<template's file name>`. A run never writes over a file another
 * run (or the week's committed snapshot) may be reading; the week's manifest says which is current.
 */
export function versionedOutputFile(output: { root: string; path: string }, vars: OutputVars, runId: string): string {
  const file = outputFile(output, vars);
  const origin = { what: 'Run folder', setting: `run id ${quoted(runId)}` };
  const version = checkName(`run-${runId}`, origin, 'this is a bug');
  // Joined as text: the file may be an object-storage location (s3://…), which path.join would mangle.
  return `${path.dirname(file)}/${version}/${path.basename(file)}`;
}

/** `<output root>/<week>/_manifests`: the week's committed snapshots, one file per generation. */
export function manifestDir(outputRoot: string, week: string): string {
  const relative = path.join(checkWeekInput(week), '_manifests');
  return inside(outputRoot, relative, 'output root', { what: 'Manifest folder', setting: 'week' });
}

/** `<output root>/.pending/<week>`: what published files await a commit (activities/commit.ts). */
export function pendingDir(outputRoot: string, week: string): string {
  const relative = path.join('.pending', checkWeekInput(week));
  return inside(outputRoot, relative, 'output root', { what: 'Pending folder', setting: 'week' });
}

/** `<output root>/<week>`: where a week's report files go. */
export function reportDir(outputRoot: string, week: string): string {
  return inside(outputRoot, checkWeekInput(week), 'output root', { what: 'Report folder', setting: 'week' });
}

/** The folder a run's work areas use for its workflow id, as workflows/weeklyLoad.ts writes it. */
export function runDirName(workflowId: string): string {
  return workflowId.replace(/[^\w.-]/g, '_');
}

/** A run's folder for its workflow id is a name of its own (never "." or ".."); else InvalidName. */
export function checkRunId(workflowId: string): string {
  const origin = { what: 'Run folder', setting: `workflow id ${quoted(workflowId)}` };
  return checkName(runDirName(workflowId), origin, 'start the run with another workflow id');
}

/** `<output root>/.staging/<dataset>-<run id>`: one dataset's staging folder. */
export function stagingDir(outputRoot: string, dataset: string, runId: string): string {
  const origin = { what: 'Staging folder', setting: 'dataset and run id' };
  const name = checkName(stagingName(datasetName(dataset), runId), origin, 'this is a bug');
  return inside(outputRoot, path.join('.staging', name), 'output root', origin);
}

/**
 * Checks a work folder a workflow names `<output root>/<area>/<name>` (a staging folder, a run's
 * folder): one plain name directly under `area`, no "." or ".." anywhere, so it cannot stand for
 * the output root or anything above it; and inside `outputRoot` when that is known.
 */
export function checkWorkDir(dir: string, area: '.staging' | '.runs', outputRoot?: string): string {
  const parts = dir.split(/[/\\]/);
  const name = parts[parts.length - 1] ?? '';
  const outside = () =>
    ApplicationFailure.nonRetryable(
      `Work folder ${quoted(dir)} is not a folder directly under <output root>/${area}`,
      OUTSIDE['output root'],
    );
  const dotted = parts.includes('..') || parts.includes('.');
  if (parts[parts.length - 2] !== area || dotted || nameProblem(name)) throw outside();
  if (outputRoot !== undefined) {
    const resolved = inside(outputRoot, dir, 'output root', { what: 'Work folder', setting: area });
    if (path.dirname(resolved) !== `${resolveLocation(outputRoot)}/${area}`) throw outside();
  }
  return dir;
}

/** `file` if it lies inside folder `dir` (a staged table inside its staging folder); else PathOutsideOutputRoot. */
export function checkInsideDir(dir: string, file: string, what: string): string {
  if (!namesBelow(resolveLocation(dir), resolveLocation(file))) {
    const message = `${what} ${quoted(file)} is outside its folder ${dir}`;
    throw ApplicationFailure.nonRetryable(message, OUTSIDE['output root']);
  }
  return file;
}
