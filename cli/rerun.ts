/**
 * `tributary rerun <workflow-id>`: runs again only the datasets of an earlier weekly load that
 * failed or were late, with the spec and week that run had (read back from Temporal, so it works
 * for scheduled runs and runs started by any client). The new run is followed like `tributary run`.
 */
import { resolveLocation } from '../common/location';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodePayloads } from './htmlReport/decode';
import { parseArgs } from 'node:util';
import {
  ApplicationFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { discoverDatasets } from '../activities/discover';
import { reportDir } from '../common/paths';
import type { RunReport } from '../common/report';
import { checkWeek, InvalidWeekError, lastWeek, SCHEDULED_START } from '../common/week';
// Through the connection module: with TLS or an API key it never starts a local dev server.
import { ensureServer } from '../runtime/connection';
import { workflowUrl, type Settings } from '../runtime/settings';
import { InvalidSpecError, parseSpec } from '../pipeline/schema';
import type { WeeklyLoadInput } from '../workflows/weeklyLoad';
import { connectClient } from './client';
import { InvalidFlagError, runSpec } from './run';
import { wholeReport } from './runReport';

type Log = (line: string) => void;

/** Statuses worth another try; 'late' data may have arrived since. Strings, as the status list grows. */
const RERUN_STATUSES: readonly string[] = ['failed', 'late'];

class Refused extends Error {}

export async function rerun(settings: Settings, argv: string[], log: Log): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'include-cancelled': { type: 'boolean' },
      detach: { type: 'boolean' },
      'workflow-id': { type: 'string' },
    },
  });
  const id = positionals[0];
  if (!id) {
    log('Usage: tributary rerun <workflow-id> [--include-cancelled] [--detach] [--workflow-id ID]');
    return 2;
  }
  const statuses = values['include-cancelled'] ? [...RERUN_STATUSES, 'cancelled'] : RERUN_STATUSES;
  let plan: { spec: Record<string, unknown>; week: string; workflowId: string } | undefined;
  try {
    await ensureServer(settings, log);
    const { client, close } = await connectClient(settings);
    try {
      plan = await planRerun(client, settings, id, statuses, values['workflow-id'], log);
    } finally {
      await close();
    }
    if (!plan) return 0;
    return await runSpec(
      settings,
      plan.spec,
      // The week's snapshot keeps the datasets this rerun does not run again.
      { week: plan.week, workflowId: plan.workflowId, detach: values.detach, keepOtherDatasets: true },
      log,
    );
  } catch (err) {
    if (err instanceof Refused) {
      log(err.message);
      return 2;
    }
    if (err instanceof InvalidSpecError) {
      log(
        `The spec of ${id} does not validate any more:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\nNothing was started.`,
      );
      return 2;
    }
    if (err instanceof InvalidWeekError || err instanceof InvalidFlagError) {
      log(`Cannot re-run ${id}: ${err.message}\nNothing was started.`);
      return 2;
    }
    throw err;
  }
}

/** The spec for the new run, or undefined when there is nothing to re-run. */
async function planRerun(
  client: Client,
  settings: Settings,
  id: string,
  statuses: readonly string[],
  chosenId: string | undefined,
  log: Log,
) {
  const handle = client.workflow.getHandle(id);
  const described = await handle.describe().catch((err: unknown) => {
    if (err instanceof WorkflowNotFoundError) throw new Refused(`No run ${id} in namespace ${settings.namespace}.`);
    throw err;
  });
  if (described.type !== 'weeklyLoad') throw new Refused(`${id} is a ${described.type} run, not a weekly load.`);
  if (described.status.name === 'RUNNING') {
    throw new Refused(
      `${id} is still running; re-run it once it has finished.\nWatch it: ${workflowUrl(settings, id)}`,
    );
  }
  const input = await originalInput(client, settings, id, described.runId);
  const spec = input.spec as Record<string, unknown>;
  const parsed = parseSpec(spec);
  const report = await earlierReport(client, id, described, input, parsed);

  const chosen = report.datasets.filter((d) => statuses.includes(d.status));
  const tally = new Map<string, number>();
  for (const d of report.datasets) tally.set(d.status, (tally.get(d.status) ?? 0) + 1);
  const counts = [...tally].map(([status, n]) => `${n} ${status}`);
  if (chosen.length === 0) {
    const cancelled = report.datasets.some((d) => d.status === 'cancelled') && !statuses.includes('cancelled');
    log(
      `Nothing to re-run: no dataset of ${id} (week of ${report.week}) ${statuses.join(' or ')} (${counts.join(', ')}).`,
    );
    if (cancelled) log('Some were cancelled; re-run those too with --include-cancelled.');
    return undefined;
  }
  const folders = await datasetFolders(
    parsed.dataRoot,
    parsed.datasets,
    chosen.map((d) => d.dataset),
  );
  const leftOut = report.datasets.filter((d) => d.status === 'cancelled' && !statuses.includes('cancelled')).length;
  if (leftOut > 0) log(`${leftOut} cancelled dataset(s) are not re-run; add --include-cancelled to re-run them too.`);
  log(`Re-running ${chosen.length} of ${report.datasets.length} datasets of ${id} (week of ${report.week}):`);
  for (const d of chosen) log(`  ${d.dataset}: ${d.status}${d.error ? ` (${d.error.type}: ${d.error.message})` : ''}`);
  return {
    spec: { ...spec, datasets: { list: folders } },
    week: report.week,
    workflowId: chosenId ?? (await nextRerunId(client, id)),
  };
}

