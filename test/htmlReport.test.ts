/**
 * The run page (`tributary report`, and `<week>/_report.html` after `tributary run`): the timeline
 * extracted from saved histories, the page rendered from it, and a real run with a failing and a
 * retried dataset, opened in headless Chromium (Debian's package) and looked at: DOM and pixels.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { defaultPayloadConverter } from '@temporalio/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { chromium, type Browser } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packRows, renderPage } from '../cli/htmlReport/render';
import { reportFromHistory } from '../cli/htmlReport/load';
import { extractTimeline, type RunHistories, type Segment } from '../cli/htmlReport/timeline';
import type { HistoryEvent } from '../cli/htmlReport/events';
import type { RunReport } from '../common/report';
import { generateRetailWeek } from '../datagen';
import { tributary } from './helpers/cli';
import { tempDir } from './helpers/parquet';
import { testEnvironment, taskQueueFor } from './helpers/temporal';
import { runWeekly, specFor } from './helpers/weekly';

const run = promisify(execFile);
const HISTORIES = path.join(__dirname, 'history_files');

/** historyFromJSON, or the same parse with @temporalio/proto's protobufjs (see test/replay.test.ts for why). */
function parseEvents(file: string): HistoryEvent[] {
  const json = JSON.parse(readFileSync(path.join(HISTORIES, file), 'utf8')) as unknown;
  try {
    return historyFromJSON(json).events ?? [];
  } catch (err) {
    if (!(err instanceof TypeError && err.message === 'type must be a Type')) throw err;
  }
  const fromProto = createRequire(require.resolve('@temporalio/proto'));
  const { fromJson } = fromProto('protobufjs/ext/protojson') as {
    fromJson(type: unknown, json: unknown, o: object): { events?: HistoryEvent[] } | null;
  };
  const root = fromProto('@temporalio/proto') as { lookupType(name: string): unknown };
  return (
    fromJson(root.lookupType('temporal.api.history.v1.History'), json, { ignoreUnknownFields: true })?.events ?? []
  );
}

/** A recorded scenario (parent and its north and south children) and the report its parent returned. */
function scenario(name: string): { histories: RunHistories; report: RunReport } {
  const parent = parseEvents(`${name}.json`);
  const workflowId = `replay-${name}`;
  const children = ['north', 'south'].map((d) => ({
    workflowId: `${workflowId}/${d}`,
    events: parseEvents(`${name}.${d}.json`),
  }));
  const report = reportFromHistory(parent, defaultPayloadConverter);
  if (!report) throw new Error(`${name}.json has no report in its result`);
  return { histories: { workflowId, parent, children }, report };
}

const segmentsOf = (segments: Segment[], stage: string) => segments.filter((s) => s.stage === stage);

