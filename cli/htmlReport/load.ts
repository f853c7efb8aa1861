/**
 * Reading a run back from Temporal for its page: the parent's history (every run of a
 * continued-as-new chain), each child's, and the run report. Then the page is written to a file.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeHistoryPayloads } from './decode';
import type { Client } from '@temporalio/client';
import type { PayloadConverter } from '@temporalio/common';
import { reportDir } from '../../common/paths';
import type { RunReport } from '../../common/report';
import { weekProblem } from '../../common/week';
import { workflowUrl, type Settings } from '../../runtime/settings';
import { temporal } from '@temporalio/proto';
import { childSpans, runBounds, timeOf, type HistoryEvent, type PendingActivity } from './events';
import { renderPage } from './render';
import { wholeReport, writtenReport } from '../runReport';
import { extractTimeline, type RunHistories } from './timeline';

async function eventsOf(client: Client, workflowId: string, runId?: string): Promise<HistoryEvent[]> {
  return (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
}

/** Activities in flight of a workflow whose history ends open (none once it has closed). */
async function pendingOf(
  client: Client,
  workflowId: string,
  runId: string | undefined,
  events: HistoryEvent[],
): Promise<PendingActivity[]> {
  if (runBounds(events).outcome !== 'running') return [];
  const described = await client.workflow.getHandle(workflowId, runId).describe();
  return (described.raw.pendingActivities ?? []).map((p) => ({
    activityId: p.activityId ?? '',
    attempt: p.attempt ?? 1,
    // lastStartedTime stays set between attempts: it counts only while the attempt runs.
    started:
      p.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
        ? timeOf(p.lastStartedTime)
        : undefined,
    lastFailure: p.lastFailure?.message ?? undefined,
  }));
}

/** Children are fetched a few at a time: a run may have thousands, and the server is shared. */
const FETCH_AT_ONCE = 8;

export async function fetchRunHistories(client: Client, workflowId: string): Promise<RunHistories> {
  // The latest run, then back through `continuedExecutionRunId` to the first.
  const runs: HistoryEvent[][] = [await eventsOf(client, workflowId)];
  for (;;) {
    const previous = runs[0]?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!previous) break;
    runs.unshift(await eventsOf(client, workflowId, previous));
  }
  const parent = runs.flat();
  const parentPending = await pendingOf(client, workflowId, undefined, runs[runs.length - 1] ?? []);
  const children = childSpans(parent).filter((c) => c.runId);
  const histories: RunHistories['children'] = [];
  let next = 0;
  const worker = async () => {
    while (next < children.length) {
      const child = children[next++]!;
      const events = await eventsOf(client, child.workflowId, child.runId);
      histories.push({
        workflowId: child.workflowId,
        events,
        pending: await pendingOf(client, child.workflowId, child.runId, events),
      });
    }
  };
  await Promise.all(Array.from({ length: FETCH_AT_ONCE }, worker));
  return { workflowId, parent, parentPending, children: histories };
}

const firstPayload = (payloads: { payloads?: unknown[] | null } | null | undefined) => payloads?.payloads?.[0];

/** The report the run returned, or the one its failure carries (failFast); undefined otherwise. */
export function reportFromHistory(events: readonly HistoryEvent[], converter: PayloadConverter): RunReport | undefined {
  const last = events[events.length - 1];
  const completed = firstPayload(last?.workflowExecutionCompletedEventAttributes?.result);
  const failure = last?.workflowExecutionFailedEventAttributes?.failure;
  const carried =
    failure?.applicationFailureInfo?.type === 'RunFailed'
      ? firstPayload(failure.applicationFailureInfo.details)
      : undefined;
  const payload = completed ?? carried;
  return payload ? converter.fromPayload<RunReport>(payload) : undefined;
}

/** The output root and week the run chose (its planning activity's result), for its report files. */
export function planFromHistory(
  events: readonly HistoryEvent[],
  converter: PayloadConverter,
): { outputRoot: string; week: string } | undefined {
  const planning = new Set<string>();
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'prepareRun') planning.add(String(e.eventId));
    const done = e.activityTaskCompletedEventAttributes;
    const payload = done && planning.has(String(done.scheduledEventId)) ? firstPayload(done.result) : undefined;
    if (!payload) continue;
    const plan = converter.fromPayload<{ spec?: { output?: { root?: string } }; week?: string }>(payload);
    if (plan?.spec?.output?.root && plan.week) return { outputRoot: plan.spec.output.root, week: plan.week };
  }
  return undefined;
}

/**
 * The run report, as the report activity built it: the one the run returned (with the file it
 * names for what it left out, see cli/runReport.ts), else the `_report.json` the run wrote (a
 * cancelled run writes one too) when it is this run's and not a later run's of the same week.
 */
export async function loadRunReport(
  histories: RunHistories,
  converter: PayloadConverter,
): Promise<{ report?: RunReport; dir?: string }> {
  const plan = planFromHistory(histories.parent, converter);
  // A run from before weeks were checked may carry any week: then the page goes to the current folder.
  const dir = plan && !weekProblem(plan.week) ? reportDir(plan.outputRoot, plan.week) : undefined;
  const fromHistory = reportFromHistory(histories.parent, converter);
  if (fromHistory) {
    const written = fromHistory.files ? path.dirname(fromHistory.files.json) : dir;
    return { report: await wholeReport(fromHistory), dir: written };
  }
  if (!dir) return {};
  return { report: await writtenReport(path.join(dir, '_report.json'), histories.workflowId), dir };
}

/**
 * Writes the page of run `workflowId` to `out`, else next to its report (`<week>/_report.html`),
 * else `./<workflow id>.html`; returns the file and the report it used.
 */
export async function writeRunPage(
  client: Client,
  settings: Pick<Settings, 'uiUrl' | 'namespace'>,
  workflowId: string,
  out?: string,
): Promise<{ file: string; report?: RunReport }> {
  const histories = await fetchRunHistories(client, workflowId);
  await decodeHistoryPayloads(client, histories.parent);
  const converter = client.options.loadedDataConverter.payloadConverter;
  const { report, dir } = await loadRunReport(histories, converter);
  const timeline = extractTimeline(histories, report, Date.now());
  const html = renderPage(timeline, report, { workflowUrl: (id) => workflowUrl(settings, id) });
  const file = path.resolve(
    out ?? (dir ? path.join(dir, '_report.html') : `${workflowId.replace(/[^\w.-]+/g, '_')}.html`),
  );
  // Written under a temporary name, then renamed: a browser open on the old page never reads half a file.
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(`${file}.tmp-${process.pid}`, html);
  await rename(`${file}.tmp-${process.pid}`, file);
  return { file, report };
}
