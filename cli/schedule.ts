/**
 * `tributary schedule <action>`: the weekly load on a Temporal Schedule, built from the spec's
 * `schedule` section. The schedule starts `weeklyLoad` with the spec and no week: the workflow
 * takes the week before the time the run was scheduled for, so catch-ups and backfills process
 * the right week whenever they actually run.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  type CalendarSpecDescription,
  type Client,
  type Range,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOptions,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
// Timestamp conversions (Long seconds) for the one raw service call below.
import { msNumberToTs, tsToDate } from '@temporalio/common';
import { dateProblem, lastWeek, mondayOf } from '../common/week';
// Through the connection module: with TLS or an API key it never starts a local dev server.
import { ensureServer } from '../runtime/connection';
import { workflowUrl, type Settings } from '../runtime/settings';
import { parseSchedule, ScheduleSectionError, type ScheduleSettings } from '../pipeline/schedule';
import { InvalidSpecError, parseSpec } from '../pipeline/schema';
import type { weeklyLoad } from '../workflows';
import { connectClient, hasPollers } from './client';
import { loadSpecFile } from './run';

type Log = (line: string) => void;
type Action = ScheduleOptionsStartWorkflowAction<typeof weeklyLoad>;

const ACTIONS = ['create', 'update', 'describe', 'pause', 'unpause', 'trigger', 'backfill', 'delete'] as const;
const USAGE = `Usage: tributary schedule <${ACTIONS.join('|')}> <spec.json> [--id ID]
  create|update <spec.json> [--id ID] [--cron "0 6 * * MON"] [--paused]
  describe|pause|unpause|trigger|delete <spec.json> | --id ID
  backfill <spec.json> | --id ID  --from YYYY-MM-DD --to YYYY-MM-DD   (weeks of data, inclusive)`;
const DAY_MS = 86_400_000;

export function scheduleUrl(settings: Settings, id: string): string {
  return `${settings.uiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/schedules/${encodeURIComponent(id)}`;
}

/** The spec file, validated as `tributary run` validates it, and the schedule built from it. */
async function scheduleFromFile(
  settings: Settings,
  file: string,
  flags: { id?: string; cron?: string; paused?: boolean },
) {
  const spec = await loadSpecFile(file);
  const parsed = parseSpec(spec); // every problem, schedule section included, by path
  let section = spec.schedule as Record<string, unknown> | undefined;
  if (flags.cron !== undefined) section = { ...section, calendar: undefined, cron: flags.cron };
  let when: ScheduleSettings;
  try {
    when = parseSchedule(section);
  } catch (err) {
    if (err instanceof ScheduleSectionError)
      throw new InvalidSpecError(err.problems.map((p) => p.replace(/^schedule\.cron/, '--cron')));
    throw err;
  }
  const id = flags.id ?? parsed.name;
  const options: ScheduleOptions<Action> = {
    scheduleId: id,
    spec: {
      ...(when.cron !== undefined ? { cronExpressions: [when.cron] } : { calendars: [when.calendar ?? {}] }),
      timezone: when.timezone,
      ...(when.jitterMs !== undefined ? { jitter: when.jitterMs } : {}),
    },
    // Temporal appends the scheduled time to this id, e.g. retail-weekly-2026-11-23T06:00:00Z.
    action: {
      type: 'startWorkflow',
      workflowType: 'weeklyLoad',
      taskQueue: settings.taskQueue,
      workflowId: parsed.name,
      args: [{ spec }],
    },
    policies: { overlap: when.overlap, catchupWindow: when.catchupWindowMs, pauseOnFailure: when.pauseOnFailure },
    memo: { specFile: path.resolve(file) },
    state: {
      paused: flags.paused === true,
      ...(flags.paused ? { note: 'Created paused (tributary schedule create --paused)' } : {}),
    },
  };
  return { id, options, name: parsed.name };
}

/** `tributary schedule`'s flags. */
const SCHEDULE_OPTIONS = {
  id: { type: 'string' },
  cron: { type: 'string' },
  paused: { type: 'boolean' },
  from: { type: 'string' },
  to: { type: 'string' },
} as const;

