/**
 * The run page: header, totals (from the run report), the timeline (one lane per dataset, bars
 * placed in percent of the run's duration so the page needs no script to lay out), and the
 * per-dataset table. Pure: a timeline and a report in, one self-contained HTML string out.
 */
import type { RunReport } from '../../common/report';
import { DATASET_STAGES, type DatasetStage } from '../../common/stages';
import type { DatasetSummary } from '../../common/types';
import { totalsByMetric } from '../../metrics';
import { CSS, OTHER_COLOUR, SCRIPT, STAGE_COLOURS } from './style';
import type { Lane, Marker, Segment, Timeline } from './timeline';

export interface PageOptions {
  /** Web UI page of a workflow, for links; absent: no links. */
  workflowUrl?: (workflowId: string) => string;
}

const esc = (text: unknown): string =>
  String(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const s = Math.round(ms / 1_000);
  if (s < 3_600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3_600)} h ${String(Math.floor((s % 3_600) / 60)).padStart(2, '0')} min`;
}

const iso = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');

/** Tick step: the smallest "round" step that gives at most ~10 ticks. */
const STEPS_MS = [
  100, 200, 500, 1e3, 2e3, 5e3, 1e4, 15e3, 3e4, 6e4, 12e4, 3e5, 6e5, 9e5, 18e5, 36e5, 72e5, 216e5, 432e5, 864e5,
];
export function ticks(durationMs: number): number[] {
  const step = STEPS_MS.find((s) => durationMs / s <= 10) ?? durationMs / 10;
  const out: number[] = [];
  for (let t = 0; t <= durationMs + 1e-9; t += step) out.push(t);
  return out;
}

/** Rows within a lane: activities that overlap in time (read and readReference) go on separate rows. */
export function packRows(segments: readonly Segment[]): Map<number, number> {
  const groups = new Map<number, { start: number; end: number }>();
  for (const s of segments) {
    const g = groups.get(s.group);
    groups.set(
      s.group,
      g ? { start: Math.min(g.start, s.start), end: Math.max(g.end, s.end) } : { start: s.start, end: s.end },
    );
  }
  const rowEnds: number[] = [];
  const rowOf = new Map<number, number>();
  for (const [group, span] of [...groups].sort((a, b) => a[1].start - b[1].start)) {
    let row = rowEnds.findIndex((end) => end <= span.start);
    if (row < 0) row = rowEnds.push(span.end) - 1;
    else rowEnds[row] = span.end;
    rowOf.set(group, row);
  }
  return rowOf;
}

const ROW_PX = 22;

function segmentHtml(s: Segment, place: (t: number) => number, row: number): string {
  const left = place(s.start);
  const width = Math.max(place(s.end) - left, 0);
  const colour = STAGE_COLOURS[s.stage] ?? OTHER_COLOUR;
  let text = s.stage;
  let tip = `${s.stage}: ${formatDuration(s.end - s.start)}`;
  const data = [`data-stage="${esc(s.stage)}"`, `data-kind="${s.kind}"`, `data-outcome="${s.outcome}"`];
  if (s.kind === 'queued') tip = `${s.stage}: waited ${formatDuration(s.end - s.start)} for a worker`;
  if (s.kind === 'retrying') {
    const failed = (s.attempts ?? 2) - 1;
    text = failed === 1 ? 'attempt 1 failed' : `attempts 1–${failed} failed`;
    tip = `${s.stage}: ${text}, retried (${formatDuration(s.end - s.start)} with backoff); last error: ${s.detail ?? '?'}`;
    data.push(`data-attempts="${s.attempts ?? ''}"`);
  }
  if (s.kind === 'attempt') {
    if ((s.attempt ?? 1) > 1) text = `${s.stage} · attempt ${s.attempt}`;
    tip = `${s.stage}, attempt ${s.attempt}: ${s.outcome}, ${formatDuration(s.end - s.start)}${s.detail ? `\n${s.detail}` : ''}`;
    data.push(`data-attempt="${s.attempt ?? 1}"`);
  }
  if (s.kind === 'waiting') tip = `waiting for data: ${formatDuration(s.end - s.start)}, ${s.detail ?? ''}`;
  tip += `\n${iso(s.start)} → ${iso(s.end)}`;
  const style = `left:${left.toFixed(3)}%;width:${width.toFixed(3)}%;top:${4 + row * ROW_PX}px;background-color:${colour}`;
  const cls = `seg seg-${s.kind} outcome-${s.outcome}`;
  return `<div class="${cls}" ${data.join(' ')} style="${style}" title="${esc(tip)}" data-tip="${esc(tip)}">${esc(text)}</div>`;
}

const MARKER_TEXT: Record<Marker['kind'], string> = {
  failed: '✕ failed',
  late: '⏰ late',
  skipped: '↷ skipped',
  cancelled: '⊘ cancelled',
};

/** A dataset lane (class `lane`), or the run's own lane (class `run-lane`, not a dataset). */
function laneHtml(
  lane: Lane,
  place: (t: number) => number,
  options: PageOptions,
  cls: 'lane' | 'run-lane' = 'lane',
): string {
  const rows = packRows(lane.segments);
  const height = 8 + Math.max(1, ...[...rows.values()].map((r) => r + 1)) * ROW_PX;
  const retried = lane.segments.filter((s) => s.kind === 'retrying').map((s) => `${s.stage} ×${s.attempts}`);
  const name =
    options.workflowUrl && lane.workflowId
      ? `<a href="${esc(options.workflowUrl(lane.workflowId))}">${esc(lane.name)}</a>`
      : esc(lane.name);
  const label =
    `<div class="label" title="${esc(lane.workflowId ?? lane.name)}">${name}<span class="badge ${esc(lane.status)}">${esc(lane.status)}</span>` +
    (retried.length ? `<span class="retried">↻ retried: ${esc(retried.join(', '))}</span>` : '') +
    '</div>';
  const life =
    lane.start !== undefined && lane.end !== undefined
      ? `<div class="life" style="left:${place(lane.start).toFixed(3)}%;width:${Math.max(place(lane.end) - place(lane.start), 0).toFixed(3)}%"></div>`
      : '';
  const segments = lane.segments.map((s) => segmentHtml(s, place, rows.get(s.group) ?? 0)).join('');
  const markers = lane.markers
    .map(
      (m) =>
        `<div class="marker marker-${m.kind}" style="left:${place(m.at).toFixed(3)}%" title="${esc(m.text)}" data-tip="${esc(m.text)}"><span>${MARKER_TEXT[m.kind]}</span></div>`,
    )
    .join('');
  const note = lane.segments.length === 0 && lane.note ? `<div class="note">${esc(lane.note)}</div>` : '';
  return (
    `<div class="row ${cls}" ${cls === 'lane' ? 'data-dataset' : 'data-lane'}="${esc(lane.name)}" data-status="${esc(lane.status)}">` +
    `${label}<div class="track" style="height:${height}px">${life}${segments}${markers}${note}</div></div>`
  );
}

function timelineHtml(timeline: Timeline, options: PageOptions): string {
  const span = Math.max(timeline.end - timeline.start, 1);
  const place = (t: number) => Math.min(Math.max(((t - timeline.start) / span) * 100, 0), 100);
  const axis = ticks(span)
    .map(
      (t) =>
        `<span class="tick" style="left:${((t / span) * 100).toFixed(3)}%">${t === 0 ? '0' : `+${formatDuration(t)}`}</span>`,
    )
    .join('');
  const stages = [...new Set([timeline.run, ...timeline.lanes].flatMap((l) => l.segments.map((s) => s.stage)))];
  const legend =
    stages
      .map(
        (s) =>
          `<span><i style="background:${STAGE_COLOURS[s] ?? OTHER_COLOUR}"></i>${esc(s === 'waiting' ? 'waiting for data' : s)}</span>`,
      )
      .join('') +
    '<span><i style="background:#dfe4ea"></i>queued for a worker</span>' +
    '<span><i class="seg-retrying" style="position:static"></i>failed attempts + retry backoff</span>' +
    '<span><i style="background:var(--fail)"></i>failed</span>';
  return (
    `<section id="timeline"><h2>Timeline</h2><div class="legend">${legend}</div><div class="timeline">` +
    `<div class="row axis"><div class="label" title="${esc(iso(timeline.start))}">${esc(iso(timeline.start).slice(11))}</div><div class="track">${axis}</div></div>` +
    laneHtml(timeline.run, place, options, 'run-lane') +
    timeline.lanes.map((l) => laneHtml(l, place, options)).join('') +
    '</div></section>'
  );
}

function totalsHtml(report: RunReport | undefined, timeline: Timeline): string {
  if (!report)
    return `<section id="totals"><p class="sub">No run report yet: the run is ${timeline.outcome === 'running' ? 'still running' : `${timeline.outcome}, without a report`}.</p></section>`;
  // Reports written before a status existed lack its count: read as 0.
  const t = {
    ...report.totals,
    late: report.totals.late ?? 0,
    skipped: report.totals.skipped ?? 0,
    cancelled: report.totals.cancelled ?? 0,
    warnings: report.totals.warnings ?? 0,
  };
  const card = (key: string, value: number | string, label: string, bad = false) =>
    `<div class="total${bad ? ' bad' : ''}" data-total="${key}"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;
  return (
    '<section id="totals">' +
    card('datasets', t.datasets, 'datasets') +
    card('succeeded', t.succeeded, 'succeeded') +
    card('failed', t.failed, 'failed', t.failed > 0) +
    card('late', t.late, 'late', t.late > 0) +
    card('skipped', t.skipped, 'skipped (unchanged)') +
    card('cancelled', t.cancelled, 'cancelled', t.cancelled > 0) +
    card('warnings', t.warnings, 'with warnings', t.warnings > 0) +
    card('rowsIn', t.rowsIn.toLocaleString('en-US'), 'rows in') +
    card('rowsOut', t.rowsOut.toLocaleString('en-US'), 'rows out') +
    card('duration', formatDuration(Date.parse(report.finishedAt) - Date.parse(report.startedAt)), 'run time') +
    '</section>'
  );
}

