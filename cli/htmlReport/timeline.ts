/**
 * A run's timeline, from its Temporal histories: one lane per dataset (its child workflow), each
 * stage as segments (queued, earlier attempts and backoff, the last attempt), and markers where a
 * dataset failed, was late, skipped or cancelled. Pure, so it can be checked on saved histories.
 */
import type { RunReport } from '../../common/report';
import type { Stage } from '../../common/stages';
import type { DatasetSummary } from '../../common/types';
import {
  activitySpans,
  childSpans,
  lastEventTime,
  runBounds,
  withPending,
  type ActivitySpan,
  type HistoryEvent,
  type Outcome,
  type PendingActivity,
} from './events';

/**
 * The parent's history (all runs of a continued-as-new chain, in order) and each child's, with the
 * activities still in flight of those that are open.
 */
export interface RunHistories {
  workflowId: string;
  parent: HistoryEvent[];
  parentPending?: PendingActivity[];
  children: Array<{ workflowId: string; events: HistoryEvent[]; pending?: PendingActivity[] }>;
}

/**
 * queued: scheduled, waiting for a worker; retrying: the attempts before the last and the backoff
 * between them (the history records no times for those attempts, only their count and last error);
 * attempt: the last attempt; waiting: availability checks and the timers between them.
 */
export type SegmentKind = 'queued' | 'retrying' | 'attempt' | 'waiting';

export interface Segment {
  stage: string;
  kind: SegmentKind;
  start: number;
  end: number;
  outcome: Outcome;
  /** Segments of one activity share a group (and so a row of the lane). */
  group: number;
  /** attempt: which attempt this bar is. */
  attempt?: number;
  /** retrying: how many attempts there were in all (the last one included). */
  attempts?: number;
  detail?: string;
}

export type MarkerKind = 'failed' | 'late' | 'skipped' | 'cancelled';
export interface Marker {
  kind: MarkerKind;
  at: number;
  text: string;
}

export interface Lane {
  name: string;
  workflowId?: string;
  /** The dataset's status from the report, else from how its child workflow closed. */
  status: string;
  /** The child workflow's life (absent for a dataset whose child never started). */
  start?: number;
  end?: number;
  segments: Segment[];
  markers: Marker[];
  note?: string;
}

export interface Timeline {
  workflowId: string;
  start: number;
  end: number;
  outcome: Outcome;
  /** The parent's own work: planning and writing the report. */
  run: Lane;
  lanes: Lane[];
}

/** Bars of the run page that are no stage of a dataset's journey (common/stages.ts) but steps around them. */
export type RunStep = 'waiting' | 'unchanged check' | 'batch' | 'cleanup' | 'report';

/** What the run page calls each activity: its stage, or a step; other activities keep their type name. */
export const STAGE_OF_ACTIVITY: Record<string, Stage | RunStep> = {
  prepareRun: 'resolve',
  checkAvailability: 'waiting',
  readDataset: 'read',
  readReference: 'readReference',
  findUnchanged: 'unchanged check',
  computeMetrics: 'compute',
  processBatch: 'batch',
  publishOutputs: 'write',
  discardStaging: 'cleanup',
  writeReport: 'report',
};

const stageOf = (s: ActivitySpan) => STAGE_OF_ACTIVITY[s.type] ?? s.type;

/** Segments of one activity; open spans end at `end`. */
function activitySegments(span: ActivitySpan, end: number, group: number): Segment[] {
  const stage = stageOf(span);
  const closed = span.closed ?? end;
  if (span.started === undefined) {
    return [
      {
        stage,
        kind: 'queued',
        start: span.scheduled,
        end: closed,
        outcome: span.outcome,
        group,
        detail: span.error?.message,
      },
    ];
  }
  const before: Segment[] =
    span.attempt > 1
      ? [
          {
            stage,
            kind: 'retrying',
            start: span.scheduled,
            end: span.started,
            outcome: 'failed',
            group,
            attempts: span.attempt,
            detail: span.lastFailure,
          },
        ]
      : [{ stage, kind: 'queued', start: span.scheduled, end: span.started, outcome: 'completed', group }];
  const last: Segment = {
    stage,
    kind: 'attempt',
    start: span.started,
    end: closed,
    outcome: span.outcome,
    group,
    attempt: span.attempt,
  };
  if (span.error) last.detail = `${span.error.type}: ${span.error.message}`;
  return [...before, last];
}

