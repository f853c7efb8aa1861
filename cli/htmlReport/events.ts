/**
 * Reading one workflow history: its activities (scheduled, last attempt's start, close) and its
 * child workflows, keyed by the event ids that link them. Pure: proto events in, plain values out.
 *
 * Temporal writes ActivityTaskStarted only when the activity closes, and only for the attempt that
 * closed it: earlier attempts of a retried activity leave no event of their own, only the attempt
 * number and `lastFailure` (the previous attempt's error) on that one started event. So spans are
 * built by linking events through `scheduledEventId`, not by event order.
 */
import type { temporal } from '@temporalio/proto';

export type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Failure = temporal.api.failure.v1.IFailure;
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;

export type Outcome = 'completed' | 'failed' | 'timedOut' | 'cancelled' | 'terminated' | 'running';

export interface ActivitySpan {
  type: string;
  activityId: string;
  scheduled: number;
  /** Start of the attempt that closed the activity (or of the one still running); absent if none started. */
  started?: number;
  closed?: number;
  /** The attempt that closed the activity (1 when it never started). */
  attempt: number;
  outcome: Outcome;
  /** Why the activity ended in failure (its final error). */
  error?: { type: string; message: string };
  /** The error of the attempt before the last one, when it was retried. */
  lastFailure?: string;
}

export interface ChildSpan {
  workflowId: string;
  runId?: string;
  initiated: number;
  started?: number;
  closed?: number;
  outcome: Outcome;
  error?: { type: string; message: string };
}

/** Milliseconds since the epoch of a protobuf timestamp (seconds may be a Long, a number or a string). */
export function timeOf(ts: Timestamp): number {
  if (!ts) return 0;
  // A Long stringifies to its decimal digits.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  return Number(String(ts.seconds ?? 0)) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6);
}

/**
 * Visits every event, in order, with its time and `key`, which keys event ids by run: a
 * continued-as-new chain's histories are read as one list, and each run's event ids start again at 1.
 */
type Visit = (e: HistoryEvent, at: number, key: (id: unknown) => string) => void;
function eachEvent(events: readonly HistoryEvent[], visit: Visit): void {
  let run = 0;
  // Event ids are Longs (or numbers); a Long stringifies to its decimal digits.
  // eslint-disable-next-line @typescript-eslint/no-base-to-string
  const key = (id: unknown): string => `${run}:${String(id ?? '')}`;
  for (const e of events) {
    if (e.workflowExecutionStartedEventAttributes) run += 1;
    visit(e, timeOf(e.eventTime), key);
  }
}

function spanError(failure: Failure | null | undefined): { type: string; message: string } | undefined {
  if (!failure) return undefined;
  const type =
    failure.applicationFailureInfo?.type ||
    (failure.timeoutFailureInfo ? 'Timeout' : failure.canceledFailureInfo ? 'Cancelled' : 'Failure');
  return { type, message: failure.message ?? '' };
}

export function activitySpans(events: readonly HistoryEvent[]): ActivitySpan[] {
  const spans = new Map<string, ActivitySpan>();
  eachEvent(events, (e, at, key) => {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      spans.set(key(e.eventId), {
        type: scheduled.activityType?.name ?? '?',
        activityId: scheduled.activityId ?? '',
        scheduled: at,
        attempt: 1,
        outcome: 'running',
      });
      return;
    }
    const started = e.activityTaskStartedEventAttributes;
    const span = (id: unknown) => spans.get(key(id));
    if (started) {
      const s = span(started.scheduledEventId);
      if (!s) return;
      s.started = at;
      s.attempt = started.attempt ?? 1;
      if (started.lastFailure) s.lastFailure = started.lastFailure.message ?? undefined;
      return;
    }
    const completed = e.activityTaskCompletedEventAttributes;
    const failed = e.activityTaskFailedEventAttributes;
    const timedOut = e.activityTaskTimedOutEventAttributes;
    const cancelled = e.activityTaskCanceledEventAttributes;
    const closing = completed ?? failed ?? timedOut ?? cancelled;
    if (!closing) return;
    const s = span(closing.scheduledEventId);
    if (!s) return;
    s.closed = at;
    s.outcome = completed ? 'completed' : failed ? 'failed' : timedOut ? 'timedOut' : 'cancelled';
    s.error = spanError(failed?.failure ?? timedOut?.failure);
  });
  return [...spans.values()];
}