function datasetRow(d: DatasetSummary): string {
  const stage = (s: DatasetStage) => {
    const run = d.stages[s];
    return run ? `${formatDuration(run.durationMs)}${run.attempts > 1 ? ` <b>×${run.attempts}</b>` : ''}` : '';
  };
  const rowsIn = d.rowsIn ? d.rowsIn.transactions + d.rowsIn.stock : undefined;
  const rowsOut = d.outputs.reduce((n, o) => n + o.rows, 0);
  const problem = d.error ? `${d.error.stage}: ${d.error.type}: ${d.error.message}` : (d.note ?? '');
  const warnings = d.warnings?.length
    ? `<ul class="warnings">${d.warnings.map((w) => `<li data-rule="${esc(w.rule)}">⚠ ${esc(w.rule)}: ${esc(w.message)}</li>`).join('')}` +
      '</ul>'
    : '';
  return (
    `<tr data-dataset="${esc(d.dataset)}"><td>${esc(d.dataset)}</td><td><span class="badge ${esc(d.status)}">${esc(d.status)}</span></td>` +
    `<td class="num">${rowsIn ?? ''}</td><td class="num">${d.status === 'succeeded' ? rowsOut : ''}</td>` +
    DATASET_STAGES.map((s) => `<td class="num">${stage(s)}</td>`).join('') +
    `<td class="${d.error ? 'err' : ''}">${esc(problem)}${warnings}</td></tr>`
  );
}