/** Availability checks and the sleeps between them, as one segment. */
function waitingSegment(checks: ActivitySpan[], end: number, group: number): Segment[] {
  if (checks.length === 0) return [];
  const start = Math.min(...checks.map((c) => c.scheduled));
  const stop = Math.max(...checks.map((c) => c.closed ?? end));
  const open = checks.some((c) => c.outcome === 'running');
  return [
    {
      stage: 'waiting',
      kind: 'waiting',
      start,
      end: stop,
      outcome: open ? 'running' : 'completed',
      group,
      detail: `${checks.length} availability check${checks.length === 1 ? '' : 's'}`,
    },
  ];
}

function childStatus(outcome: Outcome): string {
  return outcome === 'completed'
    ? 'succeeded'
    : outcome === 'cancelled'
      ? 'cancelled'
      : outcome === 'running'
        ? 'running'
        : 'failed';
}

function markersOf(
  status: string,
  summary: DatasetSummary | undefined,
  at: number,
  child: ReturnType<typeof childSpans>[number] | undefined,
): Marker[] {
  if (status === 'failed') {
    const e = summary?.error;
    const text = e
      ? `${e.stage}: ${e.type}: ${e.message}`
      : child?.error
        ? `${child.error.type}: ${child.error.message}`
        : `child workflow ${child?.outcome ?? 'failed'}`;
    return [{ kind: 'failed', at, text }];
  }
  if (status === 'late' || status === 'skipped' || status === 'cancelled')
    return [{ kind: status, at, text: summary?.note ?? status }];
  return [];
}

export function extractTimeline(histories: RunHistories, report?: RunReport, now?: number): Timeline {
  const bounds = runBounds(histories.parent);
  const latest = Math.max(lastEventTime(histories.parent), ...histories.children.map((c) => lastEventTime(c.events)));
  const end = bounds.closed ?? now ?? latest;
  const summaries = new Map((report?.datasets ?? []).map((d) => [d.dataset, d]));
  const childOf = new Map(histories.children.map((c) => [c.workflowId, c]));
  const prefix = `${histories.workflowId}/`;

  const lanes = new Map<string, Lane>();
  for (const child of childSpans(histories.parent)) {
    const name = child.workflowId.startsWith(prefix) ? child.workflowId.slice(prefix.length) : child.workflowId;
    const summary = summaries.get(name);
    const childEnd = child.closed ?? end;
    const fetched = childOf.get(child.workflowId);
    const spans = withPending(activitySpans(fetched?.events ?? []), fetched?.pending);
    const status = summary?.status ?? childStatus(child.outcome);
    const unchanged = spans.find((s) => s.type === 'findUnchanged');
    const markAt = status === 'skipped' ? (unchanged?.closed ?? childEnd) : childEnd;
    const lane: Lane = lanes.get(name) ?? { name, workflowId: child.workflowId, status, segments: [], markers: [] };
    lane.start = Math.min(lane.start ?? Infinity, child.started ?? child.initiated);
    lane.end = Math.max(lane.end ?? 0, childEnd);
    lane.status = status;
    const groups = lane.segments.length; // distinct groups when a dataset had more than one child
    lane.segments.push(
      ...waitingSegment(
        spans.filter((s) => s.type === 'checkAvailability'),
        childEnd,
        groups,
      ),
      ...spans
        .filter((s) => s.type !== 'checkAvailability')
        .flatMap((s, i) => activitySegments(s, childEnd, groups + 1 + i)),
    );
    lane.markers.push(...markersOf(status, summary, markAt, child));
    if (summary?.note) lane.note = summary.note;
    lanes.set(name, lane);
  }
  // Datasets the report lists but that never got a child.
  for (const summary of report?.datasets ?? []) {
    if (lanes.has(summary.dataset)) continue;
    const e = summary.error;
    // Without a child, a dataset either never started or was one of a batch the run processed in
    // one activity (spec `batching`), which is drawn on the run's lane.
    const why =
      summary.status === 'cancelled'
        ? 'not started'
        : 'no workflow of its own: processed in a batch (see the run lane)';
    lanes.set(summary.dataset, {
      name: summary.dataset,
      status: summary.status,
      segments: [],
      markers: [],
      note: summary.note ?? (e ? `${e.type}: ${e.message}` : why),
    });
  }

  const parentSpans = withPending(activitySpans(histories.parent), histories.parentPending);
  const run: Lane = {
    name: 'run',
    workflowId: histories.workflowId,
    status: report?.status ?? childStatus(bounds.outcome),
    start: bounds.start,
    end,
    segments: parentSpans.flatMap((s, i) => activitySegments(s, end, i)),
    markers: [],
  };
  return {
    workflowId: histories.workflowId,
    start: bounds.start,
    end,
    outcome: bounds.outcome,
    run,
    lanes: [...lanes.values()],
  };
}