/** The `{spec, week}` the run was started with: the first event of its history. */
async function originalInput(client: Client, settings: Settings, id: string, runId: string): Promise<WeeklyLoadInput> {
  const response = await client.workflowService.getWorkflowExecutionHistory({
    namespace: settings.namespace,
    execution: { workflowId: id, runId },
    maximumPageSize: 1,
  });
  const payload = response.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Refused(`The history of ${id} does not start with its input.`);
  const [decoded] = await decodePayloads(client, [payload]); // encrypted when the codec is on
  return client.options.loadedDataConverter.payloadConverter.fromPayload<WeeklyLoadInput>(decoded!);
}

/**
 * The run's report: its result when it completed, the failure's details when it stopped on
 * failFast (with the file they name for the datasets of a run too large to return them), else the
 * report file it wrote before it ended (cancelled runs write one too).
 */
async function earlierReport(
  client: Client,
  id: string,
  described: WorkflowExecutionDescription,
  input: WeeklyLoadInput,
  parsed: ReturnType<typeof parseSpec>,
): Promise<RunReport> {
  const handle = client.workflow.getHandle(id, described.runId);
  if (described.status.name === 'COMPLETED') return wholeReport((await handle.result()) as RunReport);
  if (described.status.name === 'FAILED') {
    const carried = await handle.result().then(
      () => undefined,
      (err: unknown) => {
        const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
        return cause instanceof ApplicationFailure && cause.type === 'RunFailed'
          ? (cause.details?.[0] as RunReport | undefined)
          : undefined;
      },
    );
    if (carried) return wholeReport(carried);
  }
  // The week as the workflow chose it: given, else the spec's, else the week before its (scheduled) start.
  const when = described.typedSearchAttributes.get(SCHEDULED_START) ?? described.startTime;
  // A run started by another client may carry any week: it names a folder here, so check it first.
  const week = checkWeek('week', input.week ?? parsed.week ?? lastWeek(when));
  const file = path.join(reportDir(parsed.output.root, week), '_report.json');
  const report = (await readFile(file, 'utf8').then(JSON.parse, () => undefined)) as RunReport | undefined;
  if (report?.workflowId !== id) {
    throw new Refused(
      `${id} ended ${described.status.name} without a report of its own (${file} ${report ? `is from ${report.workflowId}` : 'is missing'}).\n` +
        `Run the whole week again: tributary run <spec.json> --week ${week}`,
    );
  }
  return report;
}

/**
 * Dataset folders (relative to dataRoot) of the named datasets. A dataset's name is its folder's
 * (or link's) basename, so the original glob or list, discovered again as the run does, leads back
 * to the folders. A folder the run refused (a link outside the data root, a loop) is named too: the
 * new run checks it again, and reports it again unless it was fixed.
 */
async function datasetFolders(
  dataRoot: string,
  datasets: { glob: string } | { list: string[] },
  names: string[],
): Promise<string[]> {
  const root = resolveLocation(dataRoot);
  const found = await discoverDatasets(root, datasets);
  const all = [...found.folders, ...found.refused.map((r) => r.folder)];
  const folders = all.filter((f) => names.includes(path.basename(f)));
  const missing = names.filter((n) => !folders.some((f) => path.basename(f) === n));
  if (missing.length > 0)
    throw new Refused(`No folder under ${root} for dataset(s) ${missing.join(', ')} any more; nothing was started.`);
  return folders;
}

/** `<id>-rerun-<n>`, counting from the original run, so re-runs of re-runs stay readable. */
async function nextRerunId(client: Client, id: string): Promise<string> {
  const base = id.replace(/-rerun-\d+$/, '');
  for (let n = 1; ; n++) {
    const candidate = `${base}-rerun-${n}`;
    const exists = await client.workflow
      .getHandle(candidate)
      .describe()
      .then(
        () => true,
        (err: unknown) => (err instanceof WorkflowNotFoundError ? false : Promise.reject(err)),
      );
    if (!exists) return candidate;
  }
}
