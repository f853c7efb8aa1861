/**
 * `tributary doctor [spec.json]`: checks, in order, what a run needs (the Temporal CLI, the server,
 * the namespace, a worker; with a spec: the spec, its data, room for outputs) and prints one line
 * per check with what to do about a problem. It only looks: it starts and builds nothing.
 * Exit code 0 when every check is ok, 1 otherwise.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { discoverDatasets } from '../activities/discover';
import { formatBytes } from '../common/bytes';
import { connectionProblem, isSecured } from '../runtime/connection';
import type { Settings } from '../runtime/settings';
import { findTemporalCli, TemporalCliNotFound } from '../runtime/temporalCli';
import { InvalidSpecError, parseSpec } from '../pipeline/schema';
import type { PipelineSpec } from '../pipeline/types';
import { connectClient, hasPollers } from './client';
import { loadSpecFile } from './run';

export type CheckStatus = 'ok' | 'problem' | 'skipped';
export interface Check {
  name: string;
  status: CheckStatus;
  detail: string;
}

const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]', '::1'];
const isLocal = (address: string) => LOCAL_HOSTS.includes(address.slice(0, address.lastIndexOf(':')) || address);
/** Below this much free space at the output root, a run is likely to fail while writing. */
export const MIN_FREE_BYTES = 1024 ** 3;

const ok = (name: string, detail: string): Check => ({ name, status: 'ok', detail });
const problem = (name: string, detail: string): Check => ({ name, status: 'problem', detail });
const skipped = (name: string, why: string): Check => ({ name, status: 'skipped', detail: why });

async function cliCheck(settings: Settings): Promise<Check> {
  const name = 'Temporal CLI';
  try {
    const found = await findTemporalCli();
    if (found) return ok(name, found);
  } catch (err) {
    if (err instanceof TemporalCliNotFound) return problem(name, err.message);
    throw err;
  }
  const go = await promisify(execFile)('go', ['version'], { timeout: 20_000 }).then(
    () => true,
    () => false,
  );
  if (go)
    return ok(
      name,
      'not built yet; the first command that needs it builds it with Go (about 3 min), or run `npx tributary ensure-cli` now',
    );
  // Only a local dev server needs the CLI; a remote server does not.
  if (!isLocal(settings.address)) return ok(name, `not installed (not needed for the server at ${settings.address})`);
  return problem(
    name,
    'not found, and Go is not installed to build it: install the Temporal CLI and put it on PATH, set TEMPORAL_CLI_PATH, or install Go',
  );
}

function serverProblem(settings: Settings): Check {
  return problem(
    'Temporal server',
    isLocal(settings.address)
      ? `nothing answers at ${settings.address}: start it with \`npx tributary server\` (or \`npm start\`, which starts one in the background)`
      : `nothing answers at ${settings.address}: check TEMPORAL_ADDRESS, and that the server is up and reachable from here`,
  );
}

async function namespaceCheck(client: Client, settings: Settings): Promise<Check> {
  const name = `namespace "${settings.namespace}"`;
  try {
    await client.workflowService.describeNamespace({ namespace: settings.namespace });
    return ok(name, 'exists');
  } catch (err) {
    if ((err as { code?: number }).code === 5 /* NOT_FOUND */) {
      return problem(
        name,
        `does not exist: create it (\`temporal operator namespace create --namespace ${settings.namespace} --address ${settings.address}\`) or set TEMPORAL_NAMESPACE to one that exists`,
      );
    }
    return problem(name, `could not be described: ${(err as Error).message}`);
  }
}

/** Like hasPollers, for activity task queues a spec's stages name (workers serving them may differ). */
async function activityPollers(client: Client, settings: Settings, queue: string): Promise<boolean> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: settings.namespace,
    taskQueue: { name: queue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (response.pollers ?? []).some((p) => Date.now() - Number(p.lastAccessTime?.seconds ?? 0) * 1000 < 75_000);
}

async function workerCheck(client: Client, settings: Settings): Promise<Check> {
  const name = `workers on "${settings.taskQueue}"`;
  if (await hasPollers(client, settings)) return ok(name, 'a worker polled the task queue within the last 75 s');
  return problem(
    name,
    'no worker polled the task queue within the last 75 s: start one with `npx tributary worker` (`tributary run` runs one in its own process when none polls, but scheduled runs wait)',
  );
}

