/**
 * The weekly load's outcome (workflows/outcome.ts), without a server: what the `progress` query
 * counts as units start, settle and end; failFast and cancellation; what a resumed part starts
 * from; how the run ends; and the report it returns when its activity result is an old one.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { buildReport, type RunReport } from '../common/report';
import type { DatasetSummary } from '../common/types';
import { failedBatchSummaries, refusedSummary, reportOf, RunOutcome } from '../workflows/outcome';

const summary = (dataset: string, status: DatasetSummary['status'], message?: string): DatasetSummary => ({
  dataset,
  status,
  outputs: [],
  stages: {},
  ...(message ? { error: { stage: 'read' as const, type: 'UnreadableParquet', message } } : {}),
});
const facts = (datasets: DatasetSummary[]) => ({
  pipeline: 'p',
  workflowId: 'wf',
  week: '2026-11-16',
  startedAt: 'a',
  finishedAt: 'b',
  datasets,
});
const files = { json: '/out/2026-11-16/_report.json', markdown: '/out/2026-11-16/_report.md' };
const built = (datasets: DatasetSummary[]): RunReport => ({ ...buildReport(facts(datasets)), files });

/** An outcome after planning `datasets`, and how many times it asked to stop the units in flight. */
function planned(datasets: number, options: { failFast?: boolean; refused?: DatasetSummary[] } = {}) {
  const outcome = new RunOutcome();
  const stops = { count: 0 };
  outcome.planned(datasets, options.refused ?? [], { failFast: options.failFast ?? false, stop: () => stops.count++ });
  return { outcome, stops };
}

describe('progress', () => {
  it('is planning until the plan is made, then counts units as they start, settle and end', () => {
    const outcome = new RunOutcome();
    expect(outcome.progress).toMatchObject({ phase: 'planning', total: 0, pending: 0 });
    outcome.planned(5, [], { failFast: false, stop: () => undefined });
    expect(outcome.progress).toMatchObject({ phase: 'running', total: 5, pending: 5, running: 0 });

    expect(outcome.starts(3)).toBe(true); // a batch of three
    expect(outcome.starts(1)).toBe(true);
    expect(outcome.progress).toMatchObject({ pending: 1, running: 4 });
    outcome.settle([summary('a', 'succeeded'), summary('b', 'skipped'), summary('c', 'late')]);
    outcome.ends(3);
    outcome.settle([summary('d', 'failed', 'bad file')]);
    outcome.ends(1);
    expect(outcome.progress).toEqual({
      phase: 'running',
      total: 5,
      pending: 1,
      running: 0,
      succeeded: 1,
      failed: 1,
      late: 1,
      skipped: 1,
    });
    outcome.reporting();
    expect(outcome.progress.phase).toBe('reporting');
  });

  it('counts refused datasets as failed at once, on top of the planned ones', () => {
    const refused = [refusedSummary({ dataset: 'loop', folder: 'sales/loop', type: 'SymlinkLoop', message: 'a loop' })];
    const { outcome } = planned(2, { refused });
    expect(outcome.progress).toMatchObject({ total: 3, pending: 2, failed: 1 });
    expect(refused[0]).toMatchObject({ status: 'failed', error: { stage: 'resolve', type: 'SymlinkLoop' } });
  });

  it('a resumed part starts from the counts and the stop the previous part carried', () => {
    const { outcome } = planned(4, { failFast: true });
    outcome.starts(1);
    outcome.settle([summary('a', 'failed', 'x')]);
    outcome.ends(1);
    const carried = JSON.parse(JSON.stringify(outcome.carry())) as ReturnType<RunOutcome['carry']>; // through a payload

    const next = new RunOutcome(carried);
    next.planned(4, [], { failFast: true, stop: () => undefined });
    expect(next.progress).toMatchObject({ phase: 'running', total: 4, pending: 3, failed: 1 });
    expect(next.starts(1)).toBe(false); // still stopping: the rest are cancelled
    expect(next.progress.pending).toBe(2);
  });
});

