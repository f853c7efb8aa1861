/**
 * The durability promise, as checks over a finished run: it completed, every dataset's outputs
 * exist exactly once and are valid, and no stage whose completion Temporal recorded ran again.
 */
import path from 'node:path';
import pl from 'nodejs-polars';
import { expect } from 'vitest';
import type { LedgerEntry } from '../../activities/ledger';
import type { RunReport } from '../../common/report';
import { filesUnder } from './weekly';

const TABLES = ['hierarchy_sales', 'lost_sales_by_category', 'lost_sales_detail'];

/** Every dataset succeeded and the output root holds exactly its tables and the report, all readable. */
export async function expectExactlyOnceOutputs(
  report: RunReport,
  outputRoot: string,
  regions: string[],
): Promise<void> {
  expect(report.status).toBe('succeeded');
  expect(report.datasets.map((d) => d.dataset).sort()).toEqual([...regions].sort());
  const expected = [
    ...regions.flatMap((r) => TABLES.map((t) => path.join(report.week, r, `${t}.parquet`))),
    path.join(report.week, '_report.json'),
    path.join(report.week, '_report.md'),
    ...regions.map((r) => path.join('.fingerprints', report.week, `${r}.json`)),
  ].sort();
  expect(await filesUnder(outputRoot)).toEqual(expected); // nothing extra: no staging, no temporary, no duplicate
  for (const summary of report.datasets) {
    expect(summary.outputs.map((o) => o.table).sort()).toEqual(TABLES);
    for (const output of summary.outputs) {
      expect(pl.readParquet(output.path).height).toBe(output.rows);
    }
  }
}

/**
 * For each dataset stage, the attempt that completed (from the run's own summary) ran exactly once
 * and nothing of that stage started after it finished; earlier attempts are the retries.
 */
export function expectNoCompletedStageRanAgain(report: RunReport, ledger: LedgerEntry[]): void {
  for (const summary of report.datasets) {
    const workflowId = `${report.workflowId}/${summary.dataset}`;
    for (const [stage, run] of Object.entries(summary.stages)) {
      const lines = ledger.map((e, i) => ({ ...e, i })).filter((e) => e.workflowId === workflowId && e.stage === stage);
      const completed = lines.filter((e) => e.event === 'done' && e.attempt === run.attempts);
      expect(completed, `${workflowId} ${stage}: one recorded finish of attempt ${run.attempts}`).toHaveLength(1);
      const starts = lines.filter((e) => e.event === 'start');
      expect(
        starts.filter((e) => e.attempt === run.attempts),
        `${workflowId} ${stage}: attempt ${run.attempts} started once`,
      ).toHaveLength(1);
      expect(
        starts.filter((e) => e.attempt > run.attempts || e.i > completed[0]!.i),
        `${workflowId} ${stage}: nothing ran after it completed`,
      ).toEqual([]);
    }
  }
}

/** Stage attempts that were in flight when their worker died were retried: a later attempt completed. */
export function expectInFlightRetried(report: RunReport, interrupted: LedgerEntry[]): void {
  expect(interrupted.length).toBeGreaterThan(0);
  for (const entry of interrupted) {
    if (entry.dataset === '*') continue; // the planning stage is not in dataset summaries
    const summary = report.datasets.find((d) => `${report.workflowId}/${d.dataset}` === entry.workflowId);
    const completedAttempt = summary?.stages[entry.stage as keyof typeof summary.stages]?.attempts ?? 0;
    expect(
      completedAttempt,
      `${entry.workflowId} ${entry.stage} interrupted at attempt ${entry.attempt}`,
    ).toBeGreaterThan(entry.attempt);
  }
}
