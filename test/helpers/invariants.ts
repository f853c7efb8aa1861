/**
 * The durability promise, as checks over a finished run: it completed, every dataset's outputs
 * exist exactly once and are valid, and no stage whose completion Temporal recorded ran again.
 */
import path from 'node:path';
import pl from 'nodejs-polars';
import { expect } from 'vitest';
import type { LedgerEntry } from '../../activities/ledger';
import type { RunReport } from '../../common/report';
import { expectConsistentSnapshot } from './snapshot';
import { filesUnder } from './weekly';

const TABLES = ['hierarchy_sales', 'lost_sales_by_category', 'lost_sales_detail'];

/**
 * Every dataset succeeded; the output root holds exactly the committed snapshot (its manifest and
 * the files it lists, each whole), the report and nothing else; every output is readable.
 */
export async function expectExactlyOnceOutputs(
  report: RunReport,
  outputRoot: string,
  regions: string[],
): Promise<void> {
  expect(report.status).toBe('succeeded');
  expect(report.datasets.map((d) => d.dataset).sort()).toEqual([...regions].sort());
  const snapshot = await expectConsistentSnapshot(outputRoot, report.week);
  expect(snapshot.datasets.map((d) => d.dataset)).toEqual([...regions].sort());
  expect(report.snapshot?.generation).toBe(snapshot.generation);
  const expected = [
    ...snapshot.datasets.flatMap((d) => d.tables.map((t) => t.path)),
    path.join(report.week, '_report.json'),
    path.join(report.week, '_report.md'),
    path.relative(outputRoot, report.snapshot!.manifest),
  ].sort();
  for (const d of snapshot.datasets) {
    expect(d.tables.map((t) => t.path).sort()).toEqual(
      TABLES.map((t) => expect.stringMatching(new RegExp(`^${report.week}/${d.dataset}/run-[^/]+/${t}\\.parquet$`))),
    );
  }
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
