/**
 * Spec durations read as Temporal reads the durations of its own options (activity timeouts,
 * retry intervals): a spec's timeouts become those options, so both accept the same strings.
 */
import { msToNumber } from '@temporalio/common/lib/time';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../pipeline/duration';

describe('parseDuration, as Temporal reads durations', () => {
  it.each(['2 weeks', '1.5 hrs', '90 secs', '3 mins', '1d', '5 Minutes', '100'])(
    '"%s" means what it means to Temporal',
    (text) => expect(parseDuration(text)).toBe(msToNumber(text as Parameters<typeof msToNumber>[0])),
  );
  it.each(['soon', '-5s', '0s', '', 'm5', '5 fortnights', 'x'.repeat(120)])('"%s" is not a duration', (text) =>
    expect(parseDuration(text)).toBeUndefined(),
  );
  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('%s ms is not a duration', (n) =>
    expect(parseDuration(n)).toBeUndefined(),
  );
});
