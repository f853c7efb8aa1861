import { expect, it } from 'vitest';
import { buildReport, renderMarkdown } from '../common/report';
import type { DatasetSummary } from '../common/types';

const ok = (dataset: string, rows: number): DatasetSummary => ({
  dataset,
  status: 'succeeded',
  rowsIn: { transactions: rows, stock: rows * 2 },
  outputs: [{ table: 't', path: `/out/${dataset}.parquet`, rows: 5 }],
  stages: {
    read: { attempts: 1, durationMs: 1200 },
    compute: { attempts: 3, durationMs: 4000 },
    write: { attempts: 1, durationMs: 10 },
  },
});

it('totals a partial run and shows attempts and errors in the table', () => {
  const failed: DatasetSummary = {
    dataset: 'east',
    status: 'failed',
    outputs: [],
    stages: { read: { attempts: 1, durationMs: 0 } },
    error: { stage: 'read', type: 'SchemaMismatch', message: 'column "units" missing | bad' },
  };
  const report = buildReport({
    pipeline: 'p',
    workflowId: 'wf',
    week: '2026-11-16',
    startedAt: 'a',
    finishedAt: 'b',
    datasets: [ok('north', 10), failed, ok('south', 20)],
  });
  expect(report.status).toBe('partial');
  expect(report.totals).toEqual({
    datasets: 3,
    succeeded: 2,
    failed: 1,
    cancelled: 0,
    late: 0,
    skipped: 0,
    rowsIn: 90,
    rowsOut: 10,
  });
  const md = renderMarkdown(report);
  expect(md).toContain('| north | succeeded | 30 | 5 | 1.2s | 4.0s | 0.0s | 1/3/1 |');
  expect(md).toContain('| east | failed |');
  expect(md).toContain('read: SchemaMismatch: column "units" missing \\| bad');
});

it('a run where nothing succeeded is failed, one where all did is succeeded', () => {
  const base = { pipeline: 'p', workflowId: 'w', week: 'x', startedAt: '', finishedAt: '' };
  expect(buildReport({ ...base, datasets: [ok('a', 1)] }).status).toBe('succeeded');
  expect(buildReport({ ...base, datasets: [{ dataset: 'a', status: 'failed', outputs: [], stages: {} }] }).status).toBe(
    'failed',
  );
});
