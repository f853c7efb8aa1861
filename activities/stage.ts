/**
 * What every stage activity shares: its attempt number and duration in the result, the attempt in
 * the failure details (so the report can show attempts of failed stages), heartbeats while it works,
 * and an optional fault hook for tests that inject real failures into real activities.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import type { Stage } from '../common/stages';
import type { Ledger } from './ledger';
import { recordStage } from './counters';

export interface StageResult {
  attempt: number;
  durationMs: number;
}

/** Called at the start of each stage attempt; a test can throw from it to inject a failure. */
export type FaultHook = (stage: Stage, dataset: string, attempt: number) => void | Promise<void>;

function withAttempt(err: unknown, attempt: number): unknown {
  if (err instanceof CancelledFailure) return err;
  if (err instanceof ApplicationFailure) {
    return ApplicationFailure.create({
      message: err.message,
      type: err.type ?? 'Error',
      nonRetryable: err.nonRetryable === true,
      details: [{ attempt }, ...(err.details ?? [])],
      cause: err.cause,
    });
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return ApplicationFailure.create({
    message: e.message,
    type: e.name,
    nonRetryable: false,
    details: [{ attempt }],
    cause: e,
  });
}

/** Records how far a stage got; sent with every heartbeat until the next update. */
export type ProgressReporter = (update: Record<string, unknown>) => void;

export interface StageHooks {
  faults?: FaultHook;
  ledger?: Ledger;
}

export async function runStage<T extends object>(
  stage: Stage,
  dataset: string,
  hooks: StageHooks,
  work: (progress: ProgressReporter) => Promise<T>,
): Promise<T & StageResult> {
  const ctx = Context.current();
  const attempt = ctx.info.attempt;
  const record = { stage, dataset, attempt, workflowId: ctx.info.workflowExecution?.workflowId ?? '(standalone)' };
  const started = Date.now();
  // Collects are async, so the event loop is free and these heartbeats flow during polars work.
  // Each carries the stage's latest progress, which a retry reads back to resume.
  let details: Record<string, unknown> = { stage, dataset };
  const progress: ProgressReporter = (update) => {
    details = { stage, dataset, ...update };
    ctx.heartbeat(details);
  };
  const beat = setInterval(() => ctx.heartbeat(details), 1_000);
  try {
    await hooks.ledger?.append({ event: 'start', ...record });
    await hooks.faults?.(stage, dataset, attempt);
    const result = await work(progress);
    await hooks.ledger?.append({ event: 'done', ...record });
    const durationMs = Date.now() - started;
    recordStage(ctx.metricMeter, stage, durationMs, result);
    ctx.log.info('stage finished', { ...record, durationMs });
    return { ...result, attempt, durationMs };
  } catch (err) {
    await hooks.ledger?.append({ event: 'failed', ...record }).catch(() => undefined);
    const failure = withAttempt(err, attempt);
    if (!(failure instanceof CancelledFailure) && failure instanceof ApplicationFailure) {
      recordStage(ctx.metricMeter, stage, Date.now() - started, undefined, {
        type: failure.type ?? 'Error',
        final: failure.nonRetryable === true,
      });
      ctx.log.warn('stage failed', { ...record, errorType: failure.type, error: failure.message });
    }
    throw failure;
  } finally {
    clearInterval(beat);
  }
}