describe('the timeline, from saved histories', () => {
  it('shows a retried stage: its earlier attempts as one failed segment up to the last attempt, with the count and last error', () => {
    const { histories, report } = scenario('weekly-compute-retried');
    const timeline = extractTimeline(histories, report);

    expect(timeline.lanes.map((l) => l.name).sort()).toEqual(['north', 'south']);
    const north = timeline.lanes.find((l) => l.name === 'north')!;
    const [retrying, last] = segmentsOf(north.segments, 'compute');
    expect(retrying).toMatchObject({
      kind: 'retrying',
      attempts: 3,
      outcome: 'failed',
      detail: 'simulated transient I/O failure (attempt 2)',
    });
    expect(last).toMatchObject({ kind: 'attempt', attempt: 3, outcome: 'completed' });
    expect(retrying!.end).toBe(last!.start);
    expect(last!.start - retrying!.start).toBeGreaterThan(1_000); // two failed attempts and their backoff
    expect(north.markers).toEqual([]);
    for (const stage of ['read', 'readReference', 'compute', 'write']) {
      const south = timeline.lanes.find((l) => l.name === 'south')!;
      expect(
        segmentsOf(south.segments, stage).map((s) => s.kind),
        stage,
      ).toEqual(['queued', 'attempt']);
    }
    expect(timeline.run.segments.filter((s) => s.kind === 'attempt').map((s) => s.stage)).toEqual([
      'resolve',
      'report',
    ]);
    // Every segment lies inside the run, and each lane inside its child workflow's life.
    for (const lane of timeline.lanes) {
      for (const s of lane.segments) {
        expect(s.start).toBeGreaterThanOrEqual(lane.start!);
        expect(s.end).toBeLessThanOrEqual(lane.end!);
        expect(s.end).toBeGreaterThanOrEqual(s.start);
      }
      expect(lane.start).toBeGreaterThanOrEqual(timeline.start);
      expect(lane.end).toBeLessThanOrEqual(timeline.end);
    }
  });

  it('marks a failed dataset where its child failed, with the report’s error, and shows the failed attempt and the cleanup', () => {
    const { histories, report } = scenario('weekly-dataset-fails');
    const timeline = extractTimeline(histories, report);

    const north = timeline.lanes.find((l) => l.name === 'north')!;
    expect(north.status).toBe('failed');
    expect(north.markers).toHaveLength(1);
    expect(north.markers[0]).toMatchObject({ kind: 'failed', at: north.end });
    expect(north.markers[0]!.text).toMatch(
      /^read: UnreadableParquet: Dataset north: Cannot read parquet file .*transactions\.parquet/,
    );
    expect(segmentsOf(north.segments, 'read').at(-1)).toMatchObject({ kind: 'attempt', attempt: 1, outcome: 'failed' });
    expect(segmentsOf(north.segments, 'read').at(-1)!.detail).toContain('UnreadableParquet');
    expect(segmentsOf(north.segments, 'cleanup').map((s) => s.kind)).toEqual(['queued', 'attempt']);
    expect(segmentsOf(north.segments, 'compute')).toEqual([]);
    expect(timeline.lanes.find((l) => l.name === 'south')).toMatchObject({ status: 'succeeded', markers: [] });
  });

  it('lists a dataset of the report that never got a child, and keeps a continued-as-new chain’s event ids apart', () => {
    const { histories, report } = scenario('weekly-ok');
    const withCancelled: RunReport = {
      ...report,
      datasets: [...report.datasets, { dataset: 'east', status: 'cancelled', outputs: [], stages: {} }],
    };
    const timeline = extractTimeline(histories, withCancelled);
    expect(timeline.lanes.find((l) => l.name === 'east')).toMatchObject({
      status: 'cancelled',
      segments: [],
      note: 'not started',
    });

    // Two runs of one chain: event ids restart at 1, so linking by id alone would cross the runs.
    const chain = extractTimeline({ ...histories, parent: [...histories.parent, ...histories.parent] }, report);
    expect(chain.run.segments.filter((s) => s.kind === 'attempt').map((s) => s.stage)).toEqual([
      'resolve',
      'report',
      'resolve',
      'report',
    ]);
  });

  it('shows a stage still in flight as running, from what the server says of it, not as waiting for a worker', () => {
    const { histories } = scenario('weekly-compute-retried');
    const north = histories.children.find((c) => c.workflowId.endsWith('/north'))!;
    // North's history as it stood while compute was on its second attempt: up to compute's scheduling.
    const cut = north.events.findIndex(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'computeMetrics',
    );
    const scheduledAt = extractTimeline({
      ...histories,
      children: [{ ...north, events: north.events.slice(0, cut + 1) }],
    }).lanes[0]!;
    const queued = segmentsOf(scheduledAt.segments, 'compute');
    expect(queued.map((s) => s.kind)).toEqual(['queued']); // the history alone cannot tell

    const start = queued[0]!.start + 700;
    const activityId = north.events[cut]!.activityTaskScheduledEventAttributes!.activityId!;
    const pending = [
      { activityId, attempt: 2, started: start, lastFailure: 'simulated transient I/O failure (attempt 1)' },
    ];
    const running = extractTimeline({
      ...histories,
      children: [{ ...north, events: north.events.slice(0, cut + 1), pending }],
    }).lanes[0]!;
    const [retrying, attempt] = segmentsOf(running.segments, 'compute');
    expect(retrying).toMatchObject({
      kind: 'retrying',
      attempts: 2,
      end: start,
      detail: 'simulated transient I/O failure (attempt 1)',
    });
    expect(attempt).toMatchObject({ kind: 'attempt', attempt: 2, outcome: 'running', start });
  });

  it('stacks overlapping activities of a lane on separate rows, and keeps an activity’s segments on one row', () => {
    const { histories, report } = scenario('weekly-ok');
    const south = extractTimeline(histories, report).lanes.find((l) => l.name === 'south')!;
    const rows = packRows(south.segments);
    const rowOf = (stage: string) => new Set(segmentsOf(south.segments, stage).map((s) => rows.get(s.group)));
    expect(rowOf('read').size).toBe(1);
    expect([...rowOf('read')][0]).not.toBe([...rowOf('readReference')][0]); // read and readReference run at once
    expect(rowOf('compute')).toEqual(new Set([0])); // after both reads: back on the first row
  });
});

