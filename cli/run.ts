/**
 * `tributary run <spec>`: validates the spec before anything starts, starts a `weeklyLoad` run,
 * shows its progress from the `progress` query, and prints the report and the Web UI link.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle } from '@temporalio/client';
import { nameProblem, runDirName } from '../common/paths';
import type { RunReport } from '../common/report';
import { renderMarkdown } from '../common/report';
import { checkWeek, InvalidWeekError, lastWeek, quoted } from '../common/week';
// Through the connection module: with TLS or an API key it never starts a local dev server.
import { ensureServer } from '../runtime/connection';
import { workflowUrl, type Settings } from '../runtime/settings';
import { InvalidSpecError, parseSpec } from '../pipeline/schema';
import { isObjectStorage } from '../storage';
import type { weeklyLoad } from '../workflows';
import { isCancelledRun } from './cancel';
import { connectClient, hostWorker, withWorker } from './client';
import { assertSpecFits, inRun } from './failure';
import { followRun } from './follow';
import { writeRunPage } from './htmlReport/load';
import { resumeNotice, runningRun } from './resume';

/** Reads a spec file; relative dataRoot and output.root are taken from the spec file's folder. */
export async function loadSpecFile(file: string): Promise<Record<string, unknown>> {
  let spec: Record<string, unknown>;
  try {
    spec = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    throw new InvalidSpecError([`not readable as JSON: ${(err as Error).message}`]);
  }
  const base = path.dirname(path.resolve(file));
  // An object-storage root (`s3://bucket/prefix`) is taken as it is.
  if (typeof spec.dataRoot === 'string' && !isObjectStorage(spec.dataRoot))
    spec.dataRoot = path.resolve(base, spec.dataRoot);
  const output = spec.output as { root?: unknown } | undefined;
  if (output && typeof output.root === 'string') spec.output = { ...output, root: path.resolve(base, output.root) };
  return spec;
}

/** Most datasets for which `run` writes the timeline page by itself. */
const PAGE_LIMIT = 500;

export interface RunOptions {
  week?: string;
  detach?: boolean;
  workflowId?: string;
  /** Recompute datasets whose inputs did not change. */
  force?: boolean;
  /** The week's snapshot keeps the datasets this run does not produce (a rerun). */
  keepOtherDatasets?: boolean;
}

/** A flag refused before anything starts; the message names the flag and what to do. */
export class InvalidFlagError extends Error {}

/** A workflow id names the run's folder under <output root>/.runs: "." and ".." cannot. */
function checkWorkflowId(id: string): string {
  if (nameProblem(runDirName(id))) {
    throw new InvalidFlagError(`--workflow-id ${quoted(id)} cannot name the run's folder: choose another id`);
  }
  return id;
}

/**
 * Validates the spec, the week and the workflow id, then starts the run (and follows it unless
 * detached). Throws InvalidSpecError, InvalidWeekError or InvalidFlagError before anything starts.
 */
