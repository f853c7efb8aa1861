/**
 * Stage policies: the declarative retry/timeout settings of each stage, their defaults (stated
 * once, here), and the one function that turns a policy into Temporal activity options.
 * Side-effect free and zod-free: workflows import it.
 */
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/common';
import type { PolicyStage } from '../common/stages';

export interface RetrySettings {
  /** Attempts in all, the first included. 1 = no retry. */
  maximumAttempts: number;
  /** Wait before the first retry, ms. */
  initialInterval: number;
  /** Each wait is the previous one times this. */
  backoffCoefficient: number;
  /** Cap on the wait between attempts, ms. */
  maximumInterval: number;
  /** Error types that are never retried (besides failures raised as non-retryable). */
  nonRetryableErrorTypes: string[];
}

export interface StagePolicy {
  /** Task queue of the stage's activities; default: the run's task queue. */
  taskQueue?: string;
  /** Limit on one attempt, ms. */
  startToCloseTimeout: number;
  /** Limit on all attempts together, retries and waits included, ms. */
  scheduleToCloseTimeout?: number;
  /** A running attempt that has not heartbeated for this long is presumed lost and retried, ms. */
  heartbeatTimeout?: number;
  retry: RetrySettings;
}

/** Errors no retry can fix: raised by activities as non-retryable, listed here as a safety net. */
export const PERMANENT_ERROR_TYPES = [
  'SchemaMismatch',
  'NullValues',
  'UnreadableParquet',
  'FileNotFound',
  'InvalidSpec',
  'DuplicateKeys',
  'NoDatasets',
  'PathOutsideDataRoot',
];

const retry = (maximumAttempts: number): RetrySettings => ({
  maximumAttempts,
  initialInterval: 1_000,
  backoffCoefficient: 2,
  maximumInterval: 60_000,
  nonRetryableErrorTypes: [...PERMANENT_ERROR_TYPES],
});

/**
 * How the attempt budget is spent. Temporal counts every failed attempt alike, a crash too (its
 * heartbeat or start-to-close timeout). Data failures are non-retryable: they end the stage on its
 * first attempt and spend nothing more. So the budget is for infrastructure: worker crashes, a
 * disk that is full for a while, a file replaced while it is read. Ten attempts take several
 * crashes plus a few transient errors; the waits between them (1 s, 2 s, 4 s, ... capped at 1 min,
 * about 4 min in all) bound how long a fault that never clears holds a dataset.
 */
export const DEFAULT_ATTEMPTS = 10;

export const DEFAULT_POLICIES: Record<PolicyStage, StagePolicy> = {
  resolve: { startToCloseTimeout: 60_000, retry: retry(DEFAULT_ATTEMPTS) },
  read: { startToCloseTimeout: 5 * 60_000, heartbeatTimeout: 60_000, retry: retry(DEFAULT_ATTEMPTS) },
  compute: { startToCloseTimeout: 30 * 60_000, heartbeatTimeout: 60_000, retry: retry(DEFAULT_ATTEMPTS) },
  write: { startToCloseTimeout: 5 * 60_000, retry: retry(DEFAULT_ATTEMPTS) },
};

/** A stage policy as Temporal activity options. The only place this mapping happens. */
export function activityOptions(policy: StagePolicy): ActivityOptions {
  return {
    taskQueue: policy.taskQueue,
    startToCloseTimeout: policy.startToCloseTimeout,
    scheduleToCloseTimeout: policy.scheduleToCloseTimeout,
    heartbeatTimeout: policy.heartbeatTimeout,
    retry: { ...policy.retry, nonRetryableErrorTypes: [...policy.retry.nonRetryableErrorTypes] },
    // On cancellation, wait until the activity has really stopped: the workflow cleans up its
    // staging folder next, and an activity still writing would leave files behind it.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
}