export async function schedule(settings: Settings, argv: string[], log: Log): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: SCHEDULE_OPTIONS });
  const [action, file] = positionals;
  if (
    !ACTIONS.includes(action as (typeof ACTIONS)[number]) ||
    (!file && (!values.id || action === 'create' || action === 'update'))
  ) {
    log(USAGE);
    return 2;
  }
  try {
    // Validated before the server is touched: a bad spec creates and changes nothing.
    const built = file ? await scheduleFromFile(settings, file, values) : undefined;
    // The usage check above guarantees a spec file whenever --id is absent.
    const id = values.id ?? built!.id;
    const weeks = action === 'backfill' ? backfillWeeks(values.from, values.to, log) : [];
    await ensureServer(settings, log);
    const { client, close } = await connectClient(settings);
    try {
      const handle = client.schedule.getHandle(id);
      switch (action) {
        case 'create':
          return await create(client, settings, built!.options, log);
        case 'update':
          return await update(client, settings, handle, built!.options, values.paused, log);
        case 'describe':
          process.stdout.write(await describe(client, settings, await handle.describe()));
          return 0;
        case 'pause':
        case 'unpause':
          await (action === 'pause'
            ? handle.pause('Paused with tributary schedule pause')
            : handle.unpause('Unpaused with tributary schedule unpause'));
          log(
            `Schedule ${id} is ${(await handle.describe()).state.paused ? 'paused' : 'active'}.\nWeb UI: ${scheduleUrl(settings, id)}`,
          );
          return 0;
        case 'trigger':
          return await trigger(client, settings, handle, log);
        case 'backfill':
          return await backfill(client, settings, handle, weeks, log);
        default:
          await handle.delete();
          log(`Deleted schedule ${id}. Runs it already started are not affected.`);
          return 0;
      }
    } finally {
      await close();
    }
  } catch (err) {
    if (err instanceof InvalidSpecError) {
      const what = action === 'create' ? 'Nothing was created.' : 'Nothing was changed.';
      log(`Invalid pipeline spec ${file}:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n${what}`);
      return 2;
    }
    if (err instanceof BadArguments) {
      log(`${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof ScheduleNotFoundError) {
      log(
        `No schedule ${values.id ?? err.scheduleId} in namespace ${settings.namespace}. Create it: tributary schedule create <spec.json>`,
      );
      return 2;
    }
    throw err;
  }
}

class BadArguments extends Error {}

/** Schedules run on standing workers; a schedule with none just queues its runs, so say so. */
async function warnWithoutWorkers(client: Client, settings: Settings, log: Log): Promise<void> {
  if (!(await hasPollers(client, settings))) {
    log(
      `Note: no worker polls task queue "${settings.taskQueue}"; scheduled runs wait until one does (npx tributary worker).`,
    );
  }
}

async function create(client: Client, settings: Settings, options: ScheduleOptions<Action>, log: Log): Promise<number> {
  let handle: ScheduleHandle;
  try {
    handle = await client.schedule.create<typeof weeklyLoad>(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    log(`A schedule ${options.scheduleId} already exists. Change it: tributary schedule update <spec.json>`);
    return 2;
  }
  process.stdout.write(`${options.scheduleId}\n`);
  const described = await handle.describe();
  log(`Created schedule ${options.scheduleId}${described.state.paused ? ' (paused)' : ''}: ${when(described)}`);
  log(`Next runs: ${described.info.nextActionTimes.slice(0, 3).map(iso).join(', ') || 'none'}`);
  await warnWithoutWorkers(client, settings, log);
  log(`Web UI: ${scheduleUrl(settings, options.scheduleId)}`);
  return 0;
}

/** Replaces what the spec decides; keeps the paused state (and its note) unless --paused is given. */
async function update(
  client: Client,
  settings: Settings,
  handle: ScheduleHandle,
  options: ScheduleOptions<Action>,
  paused: boolean | undefined,
  log: Log,
) {
  await handle.update<typeof weeklyLoad>((previous) => ({
    spec: options.spec,
    action: options.action,
    policies: options.policies,
    state: paused
      ? { paused: true, note: 'Paused with tributary schedule update --paused' }
      : { paused: previous.state.paused, note: previous.state.note },
  }));
  const described = await handle.describe();
  log(`Updated schedule ${handle.scheduleId}${described.state.paused ? ' (paused)' : ''}: ${when(described)}`);
  await warnWithoutWorkers(client, settings, log);
  log(`Web UI: ${scheduleUrl(settings, handle.scheduleId)}`);
  return 0;
}

/** Runs it now, under the schedule's own overlap policy, so a trigger never doubles a running week. */
async function trigger(client: Client, settings: Settings, handle: ScheduleHandle, log: Log): Promise<number> {
  const before = await handle.describe();
  const running = before.info.runningActions.map((a) => a.workflow.workflowId);
  if (running.length > 0 && before.policies.overlap === 'SKIP') {
    log(`Not triggered: ${running.join(', ')} is still running and the overlap policy is SKIP.`);
    return 2;
  }
  const seen = new Set(before.info.recentActions.map((a) => a.action.workflow.workflowId));
  await handle.trigger(before.policies.overlap);
  await warnWithoutWorkers(client, settings, log);
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 300))) {
    const started = (await handle.describe()).info.recentActions.find((a) => !seen.has(a.action.workflow.workflowId));
    if (!started) continue;
    const workflowId = started.action.workflow.workflowId;
    process.stdout.write(`${workflowId}\n`);
    log(
      `Started ${workflowId} (week of ${lastWeek(started.scheduledAt)})\nWatch it: ${workflowUrl(settings, workflowId)}`,
    );
    return 0;
  }
  log(
    `Triggered; the run is buffered behind ${running.join(', ') || 'a running run'} (overlap ${before.policies.overlap}).`,
  );
  return 0;
}

/**
 * The weeks of data from --from to --to, each as its Monday. A date that is not a real date is
 * refused in the words `run --week` uses; any other day stands for its week, said in a notice.
 */
function backfillWeeks(from: string | undefined, to: string | undefined, log: Log): string[] {
  if (from === undefined || to === undefined) {
    throw new BadArguments('backfill needs --from YYYY-MM-DD and --to YYYY-MM-DD (weeks of data).');
  }
  const monday = (flag: string, date: string) => {
    const problem = dateProblem(date);
    if (problem) throw new BadArguments(`${flag} ${problem}`);
    const week = mondayOf(date);
    if (week !== date) log(`Note: ${flag} ${date} is in the week of Monday ${week}; backfilling that whole week.`);
    return week;
  };
  const [first, last] = [monday('--from', from), monday('--to', to)];
  const weeks: string[] = [];
  for (let t = Date.parse(`${first}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += 7 * DAY_MS) {
    weeks.push(new Date(t).toISOString().slice(0, 10));
  }
  if (weeks.length === 0) throw new BadArguments(`--from ${from} is after --to ${to}.`);
  return weeks;
}

/**
 * A run processes the week before the time it was scheduled for, so week W is backfilled by the
 * schedule's first time in the week after W, as the schedule's own calendar (and time zone) puts it.
 * One time per week: a schedule that fires more often still gets one run per week.
 */
async function backfill(
  client: Client,
  settings: Settings,
  handle: ScheduleHandle,
  weeks: string[],
  log: Log,
): Promise<number> {
  const start = Date.parse(`${weeks[0]}T00:00:00Z`) + 7 * DAY_MS;
  const end = Date.parse(`${weeks[weeks.length - 1]}T00:00:00Z`) + 14 * DAY_MS - 1_000;
  const response = await client.workflowService.listScheduleMatchingTimes({
    namespace: settings.namespace,
    scheduleId: handle.scheduleId,
    startTime: msNumberToTs(start),
    endTime: msNumberToTs(end),
  });
  const times = (response.startTime ?? []).map(tsToDate);
  const firstTime = new Map<string, Date>();
  for (const t of times) if (!firstTime.has(lastWeek(t))) firstTime.set(lastWeek(t), t);
  const missing = weeks.filter((w) => !firstTime.has(w));
  if (missing.length > 0) {
    log(
      `The schedule does not fire in the week after ${missing.join(', ')}, so it cannot backfill ${missing.length > 1 ? 'them' : 'it'}.`,
    );
    log('Nothing was backfilled. Run such a week directly: tributary run <spec.json> --week YYYY-MM-DD');
    return 2;
  }
  const described = await handle.describe();
  // The times listed include jitter; the time Temporal backfills is the one before jitter, at most
  // `jitter` earlier. A window reaching back that far holds it and no other time of a weekly schedule.
  const jitter = described.spec.jitter ?? 0;
  await handle.backfill(
    weeks.map((w) => ({
      start: new Date(firstTime.get(w)!.getTime() - jitter - 1_000),
      end: firstTime.get(w)!,
      overlap: 'BUFFER_ALL' as const,
    })),
  );
  log(`Backfilling ${weeks.length} week(s) on ${handle.scheduleId}, one run after another (overlap BUFFER_ALL):`);
  for (const w of weeks) {
    // Run ids end with the time before jitter, known here only when there is no jitter.
    const workflowId = jitter ? undefined : `${described.action.workflowId}-${iso(firstTime.get(w)!)}`;
    if (workflowId) process.stdout.write(`${workflowId}\n`);
    log(`  week of ${w}: scheduled ${iso(firstTime.get(w)!)}${workflowId ? `, run ${workflowId}` : ''}`);
  }
  if (jitter) log(`Run ids: tributary schedule describe --id ${handle.scheduleId}`);
  await warnWithoutWorkers(client, settings, log);
  log(`Web UI: ${scheduleUrl(settings, handle.scheduleId)}`);
  return 0;
}

const iso = (d: Date) => d.toISOString().replace(/\.000Z$/, 'Z');

const FULL: Partial<Record<keyof CalendarSpecDescription, string>> = {
  dayOfMonth: '1-31',
  month: 'JANUARY-DECEMBER',
  dayOfWeek: 'SUNDAY-SATURDAY',
};
const ranges = (rs: Range<number | string>[]) =>
  rs.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}${r.step > 1 ? `/${r.step}` : ''}`)).join(',');

/** The schedule's times in words; Temporal returns cron strings compiled to calendars too. */
function when(d: ScheduleDescription): string {
  const calendars = (d.spec.calendars ?? []).map((c) =>
    (['dayOfWeek', 'dayOfMonth', 'month', 'year', 'hour', 'minute', 'second'] as const)
      .map((field) => [field, ranges(c[field] as Range<number | string>[])] as const)
      .filter(([field, text]) => text !== '' && text !== FULL[field] && !(field === 'second' && text === '0'))
      .map(([field, text]) => `${field}=${text}`)
      .join(' '),
  );
  const intervals = (d.spec.intervals ?? []).map((i) => `every ${i.every / 1000}s`);
  return `${[...calendars, ...intervals].join('; ') || 'no times'} (${d.spec.timezone ?? 'UTC'})`;
}

async function describe(client: Client, settings: Settings, d: ScheduleDescription): Promise<string> {
  const statusOf = (workflowId: string, runId: string) =>
    client.workflow
      .getHandle(workflowId, runId)
      .describe()
      .then(
        (w) => w.status.name,
        () => 'unknown',
      );
  const recent = await Promise.all(
    d.info.recentActions.map(async (a) => {
      const { workflowId, firstExecutionRunId } = a.action.workflow;
      return `  ${iso(a.scheduledAt)}  week of ${lastWeek(a.scheduledAt)}  ${workflowId}  ${await statusOf(workflowId, firstExecutionRunId)}`;
    }),
  );
  const lines = [
    `Schedule ${d.scheduleId}: ${d.state.paused ? 'PAUSED' : 'ACTIVE'}${d.state.note ? ` (${d.state.note})` : ''}`,
    `  When:      ${when(d)}`,
    `  Starts:    ${d.action.workflowType} on task queue ${d.action.taskQueue}, workflow id ${d.action.workflowId}-<scheduled time>`,
    `  Spec file: ${(d.memo?.specFile as string | undefined) ?? '(unknown)'}`,
    `  Policies:  overlap ${d.policies.overlap}, catch-up window ${d.policies.catchupWindow / 1000}s, pause on failure ${d.policies.pauseOnFailure ? 'yes' : 'no'}`,
    `  Runs:      ${d.info.numActionsTaken} taken, ${d.info.numActionsSkippedOverlap} skipped (overlap), ${d.info.numActionsMissedCatchupWindow} missed (catch-up window)`,
    'Next runs:',
    ...(d.info.nextActionTimes.length
      ? d.info.nextActionTimes.slice(0, 5).map((t) => `  ${iso(t)}  week of ${lastWeek(t)}`)
      : ['  none']),
    'Recent runs:',
    ...(recent.length ? recent : ['  none']),
    'Running:',
    ...(d.info.runningActions.length ? d.info.runningActions.map((a) => `  ${a.workflow.workflowId}`) : ['  none']),
    `Web UI: ${scheduleUrl(settings, d.scheduleId)}`,
  ];
  return `${lines.join('\n')}\n`;
}
