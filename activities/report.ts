/**
 * Builds the run report, the one place it is built, and writes it next to the outputs: JSON for
 * tools, Markdown for people; atomically.
 */
import { checkWorkDir, reportDir } from '../common/paths';
import { buildReport, renderMarkdown, type RunReport } from '../common/report';
import type { DatasetSummary } from '../common/types';
import type { CommitMode, WeekManifest } from '../common/manifest';
import { commitWeek, type StepHook } from './commit';
import { joinPath, storageFor } from '../storage';
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
    ...(previous
      ? { weekOverWeek: { previousWeek: previousWeek(report.week), changes: compareWeeks(totals, previous) } }
      : {}),
  };
}

/** What the report says of the snapshot its run committed. */
function snapshotOf({ manifest, file }: { manifest: WeekManifest; file: string }): NonNullable<RunReport['snapshot']> {
  return {
    manifest: file,
    generation: manifest.generation,
    committedAt: manifest.committedAt,
    datasets: manifest.datasets.length,
    notCommitted: manifest.notCommitted.length,
  };
}

/** Where the parts of a long run (one per continue-as-new) keep their dataset summaries. */
export interface SavedParts {
  runDir: string;
  parts: number;
}

const partFile = (runDir: string, part: number) => joinPath(runDir, `part-${String(part).padStart(5, '0')}.json`);

export async function saveSummaries(runDir: string, part: number, summaries: DatasetSummary[]): Promise<void> {
  await writeAtomically(partFile(checkWorkDir(runDir, '.runs'), part), JSON.stringify(summaries));
}

/** The summaries the earlier parts of a long run saved, in the order they ran. */
async function savedSummaries(saved: SavedParts): Promise<DatasetSummary[]> {
  const earlier: DatasetSummary[] = [];
  for (let part = 0; part < saved.parts; part++) {
    const file = partFile(saved.runDir, part);
    const text = (await storageFor(file).read(file))?.toString('utf8');
    if (text === undefined) throw new Error(`The saved part ${file} of this run is missing`);
    earlier.push(...(JSON.parse(text) as DatasetSummary[]));
  }
  return earlier;
}

/**
 * What the workflow knows of its run when it reports; the report is built from it here, once.
 * Workflows recorded before sent a built report: its status and totals are built again.
 */
export type RunFacts = Omit<RunReport, 'status' | 'totals'> & Partial<Pick<RunReport, 'status' | 'totals'>>;

/** Above this many datasets, the run's result carries the headline only; the rest is in the JSON file. */
export const INLINE_DATASETS = 1_000;
/**
 * Nor above this many bytes of JSON (metric totals and week over week grow with the datasets): a
 * run's result is one payload, and the server refuses payloads over 2 MB by default.
 */
export const INLINE_BYTES = 1_000_000;

/** The report as the run returns it: whole when it is small, else its headline and the file that has the rest. */
export function returnedReport(report: RunReport & { files: NonNullable<RunReport['files']> }): RunReport {
  const small = report.datasets.length <= INLINE_DATASETS && Buffer.byteLength(JSON.stringify(report)) <= INLINE_BYTES;
  if (small) return report;
  const { metricTotals: _totals, weekOverWeek: _changes, ...headline } = report;
  return { ...headline, datasets: [], datasetsIn: report.files.json };
}

/**
 * Builds the run report (this part's summaries, those the earlier parts of a long run saved, the
 * totals, each dataset's metric totals, week over week), writes it as JSON and Markdown, and returns
 * it: the run returns it as is. The one place a report is built.
 */
export async function writeReport(
  run: RunFacts,
  outputRoot: string,
  saved?: SavedParts,
  commit: { mode?: CommitMode; runId?: string; step?: StepHook } = {},
): Promise<RunReport> {
  // The run's folder is removed below: it must be <output root>/.runs/<run>, never the root or above.
  if (saved) checkWorkDir(saved.runDir, '.runs', outputRoot);
  const earlier = saved ? await savedSummaries(saved) : [];
  const { status: _status, totals: _totals, ...facts } = run;
  const built = await withWeekOverWeek(buildReport({ ...facts, datasets: [...earlier, ...run.datasets] }), outputRoot);
  // The week's snapshot is committed before the report that tells of it is written.
  const committed = await commitWeek(
    outputRoot,
    {
      pipeline: run.pipeline,
      week: run.week,
      workflowId: run.workflowId,
      runId: commit.runId ?? 'standalone',
      mode: commit.mode ?? 'replace',
      datasets: built.datasets,
      metricTotals: built.metricTotals ?? {},
    },
    commit.step,
  );
  const report: RunReport = { ...built, snapshot: snapshotOf(committed) };
  const dir = reportDir(outputRoot, run.week);
  const files = { json: joinPath(dir, '_report.json'), markdown: joinPath(dir, '_report.md') };
  await writeAtomically(files.json, `${JSON.stringify({ ...report, files }, null, 2)}\n`);
  await writeAtomically(files.markdown, renderMarkdown(report));
  if (saved && saved.parts > 0) await storageFor(saved.runDir).removeTree(saved.runDir);
  return returnedReport({ ...report, files });
}
