/** The pipeline spec: defaults filled from one place, every problem listed by path, nothing started. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ActivityCancellationType } from '@temporalio/common';
import { activityOptions, DEFAULT_POLICIES } from '../pipeline/policy';
import { InvalidSpecError, parseSpec } from '../pipeline/schema';
import { parseDuration } from '../pipeline/duration';

const minimal = {
  name: 'weekly',
  dataRoot: '/data',
  datasets: { glob: 'sales/*' },
  reference: { products: 'reference/products.parquet', substitutes: 'reference/substitutes.parquet' },
  metrics: ['hierarchySales'],
  output: { root: '/out' },
};

function problemsOf(spec: unknown): string[] {
  try {
    parseSpec(spec);
  } catch (err) {
    if (err instanceof InvalidSpecError) return err.problems;
    throw err;
  }
  throw new Error('expected the spec to be rejected');
}

describe('parseSpec', () => {
  it('fills every default of a minimal spec', () => {
    const spec = parseSpec(minimal);
    expect(spec.parallelism.datasets).toBe(4);
    expect(spec.onFailure).toBe('continue');
    expect(spec.inputs).toEqual({ transactions: 'transactions.parquet', stock: 'stock.parquet' });
    expect(spec.output.path).toBe('{week}/{dataset}/{table}.parquet');
    expect(spec.stages).toEqual(DEFAULT_POLICIES);
  });

  it('accepts the example spec shipped in the repo', () => {
    const example = JSON.parse(readFileSync(`${__dirname}/../examples/retail-weekly.json`, 'utf8')) as unknown;
    const spec = parseSpec(example);
    expect(spec.stages.read.retry).toMatchObject({
      maximumAttempts: 10,
      initialInterval: 1_000,
      maximumInterval: 60_000,
    });
    expect(spec.stages.compute.retry.nonRetryableErrorTypes).toEqual(['SchemaMismatch']);
    expect(spec.stages.compute.startToCloseTimeout).toBe(30 * 60_000);
  });

  it('merges a partial stage policy over the defaults', () => {
    const spec = parseSpec({
      ...minimal,
      stages: { compute: { retry: { maximumAttempts: 7 }, heartbeatTimeout: '10s' } },
    });
    expect(spec.stages.compute.retry.maximumAttempts).toBe(7);
    expect(spec.stages.compute.retry.initialInterval).toBe(DEFAULT_POLICIES.compute.retry.initialInterval);
    expect(spec.stages.compute.heartbeatTimeout).toBe(10_000);
    expect(spec.stages.read).toEqual(DEFAULT_POLICIES.read);
  });

  it('lists every problem of a bad spec by its path', () => {
    const problems = problemsOf({
      ...minimal,
      name: 'has spaces',
      colour: 'blue',
      metrics: ['hierarchySales', 'noSuchMetric'],
      parallelism: { datasets: -2 },
      output: { root: '/out', path: '{week}/all.parquet' },
      stages: { compute: { startToCloseTimeout: 'soon' } },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^name: /),
        expect.stringMatching(/^\(spec\): .*colour/),
        expect.stringMatching(/^metrics\.1: /),
        expect.stringMatching(/^parallelism\.datasets: /),
        'output.path: "{week}/all.parquet" lacks {dataset}: two datasets would write the same files',
        'output.path: "{week}/all.parquet" lacks {table}: two tables of a dataset would write the same file',
        expect.stringMatching(/^stages\.compute\.startToCloseTimeout: "soon" is not a duration/),
      ]),
    );
    expect(problems).toHaveLength(7);
  });

  it('rejects timeouts that cannot hold together', () => {
    const problems = problemsOf({
      ...minimal,
      stages: { read: { startToCloseTimeout: '10s', heartbeatTimeout: '1 minute', scheduleToCloseTimeout: '5s' } },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^stages\.read\.heartbeatTimeout: must be shorter than startToCloseTimeout/),
      expect.stringMatching(/^stages\.read\.scheduleToCloseTimeout: must be at least startToCloseTimeout/),
    ]);
  });

  it('rejects paths that climb out of the data root', () => {
    expect(problemsOf({ ...minimal, datasets: { list: ['../elsewhere'] } })).toEqual([
      expect.stringMatching(/^datasets.*must not contain "\.\."/),
    ]);
  });
});

describe('activityOptions', () => {
  it('turns a stage policy into Temporal activity options', () => {
    const options = activityOptions({ ...DEFAULT_POLICIES.compute, taskQueue: 'compute-heavy' });
    expect(options).toEqual({
      taskQueue: 'compute-heavy',
      startToCloseTimeout: DEFAULT_POLICIES.compute.startToCloseTimeout,
      scheduleToCloseTimeout: undefined,
      heartbeatTimeout: DEFAULT_POLICIES.compute.heartbeatTimeout,
      retry: DEFAULT_POLICIES.compute.retry,
      cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    });
    expect(options.retry?.nonRetryableErrorTypes).not.toBe(DEFAULT_POLICIES.compute.retry.nonRetryableErrorTypes);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['5 minutes', 300_000],
    ['1h', 3_600_000],
    ['250ms', 250],
    [1500, 1500],
  ])('%s is %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms));
  it.each(['soon', '-5s', '0s', '', 'm5'])('"%s" is not a duration', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
});
