/**
 * The writeReport activity is the one place a run report is built: from the run's facts and the
 * parts a long run saved, written to disk and returned whole, or, when too large for one payload,
 * as a headline naming the file; the CLI reads that file back for what the headline left out.
 * Runs the activity directly on a temporary output root (no server).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INLINE_DATASETS, saveSummaries, writeReport } from '../activities/report';
import { wholeReport } from '../cli/runReport';
import { buildReport, type RunReport } from '../common/report';
import type { DatasetSummary } from '../common/types';
import { tempDir } from './helpers/parquet';

const WEEK = '2026-11-16';
const ok = (dataset: string): DatasetSummary => ({ dataset, status: 'succeeded', outputs: [], stages: {} });
const failed = (dataset: string): DatasetSummary => ({
  dataset,
  status: 'failed',
  outputs: [],
  stages: {},
  error: { stage: 'read', type: 'UnreadableParquet', message: 'not parquet' },
});
const facts = (workflowId: string, datasets: DatasetSummary[]) => ({
  pipeline: 'p',
  workflowId,
  week: WEEK,
  startedAt: '2026-11-23T00:00:00.000Z',
  finishedAt: '2026-11-23T00:01:00.000Z',
  datasets,
});
const jsonOf = (out: string) => path.join(out, WEEK, '_report.json');
const fileOf = async (out: string) => JSON.parse(await readFile(jsonOf(out), 'utf8')) as RunReport;

describe('writeReport', () => {
  it('builds the report from the facts, writes it, and returns what it wrote', async () => {
    const out = await tempDir('tributary-once-');
    const report = await writeReport(facts('wf-1', [ok('north'), failed('south')]), out);
    expect(report).toMatchObject({ status: 'partial', totals: { datasets: 2, succeeded: 1, failed: 1 } });
    expect(report.metricTotals).toEqual({ north: {} }); // the succeeded one, read back (no outputs here)
    expect(report.files).toEqual({ json: jsonOf(out), markdown: path.join(out, WEEK, '_report.md') });
    expect(report).toEqual(await fileOf(out));
  });

  it('builds status and totals again from a report an older workflow sent built', async () => {
    const out = await tempDir('tributary-once-old-');
    const stale = { ...buildReport(facts('wf-old', [ok('north')])), datasets: [ok('north'), failed('south')] };
    const report = await writeReport(stale, out);
    expect(report).toMatchObject({ status: 'partial', totals: { datasets: 2, failed: 1 } });
  });

  it('merges the parts a long run saved, before this part, and removes them', async () => {
    const out = await tempDir('tributary-once-parts-');
    const runDir = path.join(out, '.runs', 'wf-parts');
    await saveSummaries(runDir, 0, [ok('a'), failed('b')]);
    await saveSummaries(runDir, 1, [ok('c')]);
    const report = await writeReport(facts('wf-parts', [ok('d')]), out, { runDir, parts: 2 });
    expect(report.datasets.map((d) => d.dataset)).toEqual(['a', 'b', 'c', 'd']);
    expect(report.totals).toMatchObject({ datasets: 4, succeeded: 3, failed: 1 });
    expect(report).toEqual(await fileOf(out));
    await expect(readFile(path.join(runDir, 'part-00000.json'))).rejects.toThrow('ENOENT');
  });

  it('returns a headline naming the file when there are too many datasets for one payload', async () => {
    const out = await tempDir('tributary-once-large-');
    const datasets = Array.from({ length: INLINE_DATASETS + 1 }, (_, i) => ok(`d${i}`));
    const report = await writeReport(facts('wf-large', datasets), out);
    expect(report).toMatchObject({ status: 'succeeded', totals: { datasets: INLINE_DATASETS + 1 }, datasets: [] });
    expect(report.datasetsIn).toBe(jsonOf(out));
    expect(report.metricTotals).toBeUndefined();
    expect(Buffer.byteLength(JSON.stringify(report))).toBeLessThan(1_000);

    // What the CLI reads (rerun, the run page): the whole report, from the file the headline names.
    const whole = await wholeReport(report);
    expect(whole.datasets).toHaveLength(INLINE_DATASETS + 1);
    expect(Object.keys(whole.metricTotals ?? {})).toHaveLength(INLINE_DATASETS + 1);
  });

  it('returns a headline too when few datasets still make too many bytes', async () => {
    const out = await tempDir('tributary-once-bytes-');
    const error = { stage: 'read' as const, type: 'X', message: 'x'.repeat(20_000) };
    const long = (dataset: string): DatasetSummary => ({ ...failed(dataset), error });
    const report = await writeReport(
      facts(
        'wf-bytes',
        Array.from({ length: 60 }, (_, i) => long(`d${i}`)),
      ),
      out,
    );
    expect(report).toMatchObject({ status: 'failed', datasets: [], datasetsIn: jsonOf(out) });
  });
});

describe('wholeReport (the CLI side)', () => {
  it('keeps the file of a later run of the same week out: the headline is all there is', async () => {
    const out = await tempDir('tributary-once-later-');
    const many = Array.from({ length: INLINE_DATASETS + 1 }, (_, i) => ok(`d${i}`));
    const headline = await writeReport(facts('wf-first', many), out);
    await writeReport(facts('wf-later', [ok('north')]), out);
    expect(await wholeReport(headline)).toBe(headline);
  });

  it('reads metric totals from the file for a report returned before runs returned them', async () => {
    const out = await tempDir('tributary-once-before-');
    const written = await writeReport(facts('wf-before', [ok('north')]), out);
    const { metricTotals: _left, ...returnedBefore } = written;
    expect(await wholeReport(returnedBefore)).toEqual(written);
  });
});
