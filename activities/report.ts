/** Writes the run report next to the outputs: JSON for tools, Markdown for people; atomically. */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderMarkdown, type RunReport } from '../common/report';
import { compareWeeks, metricTotals, previousTotals, previousWeek } from './weekOverWeek';

/** Adds each dataset's metric totals and, when last week's report is there, the changes. */
async function withWeekOverWeek(report: RunReport, outputRoot: string): Promise<RunReport> {
  const done = report.datasets.filter((d) => d.status === 'succeeded' || d.status === 'skipped');
  // Totals are a courtesy: an output that cannot be read back must not cost the report itself.
  const totals = Object.fromEntries(await Promise.all(done.map(async (d) => [d.dataset, await metricTotals(d.outputs).catch(() => ({}))] as const)));
  const previous = await previousTotals(report, outputRoot);
  return {
    ...report,
    metricTotals: totals,
    ...(previous ? { weekOverWeek: { previousWeek: previousWeek(report.week), changes: compareWeeks(totals, previous) } } : {}),
  };
}

/** Writes a small text file under a temporary name, then renames it: readers never see half of it. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

export async function writeReport(run: RunReport, outputRoot: string): Promise<{ json: string; markdown: string }> {
  const report = await withWeekOverWeek(run, outputRoot);
  const dir = path.join(outputRoot, report.week);
  await mkdir(dir, { recursive: true });
  const files = { json: path.join(dir, '_report.json'), markdown: path.join(dir, '_report.md') };
  await writeAtomically(files.json, `${JSON.stringify({ ...report, files }, null, 2)}\n`);
  await writeAtomically(files.markdown, renderMarkdown(report));
  return files;
}