describe('failFast and cancellation', () => {
  it('stops at the first failure only, and starts nothing after it', () => {
    const { outcome, stops } = planned(4, { failFast: true });
    outcome.starts(1);
    outcome.starts(1);
    outcome.settle([summary('a', 'failed', 'x')]);
    outcome.settle([summary('b', 'failed', 'y')]);
    expect(stops.count).toBe(1);
    expect(outcome.starts(1)).toBe(false);
    expect(outcome.progress).toMatchObject({ pending: 1, running: 2, failed: 2 });
  });

  it('does not stop when failures are tolerated (onFailure: continue)', () => {
    const { outcome, stops } = planned(2);
    outcome.starts(1);
    outcome.settle([summary('a', 'failed', 'x')]);
    expect(stops.count).toBe(0);
    expect(outcome.starts(1)).toBe(true);
  });

  it('a refused dataset under failFast stops the run before anything starts, without cancelling anything', () => {
    const outside = { dataset: 'out', folder: 'sales/out', type: 'PathOutsideDataRoot' as const, message: 'm' };
    const refused = [refusedSummary(outside)];
    const { outcome, stops } = planned(2, { failFast: true, refused });
    expect(outcome.starts(1)).toBe(false);
    expect(stops.count).toBe(0);
  });

  it('a unit cancelled while failFast stops is not a cancelled run; one cancelled otherwise is', () => {
    const stopped = planned(2, { failFast: true }).outcome;
    stopped.settle([summary('a', 'failed', 'x')]);
    stopped.interrupted();
    expect(stopped.cancelled).toBe(false);

    const cancelled = planned(2).outcome;
    cancelled.interrupted();
    expect(cancelled.cancelled).toBe(true);
  });
});

describe('the ending', () => {
  it('returns the report when the run ran to its end', () => {
    const { outcome } = planned(1);
    const report = built([summary('a', 'succeeded')]);
    expect(outcome.close(report, report.datasets)).toBe(report);
    expect(outcome.progress.phase).toBe('done');
  });

  it('fails with RunFailed carrying the report under failFast, naming the first failure', () => {
    const { outcome } = planned(2, { failFast: true });
    const datasets = [summary('a', 'succeeded'), summary('b', 'failed', 'not parquet')];
    outcome.settle(datasets);
    const report = built(datasets);
    const thrown = (() => {
      try {
        outcome.close(report, datasets);
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(ApplicationFailure);
    const failure = thrown as ApplicationFailure;
    expect(failure.type).toBe('RunFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toBe(
      'Stopped at the first failure (onFailure: failFast): b: not parquet. Report: /out/2026-11-16/_report.md',
    );
    expect(failure.details?.[0]).toBe(report);
  });

  it('names the first failure from this part when the report does not list its datasets (a large run)', () => {
    const { outcome } = planned(2, { failFast: true });
    const datasets = [summary('z', 'failed', 'gone')];
    outcome.settle(datasets);
    const headline: RunReport = { ...built(datasets), datasets: [], datasetsIn: files.json };
    expect(() => outcome.close(headline, datasets)).toThrow('failFast): z: gone.');
  });

  it('is a cancellation when the run was cancelled, naming its report', () => {
    const { outcome } = planned(1);
    outcome.interrupted();
    expect(() => outcome.close(built([summary('a', 'cancelled')]), [])).toThrow(CancelledFailure);
    expect(() => outcome.close(built([]), [])).toThrow('Run cancelled; report: /out/2026-11-16/_report.md');
  });
});

describe('summaries of units that did not return their own', () => {
  it('a failed batch fails each of its datasets at compute, with the attempts its activity recorded', () => {
    const err = ApplicationFailure.retryable('disk unavailable', 'OutputUnwritable', { attempt: 3 });
    const summaries = failedBatchSummaries(['a', 'b'], err, 5);
    expect(summaries.map((s) => s.dataset)).toEqual(['a', 'b']);
    for (const s of summaries) {
      expect(s).toMatchObject({
        status: 'failed',
        stages: { compute: { attempts: 3, durationMs: 0 } },
        error: { stage: 'compute', type: 'OutputUnwritable', message: 'disk unavailable' },
      });
    }
  });
});

describe('the report a run returns', () => {
  it('is the one the report activity built', () => {
    const report = built([summary('a', 'succeeded')]);
    expect(reportOf({ ...report, metricTotals: { a: { units: 3 } } }, facts(report.datasets))).toMatchObject({
      metricTotals: { a: { units: 3 } },
    });
  });

  it('from an activity result recorded before (file names only), is built as the workflow used to', () => {
    const datasets = [summary('a', 'succeeded'), summary('b', 'failed', 'x')];
    expect(reportOf(files, facts(datasets))).toEqual({ ...buildReport(facts(datasets)), files });
  });

  it('from an older result of a long run, takes the merged status and totals, and the file for many datasets', () => {
    const datasets = [summary('c', 'succeeded')];
    const whole = buildReport(facts([summary('a', 'failed', 'x'), summary('b', 'succeeded'), ...datasets]));
    const merged = { status: whole.status, totals: whole.totals };
    expect(reportOf({ ...files, merged: { ...merged, datasets: whole.datasets } }, facts(datasets))).toMatchObject({
      status: 'partial',
      totals: { datasets: 3, failed: 1 },
      datasets: whole.datasets,
      files,
    });
    const large = reportOf({ ...files, merged }, facts(datasets));
    expect(large).toMatchObject({ status: 'partial', datasets: [], datasetsIn: files.json });
  });
});