describe('the page', () => {
  it('is one self-contained file, with every name and message escaped', () => {
    const { histories, report } = scenario('weekly-dataset-fails');
    const evil = '<script>alert("x")</script>';
    const tampered: RunReport = {
      ...report,
      pipeline: evil,
      datasets: report.datasets.map((d) => (d.error ? { ...d, error: { ...d.error, message: evil } } : d)),
    };
    const html = renderPage(extractTimeline(histories, tampered), tampered);

    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toContain(evil);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html.match(/<script>/g)).toHaveLength(1); // only the page's own, inline
    for (const external of [/<link\b/i, /\bsrc=/i, /url\(/i, /@import/i, /https?:\/\//i])
      expect(html).not.toMatch(external);
  });
});

const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

/**
 * Debian's Chromium: found, else installed with apt-get when this runs as root (CI and the
 * development machines do), else a clear error. Nothing is downloaded outside Debian's packages.
 */
async function ensureChromium(): Promise<string> {
  const found = CHROMIUM_CANDIDATES.find((p) => p && existsSync(p));
  if (found) return found;
  if (process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await run('apt-get', ['update', '-qq'], { env, maxBuffer: 64 * 1024 * 1024 });
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  }
  throw new Error(
    "No Chromium for the page test: install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH",
  );
}

/** Share of pixels that are not (near) white, distinct colours, and pixels close to a given colour. */
function pixelStats(png: PNG, colours: Record<string, [number, number, number]>) {
  let inked = 0;
  const distinct = new Set<number>();
  const near = Object.fromEntries(Object.keys(colours).map((k) => [k, 0]));
  for (let i = 0; i < png.data.length; i += 4) {
    const [r, g, b] = [png.data[i]!, png.data[i + 1]!, png.data[i + 2]!];
    if (r < 245 || g < 245 || b < 245) inked += 1;
    distinct.add((r << 16) | (g << 8) | b);
    for (const [name, [cr, cg, cb]] of Object.entries(colours)) {
      if (Math.abs(r - cr) + Math.abs(g - cg) + Math.abs(b - cb) < 30) near[name] = near[name]! + 1;
    }
  }
  return { inkedShare: inked / (png.width * png.height), distinct: distinct.size, near };
}

describe('on a real run, in headless Chromium', () => {
  const WEEK = '2026-11-16';
  let env: TestWorkflowEnvironment;
  let browser: Browser;
  let data: string;
  let regions: string[];

  beforeAll(async () => {
    const executablePath = await ensureChromium();
    [env, browser] = await Promise.all([
      testEnvironment(),
      // --no-sandbox: Chromium refuses its sandbox as root, which CI runs as.
      chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] }),
    ]);
    data = await tempDir('tributary-page-');
    ({ regions } = await generateRetailWeek({
      out: data,
      regions: 3,
      stores: 4,
      products: 40,
      days: 7,
      seed: 5,
      week: WEEK,
      substitutionShare: 0.6,
      stockoutRate: 0.15,
    }));
  }, 600_000); // a fresh machine installs Chromium first
  afterAll(async () => {
    await browser?.close();
    await env?.teardown();
  });

  it('shows one lane per dataset, the failed one marked, the retried one’s attempts, and the totals; the screenshot is a picture', async () => {
    const [flaky, broken] = regions as [string, string, string];
    const faults = (stage: string, dataset: string, attempt: number) => {
      if (stage !== 'compute') return;
      if (dataset === flaky && attempt <= 2) throw new Error(`simulated transient I/O failure (attempt ${attempt})`);
      if (dataset === broken) throw new Error('disk unavailable');
    };
    const out = await tempDir('tributary-page-out-');
    const spec = specFor(data, out, {
      stages: { compute: { retry: { maximumAttempts: 3, initialInterval: '200ms', backoffCoefficient: 2 } } },
    });
    const { report, handle } = await runWeekly(env, 'html page', { spec, week: WEEK }, faults);
    expect(report.totals).toMatchObject({ datasets: 3, succeeded: 2, failed: 1 });

    // The command as an operator runs it: it finds the run's report folder by itself.
    const cli = await tributary(['report', handle.workflowId], { TEMPORAL_ADDRESS: env.address, TRIBUTARY_HOME: out });
    expect(cli.code, cli.stderr).toBe(0);
    const file = path.join(out, WEEK, '_report.html');
    expect(cli.stdout.trim()).toBe(file);

    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(`file://${file}`);

    const lanes = page.locator('.lane');
    expect(await lanes.count()).toBe(3);
    expect((await lanes.evaluateAll((els) => els.map((e) => e.getAttribute('data-dataset')))).sort()).toEqual(
      [...regions].sort(),
    );

    const failed = page.locator(`.lane[data-dataset="${broken}"]`);
    expect(await failed.getAttribute('data-status')).toBe('failed');
    await expect.poll(() => failed.locator('.marker-failed').isVisible()).toBe(true);
    expect(await failed.locator('.marker-failed').getAttribute('data-tip')).toContain(
      'compute: Error: disk unavailable',
    );
    expect(await failed.locator('.seg-retrying[data-stage="compute"]').getAttribute('data-attempts')).toBe('3');
    expect(await failed.locator('.seg-attempt[data-stage="compute"]').getAttribute('data-outcome')).toBe('failed');

    const retried = page.locator(`.lane[data-dataset="${flaky}"]`);
    expect(await retried.getAttribute('data-status')).toBe('succeeded');
    expect(await retried.locator('.marker').count()).toBe(0);
    const retry = retried.locator('.seg-retrying[data-stage="compute"]');
    expect(await retry.getAttribute('data-attempts')).toBe('3');
    expect(await retry.textContent()).toBe('attempts 1–2 failed');
    expect(await retried.locator('.seg-attempt[data-stage="compute"]').getAttribute('data-attempt')).toBe('3');
    expect(await retried.locator('.label').textContent()).toContain('compute ×3');
    expect((await retry.boundingBox())!.width).toBeGreaterThan(20); // 200 ms + 400 ms of backoff at least: visible

    const healthy = page.locator(`.lane[data-dataset="${regions[2]}"]`);
    for (const stage of ['read', 'readReference', 'compute', 'write']) {
      const bar = healthy.locator(`.seg-attempt[data-stage="${stage}"]`);
      expect(await bar.getAttribute('data-attempt'), stage).toBe('1');
      expect((await bar.boundingBox())!.width, stage).toBeGreaterThanOrEqual(3);
    }

    const total = (key: string) => page.locator(`#totals [data-total="${key}"] b`).textContent();
    expect(await total('datasets')).toBe('3');
    expect(await total('succeeded')).toBe('2');
    expect(await total('failed')).toBe('1');
    expect(await total('rowsIn')).toBe(report.totals.rowsIn.toLocaleString('en-US'));
    expect(await total('rowsOut')).toBe(report.totals.rowsOut.toLocaleString('en-US'));
    expect(await page.locator('#datasets tbody tr').count()).toBe(3);

    const shot = path.join(out, 'page.png');
    const png = PNG.sync.read(await page.screenshot({ path: shot, fullPage: true }));
    expect(png.width).toBe(1400);
    const stats = pixelStats(png, { compute: [0xf2, 0x8e, 0x2b], read: [0x4e, 0x79, 0xa7], fail: [0xd6, 0x27, 0x28] });
    expect(stats.inkedShare).toBeGreaterThan(0.03);
    expect(stats.distinct).toBeGreaterThan(50);
    for (const [colour, pixels] of Object.entries(stats.near))
      expect(pixels, `${colour} pixels in ${shot}`).toBeGreaterThan(100);
    // After the screenshot, so the box does not hide the lanes: the hover box tells what the hatched segment is.
    await retry.hover();
    expect(await page.locator('#tip').textContent()).toContain(
      'last error: simulated transient I/O failure (attempt 2)',
    );
    expect(requests).toEqual([`file://${file}`]); // nothing fetched: self-contained

    await page.close();
  });

  it('`tributary run` writes <week>/_report.html next to _report.md and prints its path', async () => {
    const out = await tempDir('tributary-page-run-');
    const specFile = path.join(out, 'spec.json');
    await writeFile(specFile, JSON.stringify(specFor(data, path.join(out, 'output'), { name: 'run-page' })));
    const cli = await tributary(['run', specFile, '--week', WEEK], {
      TEMPORAL_ADDRESS: env.address,
      TRIBUTARY_HOME: out,
      TRIBUTARY_TASK_QUEUE: taskQueueFor('run page'),
    });
    expect(cli.code, cli.stderr).toBe(0);
    const file = path.join(out, 'output', WEEK, '_report.html');
    expect(cli.stderr).toContain(`Timeline: ${file}`);
    const html = await readFile(file, 'utf8');
    for (const region of regions) expect(html).toContain(`data-dataset="${region}"`);
    expect(existsSync(path.join(out, 'output', WEEK, '_report.md'))).toBe(true);
  });
});
