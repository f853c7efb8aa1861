/**
 * `tributary outputs <week>`: the week's committed snapshot (datasets, tables, files, rows, the run
 * and when it committed), read from its manifest: what a downstream job scripts against (`--json`).
 * `--verify` also reads every file back and checks its size and SHA-256. Reads files only: no
 * server needed. `tributary gc` (cli/gc.ts) finds the output root the same way.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { committedPath, currentManifest } from '../activities/commit';
import { isObjectStorage, storageFor } from '../storage';
import type { WeekManifest } from '../common/manifest';
import { checkWeek, InvalidWeekError } from '../common/week';
import type { Settings } from '../runtime/settings';
import { InvalidSpecError, parseSpec } from '../pipeline/schema';
import { loadSpecFile } from './run';

type Log = (line: string) => void;

/** The flags that name the output root, shared by `outputs` and `gc`. */
export const ROOT_FLAGS = { spec: { type: 'string' }, root: { type: 'string' } } as const;

/** The output root: `--root`, else the spec's (`--spec`), else the demo's (`<home>/output`). */
export async function outputRootOf(settings: Settings, values: { root?: string; spec?: string }): Promise<string> {
  if (values.root !== undefined) return isObjectStorage(values.root) ? values.root : path.resolve(values.root);
  if (values.spec !== undefined) return parseSpec(await loadSpecFile(values.spec)).output.root;
  return path.join(settings.home, 'output');
}

/** The manifest with each table's absolute file beside its relative path. */
function withFiles(root: string, manifest: WeekManifest) {
  return {
    ...manifest,
    outputRoot: root,
    datasets: manifest.datasets.map((d) => ({
      ...d,
      tables: d.tables.map((t) => ({ ...t, file: committedPath(root, t.path) })),
    })),
  };
}

/** Each listed file read back: problems found (missing, other size, other hash). */
async function verify(root: string, manifest: WeekManifest): Promise<string[]> {
  const problems: string[] = [];
  for (const d of manifest.datasets) {
    for (const t of d.tables) {
      const file = committedPath(root, t.path);
      const body = await storageFor(file).read(file);
      if (body === undefined) problems.push(`${d.dataset}/${t.table}: ${file} is missing`);
      else if (body.length !== t.bytes)
        problems.push(`${d.dataset}/${t.table}: ${file} has ${body.length} bytes, not ${t.bytes}`);
      else if (createHash('sha256').update(body).digest('hex') !== t.sha256)
        problems.push(`${d.dataset}/${t.table}: ${file} has another hash`);
    }
  }
  return problems;
}

export async function outputs(settings: Settings, argv: string[], log: Log): Promise<number> {
  const usage = 'Usage: tributary outputs <week> [--spec FILE | --root DIR] [--json] [--verify]';
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...ROOT_FLAGS,
      json: { type: 'boolean' },
      verify: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) {
    log(usage);
    return 2;
  }
  let week: string;
  let root: string;
  try {
    week = checkWeek('week', positionals[0]);
    root = await outputRootOf(settings, values);
  } catch (err) {
    if (err instanceof InvalidWeekError) {
      log(`${err.message}\n${usage}`);
      return 2;
    }
    if (err instanceof InvalidSpecError) {
      log(`Invalid pipeline spec ${values.spec}:\n${err.problems.map((p) => `  - ${p}`).join('\n')}`);
      return 2;
    }
    throw err;
  }
  const { manifest, file } = await currentManifest(root, week);
  if (!manifest) {
    log(`No committed snapshot for week ${week} under ${root}: no run of that week has committed one there.`);
    return 1;
  }
  const problems = values.verify ? await verify(root, manifest) : [];
  if (values.json) {
    const verified = values.verify ? { verified: problems.length === 0, problems } : {};
    process.stdout.write(
      `${JSON.stringify({ ...withFiles(root, manifest), manifestFile: file, ...verified }, null, 2)}\n`,
    );
  } else {
    const lines = [
      `Week ${week} under ${root}: generation ${manifest.generation}, committed ${manifest.committedAt} ` +
        `by ${manifest.run.workflowId} (${manifest.run.mode}); manifest ${file}`,
      ...manifest.datasets.flatMap((d) => [
        `${d.dataset}  (run ${d.workflowId})`,
        ...d.tables.map((t) => `  ${t.table}  ${t.rows} rows  ${committedPath(root, t.path)}`),
      ]),
      ...(manifest.notCommitted.length > 0
        ? ['Without new outputs in this snapshot:', ...manifest.notCommitted.map((n) => `  ${n.dataset}: ${n.reason}`)]
        : []),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  if (values.verify) {
    if (problems.length > 0) log(`The snapshot does not read back as committed:\n  ${problems.join('\n  ')}`);
    else log(`Verified: every file of the snapshot has its committed size and SHA-256.`);
  }
  return problems.length > 0 ? 1 : 0;
}
