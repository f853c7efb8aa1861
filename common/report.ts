/** The run report: totals from the per-dataset summaries, and a readable Markdown table. Pure. */
import type { DatasetSummary } from './types';

export interface RunReport {
  pipeline: string;
  workflowId: string;
  week: string;
  startedAt: string;
  finishedAt: string;
  /** succeeded: every dataset succeeded (or was skipped, unchanged); partial: some did not; failed: none did. */
  status: 'succeeded' | 'partial' | 'failed';
  totals: {
    datasets: number;
    succeeded: number;
    failed: number;
    cancelled: number;
    late: number;
    skipped: number;
    rowsIn: number;
    rowsOut: number;
    /** Datasets with data-quality warnings (counted among succeeded, skipped or failed as well); absent when none. */
    warnings?: number;
  };
  datasets: DatasetSummary[];
  files?: { json: string; markdown: string };
  /** Set when the run had too many datasets to return them all: they are in this JSON file. */
  datasetsIn?: string;
  /** Headline totals of each dataset's outputs (added when the report is written). */
  metricTotals?: Record<string, MetricTotals>;
  /** Changes against the previous week's report in the same output root, when there is one. */
  weekOverWeek?: { previousWeek: string; changes: WeekChange[] };
  /** The week's snapshot this run committed (common/manifest.ts): its manifest file and what it holds. */
  snapshot?: { manifest: string; generation: number; committedAt: string; datasets: number; notCommitted: number };
}

export type MetricTotals = Record<string, number>;

export interface WeekChange {
  dataset: string;
  metric: string;
  previous: number;
  current: number;
  /** (current - previous) / |previous|. */
  change: number;
  flagged: boolean;
}

export function buildReport(run: Omit<RunReport, 'status' | 'totals'>): RunReport {
  const count = (status: DatasetSummary['status']) => run.datasets.filter((d) => d.status === status).length;
  const succeeded = count('succeeded');
  const warned = run.datasets.filter((d) => (d.warnings?.length ?? 0) > 0).length;
  const totals: RunReport['totals'] = {
    datasets: run.datasets.length,
    succeeded,
    failed: count('failed'),
    cancelled: count('cancelled'),
    late: count('late'),
    skipped: count('skipped'),
    rowsIn: run.datasets.reduce((n, d) => n + (d.rowsIn?.transactions ?? 0) + (d.rowsIn?.stock ?? 0), 0),
    rowsOut: run.datasets.reduce((n, d) => n + d.outputs.reduce((m, o) => m + o.rows, 0), 0),
    // Only when there are some: the totals of a clean run read as they always have.
    ...(warned > 0 ? { warnings: warned } : {}),
  };
  const ok = succeeded + totals.skipped;
  const status = ok === totals.datasets ? 'succeeded' : ok === 0 ? 'failed' : 'partial';
  return { ...run, status, totals };
}

const seconds = (ms: number | undefined) => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)}s`);
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderMarkdown(report: RunReport): string {
  const t = report.totals;
  const lines = [
    `# ${report.pipeline}: week of ${report.week}`,
    '',
    `Run \`${report.workflowId}\`: **${report.status}**, ${t.succeeded}/${t.datasets} datasets succeeded` +
      `${t.failed ? `, ${t.failed} failed` : ''}${t.late ? `, ${t.late} late` : ''}${t.skipped ? `, ${t.skipped} skipped (unchanged)` : ''}` +
      `${t.cancelled ? `, ${t.cancelled} cancelled` : ''}${t.warnings ? `, ${t.warnings} with warnings` : ''}; ` +
      `${t.rowsIn} rows in, ${t.rowsOut} rows out. Started ${report.startedAt}, finished ${report.finishedAt}.`,
    '',
    '| dataset | status | rows in | rows out | read | compute | write | attempts (read/compute/write) | error or note |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const d of report.datasets) {
    const rowsIn = d.rowsIn ? d.rowsIn.transactions + d.rowsIn.stock : '';
    const rowsOut = d.outputs.reduce((n, o) => n + o.rows, 0);
    const attempts = (['read', 'compute', 'write'] as const).map((s) => d.stages[s]?.attempts ?? '-').join('/');
    const warned = d.warnings?.length ? `⚠ ${d.warnings.map((w) => w.rule).join(', ')} (see Warnings)` : '';
    const failure = d.error ? `${d.error.stage}: ${d.error.type}: ${d.error.message}` : d.note;
    const problem = failure ? cell(failure) : '';
    const error = [problem, warned].filter(Boolean).join(' ');
    lines.push(
      `| ${d.dataset} | ${d.status} | ${rowsIn} | ${d.status === 'succeeded' ? rowsOut : ''} | ${seconds(d.stages.read?.durationMs)} | ` +
        `${seconds(d.stages.compute?.durationMs)} | ${seconds(d.stages.write?.durationMs)} | ${attempts} | ${error} |`,
    );
  }
  const warned = report.datasets.filter((d) => d.warnings?.length);
  if (warned.length > 0) {
    const why = "Data-quality rules set to `warn` in the spec's `quality` section: not failed, but check them.";
    lines.push('', '## Warnings', '', why, '');
    for (const d of warned) {
      for (const w of d.warnings ?? []) lines.push(`- ${d.dataset}: ${w.rule}: ${w.message.replace(/\n/g, ' ')}`);
    }
  }
  if (report.weekOverWeek) lines.push('', ...renderWeekOverWeek(report.weekOverWeek));
  return `${lines.join('\n')}\n`;
}

function renderWeekOverWeek(wow: NonNullable<RunReport['weekOverWeek']>): string[] {
  const flagged = wow.changes.filter((c) => c.flagged);
  const percent = (c: WeekChange) =>
    Number.isFinite(c.change) ? `${c.change >= 0 ? '+' : ''}${(c.change * 100).toFixed(1)}%` : 'new';
  return [
    `## Week over week (against ${wow.previousWeek})`,
    '',
    flagged.length === 0
      ? 'No large changes.'
      : `**${flagged.length} large change${flagged.length === 1 ? '' : 's'}** (flagged ⚠):`,
    '',
    '| dataset | metric | previous | this week | change |',
    '| --- | --- | ---: | ---: | ---: |',
    ...wow.changes.map(
      (c) =>
        `| ${c.dataset} | ${c.metric} | ${c.previous.toFixed(2)} | ${c.current.toFixed(2)} | ${percent(c)}${c.flagged ? ' ⚠' : ''} |`,
    ),
  ];
}