/**
 * What the server says of an open workflow's activities still in flight (`describe()`): the history
 * has no started event for them yet, so without this a running stage would look queued.
 */
export interface PendingActivity {
  activityId: string;
  attempt: number;
  /** When the current (or last) attempt started; absent while the attempt waits for a worker. */
  started?: number;
  lastFailure?: string;
}

/** The spans of activities still in flight, completed with what `describe()` knows of them. */
export function withPending(spans: ActivitySpan[], pending: readonly PendingActivity[] = []): ActivitySpan[] {
  const byId = new Map(pending.map((p) => [p.activityId, p]));
  return spans.map((s) => {
    const p = s.outcome === 'running' ? byId.get(s.activityId) : undefined;
    if (!p) return s;
    return { ...s, attempt: p.attempt, started: p.started, ...(p.lastFailure ? { lastFailure: p.lastFailure } : {}) };
  });
}

export function childSpans(events: readonly HistoryEvent[]): ChildSpan[] {
  const byInitiated = new Map<string, ChildSpan>();
  eachEvent(events, (e, at, key) => {
    const initiated = e.startChildWorkflowExecutionInitiatedEventAttributes;
    if (initiated) {
      byInitiated.set(key(e.eventId), { workflowId: initiated.workflowId ?? '?', initiated: at, outcome: 'running' });
      return;
    }
    const started = e.childWorkflowExecutionStartedEventAttributes;
    if (started) {
      const c = byInitiated.get(key(started.initiatedEventId));
      if (c) Object.assign(c, { started: at, runId: started.workflowExecution?.runId ?? undefined });
      return;
    }
    const startFailed = e.startChildWorkflowExecutionFailedEventAttributes;
    const completed = e.childWorkflowExecutionCompletedEventAttributes;
    const failed = e.childWorkflowExecutionFailedEventAttributes;
    const cancelled = e.childWorkflowExecutionCanceledEventAttributes;
    const timedOut = e.childWorkflowExecutionTimedOutEventAttributes;
    const terminated = e.childWorkflowExecutionTerminatedEventAttributes;
    const closing = startFailed ?? completed ?? failed ?? cancelled ?? timedOut ?? terminated;
    if (!closing) return;
    const c = byInitiated.get(key(closing.initiatedEventId));
    if (!c) return;
    c.closed = at;
    c.outcome = completed
      ? 'completed'
      : failed || startFailed
        ? 'failed'
        : cancelled
          ? 'cancelled'
          : timedOut
            ? 'timedOut'
            : 'terminated';
    c.error = failed
      ? spanError(failed.failure)
      : startFailed
        ? { type: 'StartFailed', message: `could not start (${String(startFailed.cause)})` }
        : undefined;
  });
  return [...byInitiated.values()];
}

/** Start and close of the run itself, and how it closed. */
export function runBounds(events: readonly HistoryEvent[]): { start: number; closed?: number; outcome: Outcome } {
  const first = events[0];
  const last = events[events.length - 1];
  const start = timeOf(first?.eventTime);
  if (!last) return { start, outcome: 'running' };
  const closedAt = timeOf(last.eventTime);
  if (last.workflowExecutionCompletedEventAttributes || last.workflowExecutionContinuedAsNewEventAttributes)
    return { start, closed: closedAt, outcome: 'completed' };
  if (last.workflowExecutionFailedEventAttributes) return { start, closed: closedAt, outcome: 'failed' };
  if (last.workflowExecutionCanceledEventAttributes) return { start, closed: closedAt, outcome: 'cancelled' };
  if (last.workflowExecutionTimedOutEventAttributes) return { start, closed: closedAt, outcome: 'timedOut' };
  if (last.workflowExecutionTerminatedEventAttributes) return { start, closed: closedAt, outcome: 'terminated' };
  return { start, outcome: 'running' };
}

/** The time of the latest event (open spans of a running run end there). */
export function lastEventTime(events: readonly HistoryEvent[]): number {
  return events.reduce((max, e) => Math.max(max, timeOf(e.eventTime as Timestamp)), 0);
}
