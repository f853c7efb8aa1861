/**
 * A run's report, read back as the report activity built it: the run's result (or the failure
 * details of a failFast stop), and the `_report.json` it names for what a result leaves out (the
 * datasets of a very large run; the metric totals and week over week of runs from before the run
 * returned them). Nothing here rebuilds a report.
 */
import { readFile } from 'node:fs/promises';
import type { RunReport } from '../common/report';

/** The report file `file` if it is run `workflowId`'s (not a later run's of the same week). */
export async function writtenReport(file: string, workflowId: string): Promise<RunReport | undefined> {
  const report = (await readFile(file, 'utf8').then(JSON.parse, () => undefined)) as RunReport | undefined;
  return report?.workflowId === workflowId ? report : undefined;
}

/**
 * The whole report of a run from the one it returned: as is when it has everything, else the
 * file it names, when that file is still this run's; else what it returned.
 */
export async function wholeReport(returned: RunReport): Promise<RunReport> {
  const lacking = returned.datasetsIn !== undefined || returned.metricTotals === undefined;
  const file = returned.datasetsIn ?? returned.files?.json;
  if (!lacking || !file) return returned;
  return (await writtenReport(file, returned.workflowId)) ?? returned;
}