function datasetsHtml(report: RunReport | undefined): string {
  if (!report) return '';
  const flagged = report.weekOverWeek?.changes.filter((c) => c.flagged) ?? [];
  const wow = flagged.length
    ? `<h2>Week over week (against ${esc(report.weekOverWeek?.previousWeek)})</h2><ul>` +
      flagged
        .map((c) => `<li>${esc(c.dataset)} ${esc(c.metric)}: ${c.previous.toFixed(2)} → ${c.current.toFixed(2)} ⚠</li>`)
        .join('') +
      '</ul>'
    : '';
  return (
    '<section id="datasets"><h2>Datasets</h2><table><thead><tr><th>dataset</th><th>status</th><th class="num">rows in</th><th class="num">rows out</th>' +
    DATASET_STAGES.map((s) => `<th class="num">${s}</th>`).join('') +
    `<th>error or note</th></tr></thead><tbody>${report.datasets.map(datasetRow).join('')}</tbody></table></section>${wow}`
  );
}

/** Each dataset's metric totals, grouped under the title of the metric that declares them (metrics/). */
function metricTotalsHtml(report: RunReport | undefined): string {
  const totals = report?.metricTotals ?? {};
  const datasets = Object.keys(totals);
  const shown = totalsByMetric()
    .map((m) => ({ ...m, totals: m.totals.filter((t) => datasets.some((d) => totals[d]?.[t.name] !== undefined)) }))
    .filter((m) => m.totals.length > 0);
  if (shown.length === 0) return '';
  const value = (v: number | undefined, ratio: boolean) =>
    v === undefined ? '' : ratio ? `${(v * 100).toFixed(1)}%` : v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  const groups = shown.map(
    (m) => `<th colspan="${m.totals.length}" data-metric="${esc(m.metric.name)}">${esc(m.metric.title)}</th>`,
  );
  const names = shown.flatMap((m) => m.totals.map((t) => `<th class="num">${esc(t.name.replace(/_/g, ' '))}</th>`));
  const cell = (d: string, t: { name: string; ratio: boolean }) =>
    `<td class="num" data-total="${esc(t.name)}">${value(totals[d]?.[t.name], t.ratio)}</td>`;
  const cells = (d: string) => shown.flatMap((m) => m.totals.map((t) => cell(d, t))).join('');
  const rows = datasets.map((d) => `<tr data-dataset="${esc(d)}"><td>${esc(d)}</td>${cells(d)}</tr>`);
  return (
    '<section id="metric-totals"><h2>Metric totals</h2><table><thead>' +
    `<tr><th rowspan="2">dataset</th>${groups.join('')}</tr><tr>${names.join('')}</tr>` +
    `</thead><tbody>${rows.join('')}</tbody></table></section>`
  );
}

export function renderPage(timeline: Timeline, report: RunReport | undefined, options: PageOptions = {}): string {
  const title = report ? `${report.pipeline}: week of ${report.week}` : timeline.workflowId;
  const status = report?.status ?? timeline.outcome;
  const id = options.workflowUrl
    ? `<a href="${esc(options.workflowUrl(timeline.workflowId))}"><code>${esc(timeline.workflowId)}</code></a>`
    : `<code>${esc(timeline.workflowId)}</code>`;
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title><style>${CSS}</style></head><body>`,
    `<header><h1>${esc(title)} <span class="badge ${esc(status)}" id="run-status">${esc(status)}</span></h1>`,
    `<p class="sub">Run ${id}: started ${esc(iso(timeline.start))}, ${timeline.outcome === 'running' ? 'still running' : `ended ${esc(iso(timeline.end))}`} (${esc(formatDuration(timeline.end - timeline.start))}).</p></header>`,
    totalsHtml(report, timeline),
    timelineHtml(timeline, options),
    datasetsHtml(report),
    metricTotalsHtml(report),
    `<div id="tip"></div><script>${SCRIPT}</script></body></html>`,
  ].join('\n');
}
