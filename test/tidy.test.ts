/** The helpers that issue 13 gathered into one place each: sizes, worker settings, stages, weeks. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_REFERENCE_CACHE_BYTES } from '../activities/referenceCache';
import { formatBytes, GiB, MiB, parseBytes } from '../common/bytes';
import { DATASET_STAGES, POLICY_STAGES, policyOf, STAGES } from '../common/stages';
import { lastWeek } from '../common/week';
import { parseSpec } from '../pipeline/schema';
import { loadSettings } from '../runtime/settings';
import { loadWorkerSettings, WorkerSettingsError } from '../workers/settings';

describe('sizes', () => {
  it('reads what the spec and the worker flags both accept, and nothing else', () => {
    expect(parseBytes('16MiB')).toBe(16 * MiB);
    expect(parseBytes('1TB')).toBe(1e12);
    expect(parseBytes(1048576)).toBe(1048576);
    for (const bad of [-1, Number.NaN, '1constructor', '2 parsecs', ''])
      expect(parseBytes(bad), String(bad)).toBeUndefined();
  });

  it('prints one way everywhere: binary units, at most one decimal', () => {
    expect([800, 512 * MiB, 1.5 * GiB, 69.1 * MiB, 2 * 1024 * GiB].map(formatBytes)).toEqual([
      '800 B',
      '512 MiB',
      '1.5 GiB',
      '69.1 MiB',
      '2 TiB',
    ]);
  });

  it('lets the spec take a size in any unit the worker takes', () => {
    const spec = parseSpec({
      name: 't',
      dataRoot: '/d',
      datasets: { glob: 'sales/*' },
      metrics: ['hierarchySales'],
      output: { root: '/o' },
      reference: { products: 'p.parquet', substitutes: 's.parquet' },
      batching: { maxBytes: '8g' },
    });
    expect(spec.batching?.maxBytes).toBe(8 * GiB);
  });
});

describe('worker settings', () => {
  it('takes a flag over its variable, a variable over the default, and an empty value as unset', () => {
    const env = {
      TRIBUTARY_WORKER_ACTIVITIES: '2',
      TRIBUTARY_MEMORY_BUDGET: '1GiB',
      TRIBUTARY_REFERENCE_CACHE_BYTES: '',
      TRIBUTARY_LEDGER: '/l',
    };
    expect(loadWorkerSettings({ activities: '8' }, env)).toMatchObject({
      maxConcurrentActivities: 8,
      memoryBudget: GiB,
      referenceCacheBytes: DEFAULT_REFERENCE_CACHE_BYTES,
      shutdownGraceTime: 30_000,
      ledgerFile: '/l',
    });
    expect(loadWorkerSettings({}, env).maxConcurrentActivities).toBe(2);
    expect(loadWorkerSettings({}, {}).ledgerFile).toBeUndefined();
    expect(loadWorkerSettings({}, {}).stickyTimeout).toBe(10_000); // Temporal's own default
    expect(loadWorkerSettings({}, { TRIBUTARY_STICKY_TIMEOUT: '1s' }).stickyTimeout).toBe(1_000);
  });

  it('names the flag or the variable a bad value came from', () => {
    expect(() => loadWorkerSettings({ 'memory-budget': 'lots' }, {})).toThrow(
      new WorkerSettingsError('--memory-budget must be a size such as 2GiB, got "lots"'),
    );
    expect(() => loadWorkerSettings({}, { TRIBUTARY_SHUTDOWN_GRACE: 'soon' })).toThrow(
      'TRIBUTARY_SHUTDOWN_GRACE must be a duration such as 30s or 2 minutes, got "soon"',
    );
    expect(() => loadWorkerSettings({}, { TRIBUTARY_WORKER_ACTIVITIES: '0' })).toThrow(
      'TRIBUTARY_WORKER_ACTIVITIES must be a whole number >= 1',
    );
    expect(() => loadWorkerSettings({}, { TRIBUTARY_MEMORY_BUDGET: '0' })).toThrow(WorkerSettingsError);
    expect(loadWorkerSettings({ 'reference-cache': '0' }, {}).referenceCacheBytes).toBe(0);
    expect(() => loadWorkerSettings({ 'sticky-timeout': '0s' }, {})).toThrow(
      '--sticky-timeout must be a duration such as 10s, got "0s"',
    );
  });

  it('gives listed workers 5 s to pick up a run and 10 s to answer a query, unless TRIBUTARY_WORKER_WAIT says', () => {
    expect(loadSettings({}).workerWait).toEqual({ pickUpMs: 5_000, answerMs: 10_000 });
    expect(loadSettings({ TRIBUTARY_WORKER_WAIT: '1s' }).workerWait).toEqual({ pickUpMs: 1_000, answerMs: 1_000 });
    expect(() => loadSettings({ TRIBUTARY_WORKER_WAIT: 'soon' })).toThrow(
      'TRIBUTARY_WORKER_WAIT must be a duration such as 10s, got "soon"',
    );
  });
});

describe('stages', () => {
  it('are one vocabulary: policy and dataset stages are its subsets, reading reference data runs under read', () => {
    expect(STAGES).toEqual(expect.arrayContaining([...POLICY_STAGES, ...DATASET_STAGES]));
    expect(DATASET_STAGES.map(policyOf)).toEqual(['read', 'read', 'compute', 'write']);
    expect(POLICY_STAGES.map(policyOf)).toEqual([...POLICY_STAGES]);
  });
});

describe('weeks', () => {
  it('a run with no week takes the last complete one, Monday to Sunday, in UTC', () => {
    expect(lastWeek(new Date('2026-11-23T00:30:00Z'))).toBe('2026-11-16'); // a Monday: the week before
    expect(lastWeek(new Date('2026-11-29T23:59:00Z'))).toBe('2026-11-16'); // its Sunday: still the week before
  });
});