/** Stages a spec sends to other task queues need workers there too. */
async function stageQueueChecks(client: Client, settings: Settings, spec: PipelineSpec): Promise<Check[]> {
  const queues = new Set(
    Object.values(spec.stages).flatMap((p) => (p.taskQueue && p.taskQueue !== settings.taskQueue ? [p.taskQueue] : [])),
  );
  const checks: Check[] = [];
  for (const queue of queues) {
    checks.push(
      (await activityPollers(client, settings, queue))
        ? ok(`workers on "${queue}"`, 'a worker polls this stage task queue')
        : problem(
            `workers on "${queue}"`,
            `a stage of the spec runs on this task queue and no worker polls it: start one with TRIBUTARY_TASK_QUEUE=${queue} npx tributary worker`,
          ),
    );
  }
  return checks;
}

async function readable(p: string, kind: 'dir' | 'file'): Promise<string | undefined> {
  const info = await stat(p).catch(() => undefined);
  if (!info) return 'does not exist';
  if (kind === 'dir' ? !info.isDirectory() : !info.isFile()) return `is not a ${kind === 'dir' ? 'folder' : 'file'}`;
  return access(p, constants.R_OK | (kind === 'dir' ? constants.X_OK : 0)).then(
    () => undefined,
    () => 'is not readable',
  );
}

/** The spec's data: root, datasets (with their input files), reference files. Returns the inputs' size too. */
async function dataChecks(spec: PipelineSpec): Promise<{ checks: Check[]; inputBytes: number }> {
  const root = path.resolve(spec.dataRoot);
  const rootProblem = await readable(root, 'dir');
  if (rootProblem) {
    return {
      checks: [
        problem(
          'data root',
          `${root} ${rootProblem}: fix dataRoot in the spec (a relative path is taken from the spec's folder), or generate sample data there: npx tributary datagen --out ${root}`,
        ),
        skipped('datasets', 'needs the data root'),
        skipped('reference data', 'needs the data root'),
      ],
      inputBytes: 0,
    };
  }
  const checks = [ok('data root', root)];
  // The run's own discovery, so the counts here are the run's.
  const { folders, refused } = await discoverDatasets(root, spec.datasets);
  const missing: string[] = [];
  let inputBytes = 0;
  for (const folder of folders) {
    for (const file of [spec.inputs.transactions, spec.inputs.stock]) {
      const info = await stat(path.join(root, folder, file)).catch(() => undefined);
      if (info?.isFile()) inputBytes += info.size;
      else missing.push(path.join(folder, file));
    }
  }
  const what = 'glob' in spec.datasets ? `glob "${spec.datasets.glob}"` : 'list';
  const refusals =
    refused.length === 0
      ? ''
      : `; ${refused.length} refused, each reported as a failed dataset: ` +
        refused.map((r) => `${r.type}: ${r.message}`).join('; ');
  if (folders.length === 0 && refused.length === 0) {
    checks.push(
      problem(
        'datasets',
        `the ${what} matches no folder under ${root}: fix datasets in the spec, or check the data landed`,
      ),
    );
  } else if (missing.length > 0 && !spec.availability) {
    checks.push(
      problem(
        'datasets',
        `${folders.length} found, but ${missing.length} input file(s) missing (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}): those datasets would fail; add the files, or an availability rule to wait for them` +
          refusals,
      ),
    );
  } else {
    const waiting =
      missing.length > 0
        ? `; ${missing.length} input file(s) not there yet, which the availability rule waits for`
        : '';
    const detail = `${folders.length} found (${formatBytes(inputBytes)} of input)${waiting}${refusals}`;
    checks.push(refused.length > 0 ? problem('datasets', detail) : ok('datasets', detail));
  }
  const refs = await Promise.all(
    Object.values(spec.reference).map(async (f) => [f, await readable(path.resolve(root, f), 'file')] as const),
  );
  const bad = refs.filter(([, p]) => p);
  checks.push(
    bad.length
      ? problem(
          'reference data',
          `${bad.map(([f, p]) => `${path.resolve(root, f)} ${p}`).join('; ')}: fix reference in the spec`,
        )
      : ok('reference data', refs.map(([f]) => f).join(', ')),
  );
  return { checks, inputBytes };
}

