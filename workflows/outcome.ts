/**
 * Where a weekly load stands: how many of its datasets are pending, running, succeeded, failed,
 * late or skipped (the `progress` query), whether it is stopping (failFast) or was cancelled, and
 * the summaries a unit leaves when it does not return its own. One object the fan-out reports to,
 * instead of closures sharing counters; carried through continue-as-new. Pure (no workflow calls):
 * its tests run without a server.
 */
import { ApplicationFailure, CancelledFailure, ChildWorkflowFailure } from '@temporalio/common';
import { buildReport, type RunReport } from '../common/report';
import type { DatasetSummary, Progress } from '../common/types';
import type { RunPlan } from '../pipeline/types';
import { describeFailure } from './failures';

/** What a run hands to the next part of itself when it continues as new. */
export interface CarriedOutcome {
  progress: Progress;
  stopping: boolean;
}

const planning = (): Progress => ({
  phase: 'planning',
  total: 0,
  pending: 0,
  running: 0,
  succeeded: 0,
  failed: 0,
  late: 0,
  skipped: 0,
});

export class RunOutcome {
  /** Answers the `progress` query; the same object throughout, carried to the next part. */
  readonly progress: Progress;
  /** failFast: set at the first failure; units not started yet are then cancelled. */
  private stopping: boolean;
  /** The run itself was cancelled (CLI, Web UI, API), not stopped by failFast. */
  private cancelRequested = false;
  private failFast = false;
  private stop: () => void = () => undefined;
  private readonly resumed: boolean;

  constructor(carried?: CarriedOutcome) {
    this.resumed = carried !== undefined;
    this.progress = carried?.progress ?? planning();
    this.stopping = carried?.stopping ?? false;
  }

  /**
   * The plan is made: `datasets` to run, `refused` ones already failed (first part only), and what a
   * failure does. `stop` cancels the units in flight, at the first failure under failFast.
   */
  planned(
    datasets: number,
    refused: readonly DatasetSummary[],
    onFailure: { failFast: boolean; stop: () => void },
  ): void {
    this.failFast = onFailure.failFast;
    this.stop = onFailure.stop;
    if (!this.resumed) Object.assign(this.progress, { phase: 'running', total: datasets, pending: datasets });
    this.progress.total += refused.length;
    this.progress.failed += refused.length;
    // A refused dataset is the first failure: nothing has started yet, so nothing is cancelled.
    if (refused.length > 0 && this.failFast) this.stopping = true;
  }

  /** A unit of `size` datasets leaves the queue; false when it must not start (failFast is stopping). */
  starts(size: number): boolean {
    this.progress.pending -= size;
    if (this.stopping) return false;
    this.progress.running += size;
    return true;
  }

  /** A unit that started has ended, whatever its outcome. */
  ends(size: number): void {
    this.progress.running -= size;
  }

  /** Counts the summaries a unit returned; the first failure under failFast stops the rest. */
  settle(summaries: readonly DatasetSummary[]): void {
    for (const summary of summaries) {
      if (summary.status === 'late') this.progress.late += 1;
      else if (summary.status === 'skipped') this.progress.skipped += 1;
      else if (summary.status === 'succeeded') this.progress.succeeded += 1;
      else if (summary.status === 'failed') this.failed();
    }
  }

  /** A unit was cancelled: by failFast (it is stopping), else the run itself was cancelled. */
  interrupted(): void {
    if (!this.stopping) this.cancelRequested = true;
  }

  get cancelled(): boolean {
    return this.cancelRequested;
  }

  /** What the next part of the run starts from. */
  carry(): CarriedOutcome {
    return { progress: this.progress, stopping: this.stopping };
  }

  reporting(): void {
    this.progress.phase = 'reporting';
  }

  /**
   * The run's ending, from its report: returned when it ran to the end, a CancelledFailure when it
   * was cancelled, a RunFailed failure carrying the report when failFast stopped it. `summaries`
   * (this part's) name the first failure when the report does not list its datasets.
   */
  close(report: RunReport, summaries: readonly DatasetSummary[]): RunReport {
    this.progress.phase = 'done';
    const markdown = report.files?.markdown;
    if (this.cancelRequested) throw new CancelledFailure(`Run cancelled; report: ${markdown}`);
    if (!this.stopping) return report;
    const first = [...report.datasets, ...summaries].find((s) => s.status === 'failed');
    throw ApplicationFailure.nonRetryable(
      `Stopped at the first failure (onFailure: failFast): ${first?.dataset}: ${first?.error?.message}. ` +
        `Report: ${markdown}`,
      'RunFailed',
      report,
    );
  }

  private failed(): void {
    this.progress.failed += 1;
    if (this.failFast && !this.stopping) {
      this.stopping = true;
      this.stop();
    }
  }
}

/** The summary of a dataset that did not run (failFast stopped the run first) or whose unit was cancelled. */
export const cancelledSummary = (dataset: string): DatasetSummary => ({
  dataset,
  status: 'cancelled',
  outputs: [],
  stages: {},
});

/** A folder the plan refused (a link outside the data root, a loop), reported like any failed dataset. */
export const refusedSummary = (r: NonNullable<RunPlan['refused']>[number]): DatasetSummary => ({
  dataset: r.dataset,
  status: 'failed',
  outputs: [],
  stages: {},
  error: { stage: 'resolve', type: r.type, message: r.message },
});

/** The summary a failed child carries in its failure details, or one built from the error. */
export function failedChildSummary(dataset: string, err: unknown): DatasetSummary {
  const cause = err instanceof ChildWorkflowFailure ? err.cause : undefined;
  const details = cause instanceof ApplicationFailure ? cause.details : undefined;
  const carried = details?.[0] as DatasetSummary | undefined;
  if (carried?.dataset === dataset) return carried;
  const info = describeFailure(err);
  const error = { stage: 'run' as const, type: info.type, message: info.message };
  return { dataset, status: 'failed', outputs: [], stages: {}, error };
}

/** The summaries of a batch whose activity failed as a whole: each of its datasets failed at compute. */
export function failedBatchSummaries(
  datasets: readonly string[],
  err: unknown,
  maximumAttempts: number,
): DatasetSummary[] {
  const info = describeFailure(err, maximumAttempts);
  const attempts = info.attempts ?? 1;
  return datasets.map((dataset) => ({
    dataset,
    status: 'failed',
    outputs: [],
    stages: { compute: { attempts, durationMs: 0 } },
    error: { stage: 'compute', type: info.type, message: info.message },
  }));
}

/** What the report activity returned before it built the report itself (histories recorded before). */
interface WrittenBefore {
  json: string;
  markdown: string;
  merged?: Pick<RunReport, 'status' | 'totals'> & { datasets?: DatasetSummary[] };
}

/**
 * The report the run returns: the one the report activity built, or, when the activity's result was
 * recorded by an older worker (only file names, and the merged totals of a long run), the report as
 * the workflow used to build it.
 */
export function reportOf(written: RunReport | WrittenBefore, facts: Omit<RunReport, 'status' | 'totals'>): RunReport {
  if ('totals' in written) return written;
  const files = { json: written.json, markdown: written.markdown };
  const report = buildReport(facts);
  const merged = written.merged;
  if (!merged) return { ...report, files };
  const datasets = merged.datasets ? { datasets: merged.datasets } : { datasets: [], datasetsIn: files.json };
  return { ...report, status: merged.status, totals: merged.totals, ...datasets, files };
}
