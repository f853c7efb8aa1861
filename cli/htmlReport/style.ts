/** The page's inline stylesheet and script: the page must open from a file with no network. */
import type { Stage } from '../../common/stages';
import type { RunStep } from './timeline';

/** One colour per stage, shared by bars and legend; stages not listed get the neutral one. */
export const STAGE_COLOURS: Record<string, string> & Record<Stage | RunStep, string> = {
  resolve: '#b07aa1',
  waiting: '#a0b4c8',
  read: '#4e79a7',
  readReference: '#76b7b2',
  'unchanged check': '#bab0ac',
  compute: '#f28e2b',
  batch: '#9467bd',
  write: '#59a14f',
  cleanup: '#9c755f',
  report: '#edc948',
};
export const OTHER_COLOUR = '#8c8c8c';

export const CSS = `
:root { --fail: #d62728; --late: #e07b00; --skip: #7f7f7f; --ink: #1f2328; --muted: #59636e; --line: #d0d7de; }
* { box-sizing: border-box; }
body { margin: 0; padding: 20px 24px 40px; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink); background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa; padding: 1px 4px; border-radius: 4px; }
.sub { color: var(--muted); margin: 0; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; color: #fff; background: var(--skip); vertical-align: middle; }
.badge.succeeded, .badge.completed { background: #2da44e; } .badge.failed { background: var(--fail); } .badge.partial { background: var(--late); }
.badge.late { background: var(--late); } .badge.running { background: #0969da; } .badge.cancelled { background: #6e7781; }
#totals { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 14px; }
.total { border: 1px solid var(--line); border-radius: 8px; padding: 8px 14px; min-width: 110px; }
.total b { display: block; font-size: 20px; } .total span { color: var(--muted); font-size: 12px; }
.total.bad b { color: var(--fail); }
.legend { display: flex; flex-wrap: wrap; gap: 14px; font-size: 12px; color: var(--muted); margin-bottom: 8px; }
.legend i { display: inline-block; width: 14px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: middle; }
.timeline { border: 1px solid var(--line); border-radius: 8px; padding: 6px 10px 10px; }
.row { display: grid; grid-template-columns: 200px 1fr; align-items: stretch; border-top: 1px solid #eef1f4; }
.row:first-child { border-top: 0; }
.label { padding: 6px 8px 6px 0; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.label .badge { font-size: 10px; margin-left: 4px; }
.label .retried { display: block; font-weight: 400; font-size: 11px; color: var(--late); }
.track { position: relative; min-height: 30px; }
.axis .track { height: 22px; min-height: 22px; border-bottom: 1px solid var(--line); }
.tick { position: absolute; bottom: 0; font-size: 11px; color: var(--muted); transform: translateX(-50%); white-space: nowrap; }
.tick::after { content: ""; position: absolute; left: 50%; bottom: -4px; height: 4px; border-left: 1px solid var(--line); }
.life { position: absolute; bottom: 2px; height: 2px; background: #c8d1da; }
.seg { position: absolute; height: 18px; border-radius: 3px; font-size: 11px; line-height: 18px; color: #fff; padding: 0 4px;
  overflow: hidden; white-space: nowrap; text-overflow: ellipsis; cursor: default; }
.seg-attempt { min-width: 3px; }
.seg-queued { height: 6px; margin-top: 6px; background: #dfe4ea !important; color: transparent; padding: 0; }
.seg-retrying { color: #7a1111; background-image: repeating-linear-gradient(135deg, rgba(214,39,40,.55) 0 4px, rgba(255,255,255,.65) 4px 8px) !important; min-width: 3px; }
.seg-waiting { color: #1f2328; background-image: repeating-linear-gradient(90deg, rgba(255,255,255,.45) 0 6px, transparent 6px 12px); }
.outcome-failed.seg-attempt, .outcome-timedOut.seg-attempt { outline: 2px solid var(--fail); background-image: repeating-linear-gradient(135deg, rgba(214,39,40,.8) 0 5px, transparent 5px 10px); }
.outcome-running.seg-attempt { opacity: .7; }
.marker { position: absolute; top: 0; bottom: 0; width: 0; border-left: 2px solid var(--fail); }
.marker span { position: absolute; top: 2px; left: 3px; font-size: 11px; font-weight: 700; white-space: nowrap; }
.marker-failed span { color: var(--fail); }
.marker-late { border-color: var(--late); } .marker-late span { color: var(--late); }
.marker-skipped, .marker-cancelled { border-color: var(--skip); border-left-style: dashed; } .marker-skipped span, .marker-cancelled span { color: var(--skip); }
.note { position: absolute; left: 4px; top: 6px; font-size: 12px; color: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { border-bottom: 1px solid #eef1f4; padding: 5px 8px; text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; } th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.err { color: var(--fail); max-width: 520px; word-break: break-word; }
ul.warnings { margin: 2px 0 0; padding-left: 0; list-style: none; color: var(--late); max-width: 520px; word-break: break-word; }
#tip { position: fixed; display: none; max-width: 460px; background: #1f2328; color: #fff; font-size: 12px; padding: 6px 8px; border-radius: 6px;
  white-space: pre-wrap; pointer-events: none; z-index: 10; }
`;

/** Hover shows the element's full text (data-tip) in a box by the pointer; titles stay as a fallback. */
export const SCRIPT = `
(function () {
  var tip = document.getElementById('tip');
  document.addEventListener('mousemove', function (ev) {
    var el = ev.target && ev.target.closest ? ev.target.closest('[data-tip]') : null;
    if (!el) { tip.style.display = 'none'; return; }
    tip.textContent = el.getAttribute('data-tip');
    tip.style.display = 'block';
    var x = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = x + 'px';
    tip.style.top = (ev.clientY + 16) + 'px';
  });
})();
`;