/** Free space where outputs go (the output root, or the nearest folder above it that exists yet). */
async function diskCheck(spec: PipelineSpec, inputBytes: number): Promise<Check> {
  let dir = path.resolve(spec.output.root);
  while (
    !(await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    )) &&
    path.dirname(dir) !== dir
  )
    dir = path.dirname(dir);
  const writable = await access(dir, constants.W_OK).then(
    () => true,
    () => false,
  );
  if (!writable)
    return problem('output root', `${dir} is not writable: fix output.root in the spec, or the folder's permissions`);
  const fs = await statfs(dir);
  const free = Number(fs.bavail) * Number(fs.bsize);
  // Staging holds a dataset's outputs next to the published ones; inputs' size bounds them generously.
  const needed = Math.max(MIN_FREE_BYTES, inputBytes);
  const detail = `${formatBytes(free)} free at ${dir}`;
  if (free < needed)
    return problem(
      'output root',
      `only ${detail}, want at least ${formatBytes(needed)}: free some space, or point output.root at a bigger disk`,
    );
  return ok('output root', detail);
}

async function specChecks(file: string, client: Client | undefined, settings: Settings): Promise<Check[]> {
  let spec: PipelineSpec;
  try {
    spec = parseSpec(await loadSpecFile(file));
  } catch (err) {
    if (!(err instanceof InvalidSpecError)) throw err;
    return [problem('spec', `${file} is not valid: ${err.problems.join('; ')}`)];
  }
  const data = await dataChecks(spec);
  const stageQueues = client ? await stageQueueChecks(client, settings, spec) : [];
  return [
    ok('spec', `${file}: pipeline "${spec.name}"`),
    ...stageQueues,
    ...data.checks,
    await diskCheck(spec, data.inputBytes),
  ];
}

export async function runChecks(settings: Settings, specFile?: string): Promise<Check[]> {
  const checks = [await cliCheck(settings)];
  const why = await connectionProblem(settings, 3_000);
  if (why !== undefined) {
    // With TLS or an API key, the cause (certificate, CA, key) is the thing to fix.
    checks.push(
      isSecured(settings) ? problem('Temporal server', why) : serverProblem(settings),
      skipped(`namespace "${settings.namespace}"`, 'needs the server'),
      skipped(`workers on "${settings.taskQueue}"`, 'needs the server'),
    );
    if (specFile) checks.push(...(await specChecks(specFile, undefined, settings)));
    return checks;
  }
  checks.push(ok('Temporal server', `answers at ${settings.address}`));
  const { client, close } = await connectClient(settings);
  try {
    const namespace = await namespaceCheck(client, settings);
    checks.push(namespace);
    if (namespace.status !== 'ok') checks.push(skipped(`workers on "${settings.taskQueue}"`, 'needs the namespace'));
    else checks.push(await workerCheck(client, settings));
    if (specFile)
      checks.push(...(await specChecks(specFile, namespace.status === 'ok' ? client : undefined, settings)));
  } finally {
    await close();
  }
  return checks;
}

export function formatChecks(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.map((c) => `${c.status.padEnd(8)}${c.name.padEnd(width + 2)}${c.detail}`);
  const problems = checks.filter((c) => c.status === 'problem').length;
  lines.push(
    problems === 0
      ? `\nAll ${checks.length} checks ok.`
      : `\n${problems} problem${problems === 1 ? '' : 's'}; fix the first one first, later checks may depend on it.`,
  );
  return lines.join('\n');
}

export async function doctor(settings: Settings, argv: string[], log: (line: string) => void): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals.length > 1) {
    log('Usage: tributary doctor [spec.json]');
    return 2;
  }
  const checks = await runChecks(settings, positionals[0]);
  process.stdout.write(`${formatChecks(checks)}\n`);
  return checks.every((c) => c.status === 'ok') ? 0 : 1;
}
