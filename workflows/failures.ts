/** Turning Temporal failures into the small, readable error records the report carries. Pure. */
import { RetryState } from '@temporalio/common';
import { ActivityFailure, ApplicationFailure, ChildWorkflowFailure, TemporalFailure } from '@temporalio/workflow';

export interface FailureInfo {
  type: string;
  message: string;
  /** Attempts made, when known: from the activity's own record, or the retry policy when it ran out. */
  attempts?: number;
}

/** The innermost failure that says what went wrong (not the activity/child wrapper around it). */
function rootCause(err: unknown): unknown {
  let e = err;
  while ((e instanceof ActivityFailure || e instanceof ChildWorkflowFailure) && e.cause) e = e.cause;
  return e;
}

export function describeFailure(err: unknown, maximumAttempts?: number): FailureInfo {
  const cause = rootCause(err);
  const recorded =
    cause instanceof ApplicationFailure
      ? (cause.details ?? []).find(
          (d): d is { attempt: number } => typeof (d as { attempt?: unknown })?.attempt === 'number',
        )
      : undefined;
  const exhausted = err instanceof ActivityFailure && err.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED;
  const attempts = recorded?.attempt ?? (exhausted ? maximumAttempts : undefined);
  const type =
    cause instanceof ApplicationFailure
      ? (cause.type ?? 'Error')
      : cause instanceof TemporalFailure
        ? cause.name
        : 'Error';
  const message = cause instanceof Error ? cause.message : String(cause);
  return { type, message, ...(attempts !== undefined ? { attempts } : {}) };
}