export async function runSpec(
  settings: Settings,
  spec: Record<string, unknown>,
  options: RunOptions,
  log: (l: string) => void,
): Promise<number> {
  const parsed = parseSpec(spec); // throws InvalidSpecError listing every problem: nothing has started
  assertSpecFits(spec); // a spec over Temporal's payload limit would be refused at start
  // One run per pipeline and week at a time: the id is the pipeline and the week, and Temporal
  // refuses a second run with the id of a running one, so two runs never write the same outputs.
  const week = options.week !== undefined ? checkWeek('week', options.week) : (parsed.week ?? lastWeek(new Date()));
  const workflowId = checkWorkflowId(options.workflowId ?? `${parsed.name}-${week}`);
  await ensureServer(settings, log);
  const { client, close } = await connectClient(settings);
  try {
    let handle: WorkflowHandle<typeof weeklyLoad>;
    try {
      handle = await client.workflow.start<typeof weeklyLoad>('weeklyLoad', {
        taskQueue: settings.taskQueue,
        workflowId,
        args: [
          {
            spec,
            week,
            ...(options.force ? { force: true } : {}),
            ...(options.keepOtherDatasets ? { keepOtherDatasets: true } : {}),
          },
        ],
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      const running = await runningRun(client, settings, workflowId);
      if (running.served || options.detach) {
        const unserved = running.served
          ? ''
          : `\nNo worker polls task queue "${running.taskQueue}": start \`tributary worker\`, or run without --detach to host one.`;
        log(
          `A run of ${parsed.name} for the week of ${week} is already running: ${workflowId}\n` +
            `Watch it: ${workflowUrl(settings, workflowId)}\n` +
            `Wait for it to finish, or cancel it: temporal workflow cancel --workflow-id ${workflowId}${unserved}`,
        );
        return 2;
      }
      // Nothing serves it (its `run` was killed, say): host its worker here and follow it to the end.
      log(`${resumeNotice(running)}\nWatch it: ${workflowUrl(settings, workflowId)}`);
      try {
        const follow = () => followRun(running.handle, settings.address, log);
        return await finish(await hostWorker(settings, running.taskQueue, follow));
      } catch (err) {
        if (!isCancelledRun(err)) return inRun(workflowId, workflowUrl(settings, workflowId))(err);
        log(`Cancelled ${workflowId}: ${err.cause?.message}`);
        return 1;
      }
    }
    const url = workflowUrl(settings, workflowId);
    if (options.detach) {
      process.stdout.write(`${workflowId}\n`);
      log(`Started. Watch it: ${url}\nProgress: temporal workflow query --workflow-id ${workflowId} --type progress`);
      return 0;
    }
    log(`Started ${workflowId}\nWatch it: ${url}`);
    const follow = () => followRun(handle, settings.address, log);
    // A failure is explained with the run's id and page.
    return await finish(await withWorker(client, settings, log, handle, follow).catch(inRun(workflowId, url)));
  } finally {
    await close();
  }

  /** Prints the report and writes the run's page; the exit code. */
  async function finish(report: RunReport): Promise<number> {
    const url = workflowUrl(settings, report.workflowId);
    process.stdout.write(`\n${renderMarkdown(report)}\n`);
    // The run's page (timeline, attempts, failures) next to _report.md; failing to write it costs only the page.
    // Above PAGE_LIMIT datasets the page (one history fetched per dataset) is left to `tributary report`.
    const page =
      report.totals.datasets > PAGE_LIMIT
        ? log(`${report.totals.datasets} datasets: for the timeline page, run tributary report ${report.workflowId}`)
        : await writeRunPage(client, settings, report.workflowId).then(
            (p) => p.file,
            (err: unknown) => log(`No HTML report: ${(err as Error).message}`),
          );
    log(`Report: ${report.files?.markdown}${page ? `\nTimeline: ${page}` : ''}\nWeb UI: ${url}`);
    return report.status === 'succeeded' ? 0 : 1;
  }
}

/** `tributary run`'s flags (the usage line below lists them). */
const RUN_OPTIONS = {
  week: { type: 'string' },
  detach: { type: 'boolean' },
  'workflow-id': { type: 'string' },
  force: { type: 'boolean' },
} as const;

export async function run(settings: Settings, argv: string[], log: (l: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: RUN_OPTIONS });
  const file = positionals[0];
  if (!file) {
    log('Usage: tributary run <spec.json> [--week YYYY-MM-DD] [--detach] [--workflow-id ID] [--force]');
    return 2;
  }
  try {
    // The flag first, in its own name: it becomes an output folder and the week's date filter.
    if (values.week !== undefined) checkWeek('--week', values.week);
    const spec = await loadSpecFile(file);
    return await runSpec(
      settings,
      spec,
      { week: values.week, detach: values.detach, workflowId: values['workflow-id'], force: values.force },
      log,
    );
  } catch (err) {
    if (err instanceof InvalidSpecError) {
      log(`Invalid pipeline spec ${file}:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\nNothing was started.`);
      return 2;
    }
    if (err instanceof InvalidWeekError || err instanceof InvalidFlagError) {
      log(`${err.message}\nNothing was started.`);
      return 2;
    }
    throw err;
  }
}
