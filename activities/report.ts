/** Writes the run report next to the outputs: JSON for tools, Markdown for people; atomically. */
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { checkWorkDir, reportDir } from '../common/paths';
import { buildReport, renderMarkdown, type MetricTotals, type RunReport } from '../common/report';
import type { DatasetSummary } from '../common/types';
import { makeOutputDir } from './outputFaults';
import { writeAtomically } from './storage';
import { compareWeeks, metricTotalsOf, previousTotals, previousWeek } from './weekOverWeek';

/** Adds each dataset's metric totals and, when last week's report is there, the changes. */
async function withWeekOverWeek(report: RunReport, outputRoot: string): Promise<RunReport> {
  const done = report.datasets.filter((d) => d.status === 'succeeded' || d.status === 'skipped');
  const totals = await metricTotalsOf(done);
  const previous = await previousTotals(report, outputRoot);
  return {
    ...report,
    metricTotals: totals,
    ...(previous ? { weekOverWeek: { previousWeek: previousWeek(report.week), changes: compareWeeks(totals, previous) } } : {}),
  };
}

/** Where the parts of a long run (one per continue-as-new) keep their dataset summaries. */
export interface SavedParts {
  runDir: string;
  parts: number;
}

const partFile = (runDir: string, part: number) => path.join(runDir, `part-${String(part).padStart(5, '0')}.json`);

export async function saveSummaries(runDir: string, part: number, summaries: DatasetSummary[]): Promise<void> {
  await writeAtomically(partFile(checkWorkDir(runDir, '.runs'), part), JSON.stringify(summaries));
}

/** Above this many datasets, the run's result carries totals only; the datasets are in the JSON file. */
export const INLINE_DATASETS = 1_000;

export interface WrittenReport {
  json: string;
  markdown: string;
  /** When earlier parts were merged in: the whole run's status and totals, and datasets if few. */
  merged?: Pick<RunReport, 'status' | 'totals'> & { datasets?: DatasetSummary[] };
}

export async function writeReport(current: RunReport, outputRoot: string, saved?: SavedParts): Promise<WrittenReport> {
  let run = current;
  // The run's folder is removed below: it must be <output root>/.runs/<run>, never the root or above.
  if (saved) checkWorkDir(saved.runDir, '.runs', outputRoot);
  const dir = reportDir(outputRoot, current.week);
  if (saved && saved.parts > 0) {
    const earlier: DatasetSummary[] = [];
    for (let part = 0; part < saved.parts; part++) {
      earlier.push(...(JSON.parse(await readFile(partFile(saved.runDir, part), 'utf8')) as DatasetSummary[]));
    }
    run = buildReport({ ...current, datasets: [...earlier, ...current.datasets] });
  }
  const report = await withWeekOverWeek(run, outputRoot);
  await makeOutputDir(dir);
  const files = { json: path.join(dir, '_report.json'), markdown: path.join(dir, '_report.md') };
  await writeAtomically(files.json, `${JSON.stringify({ ...report, files }, null, 2)}\n`);
  await writeAtomically(files.markdown, renderMarkdown(report));
  if (!saved || saved.parts === 0) return files;
  await rm(saved.runDir, { recursive: true, force: true });
  const { status, totals, datasets } = report;
  return { ...files, merged: { status, totals, ...(datasets.length <= INLINE_DATASETS ? { datasets } : {}) } };
}
