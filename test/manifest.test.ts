/**
 * The rules of a week's next snapshot (common/manifest.ts nextManifest), as pure logic: what a whole
 * run replaces, what a rerun keeps, what a failed dataset keeps, what becomes superseded.
 */
import { describe, expect, it } from 'vitest';
import {
  generationOf,
  manifestName,
  nextManifest,
  supersededFiles,
  type CommitFacts,
  type WeekManifest,
} from '../common/manifest';
import type { DatasetSummary } from '../common/types';

const WEEK = '2026-11-16';
const file = (dataset: string, run: string, table: string) => `/out/${WEEK}/${dataset}/run-${run}/${table}.parquet`;

const ok = (dataset: string, run: string): DatasetSummary => ({
  dataset,
  status: 'succeeded',
  outputs: ['a', 'b'].map((table) => ({
    table,
    path: file(dataset, run, table),
    rows: 3,
    bytes: 10,
    sha256: `${dataset}-${run}-${table}`,
  })),
  stages: {},
  outputKey: `key-${dataset}-${run}`,
});
const bad = (dataset: string, status: DatasetSummary['status'] = 'failed'): DatasetSummary => ({
  dataset,
  status,
  outputs: [],
  stages: {},
  ...(status === 'failed' && { error: { stage: 'read', type: 'SchemaMismatch', message: 'column x missing' } }),
});

const facts = (workflowId: string, datasets: DatasetSummary[], mode: CommitFacts['mode'] = 'replace'): CommitFacts => ({
  pipeline: 'p',
  week: WEEK,
  workflowId,
  runId: `${workflowId}-run`,
  mode,
  committedAt: '2026-11-30T00:00:00.000Z',
  datasets,
  metricTotals: {},
  relative: (f) => f.replace('/out/', ''),
});
const names = (m: WeekManifest) => m.datasets.map((d) => d.dataset);

describe('the next snapshot', () => {
  const first = nextManifest(undefined, facts('w1', [ok('north', '1'), ok('south', '1'), ok('east', '1')]));

  it('lists exactly the run’s datasets with outputs, relative paths, sizes and hashes, generation 1', () => {
    expect(first.generation).toBe(1);
    expect(names(first)).toEqual(['east', 'north', 'south']);
    expect(first.datasets[1]).toEqual({
      dataset: 'north',
      workflowId: 'w1',
      key: 'key-north-1',
      tables: [
        { table: 'a', path: `${WEEK}/north/run-1/a.parquet`, rows: 3, bytes: 10, sha256: 'north-1-a' },
        { table: 'b', path: `${WEEK}/north/run-1/b.parquet`, rows: 3, bytes: 10, sha256: 'north-1-b' },
      ],
    });
    expect(first.run).toEqual({ workflowId: 'w1', runId: 'w1-run', mode: 'replace' });
  });

  it('a whole run drops a renamed or dropped dataset; the files only the older lists are superseded', () => {
    const second = nextManifest(first, facts('w2', [ok('north', '2'), ok('south-v2', '2')]));
    expect(second.generation).toBe(2);
    expect(names(second)).toEqual(['north', 'south-v2']);
    expect(supersededFiles(first, second).sort()).toEqual(
      ['east', 'north', 'south'].flatMap((d) => ['a', 'b'].map((t) => `${WEEK}/${d}/run-1/${t}.parquet`)).sort(),
    );
  });

  it('a dataset that fails keeps its earlier outputs, and notCommitted says so and why', () => {
    const second = nextManifest(first, facts('w2', [ok('north', '2'), bad('south'), ok('east', '2')]));
    expect(second.datasets.find((d) => d.dataset === 'south')).toEqual(
      first.datasets.find((d) => d.dataset === 'south'),
    );
    expect(second.notCommitted).toEqual([
      {
        dataset: 'south',
        status: 'failed',
        reason: 'failed at read: column x missing; its outputs of w1 are kept',
      },
    ]);
    expect(supersededFiles(first, second).some((f) => f.includes('/south/'))).toBe(false);
    // A dataset failing with no earlier outputs has no entry at all.
    const fresh = nextManifest(undefined, facts('w1', [bad('west', 'late')]));
    expect(fresh.datasets).toEqual([]);
    expect(fresh.notCommitted).toEqual([{ dataset: 'west', status: 'late', reason: 'late' }]);
  });

  it('a rerun keeps the datasets it did not run and replaces the ones it did', () => {
    const failed = nextManifest(first, facts('w1b', [ok('north', '1b'), bad('south'), ok('east', '1b')]));
    const rerun = nextManifest(failed, facts('w1-rerun-1', [ok('south', 'r')], 'merge'));
    expect(names(rerun)).toEqual(['east', 'north', 'south']);
    expect(rerun.datasets.find((d) => d.dataset === 'east')?.workflowId).toBe('w1b');
    expect(rerun.datasets.find((d) => d.dataset === 'south')?.workflowId).toBe('w1-rerun-1');
    expect(rerun.notCommitted).toEqual([]);
    expect(rerun.run.mode).toBe('merge');
    // A rerun that fails again keeps the entry and the reason of the run before.
    const again = nextManifest(failed, facts('w1-rerun-2', [bad('south')], 'merge'));
    expect(names(again)).toEqual(['east', 'north', 'south']);
    expect(again.notCommitted.map((n) => n.dataset)).toEqual(['south']);
  });

  it('a skipped dataset keeps the files and the run that computed them', () => {
    const skipped: DatasetSummary = { ...ok('north', '1'), status: 'skipped', computedBy: 'w1' };
    const second = nextManifest(first, facts('w2', [skipped, ok('south', '2'), ok('east', '2')]));
    expect(second.datasets.find((d) => d.dataset === 'north')).toEqual(
      first.datasets.find((d) => d.dataset === 'north'),
    );
  });

  it('outputs without size and hash (a run from before the protocol) are not committed', () => {
    const old: DatasetSummary = {
      ...ok('north', '1'),
      outputs: [{ table: 'a', path: file('north', '1', 'a'), rows: 1 }],
    };
    const m = nextManifest(undefined, facts('w1', [old]));
    expect(m.datasets).toEqual([]);
    expect(m.notCommitted[0]?.reason).toBe('succeeded without committable outputs');
  });

  it('names generations so that they sort as text', () => {
    expect(manifestName(7)).toBe('0000000007.json');
    expect(generationOf(manifestName(1234))).toBe(1234);
    expect(generationOf('0000000007.json.tmp-1')).toBeUndefined();
    expect(generationOf('latest.json')).toBeUndefined();
  });
});
