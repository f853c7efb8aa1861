/** Where a run of a long fan-out stops before continuing as new: by units, or by datasets. */
import { describe, expect, it } from 'vitest';
import { planUnits, runEnd } from '../workflows/units';

describe('runEnd', () => {
  const batches = planUnits(
    Array.from({ length: 2_500 }, () => 1_000),
    { maxDatasets: 50, maxBytes: 10_000_000 },
  );

  it('stops at 1,000 datasets when that comes before continueAsNewAfter units', () => {
    expect(batches).toHaveLength(50);
    expect(runEnd(batches, 0, 500, 1_000)).toBe(20);
    expect(runEnd(batches, 20, 500, 1_000)).toBe(40);
    expect(runEnd(batches, 40, 500, 1_000)).toBe(50);
  });

  it('stops at continueAsNewAfter units when that comes first', () => {
    expect(runEnd(batches, 0, 10, 1_000)).toBe(10);
    const single = planUnits(
      Array.from({ length: 700 }, () => 1),
      undefined,
    );
    expect(runEnd(single, 0, 500, 1_000)).toBe(500);
    expect(runEnd(single, 500, 500, 1_000)).toBe(700);
  });

  it('always takes at least one unit, even one larger than the dataset bound', () => {
    const big = planUnits(
      Array.from({ length: 30 }, () => 1),
      { maxDatasets: 30, maxBytes: 100 },
    );
    expect(runEnd(big, 0, 500, 10)).toBe(1);
    expect(runEnd(big, 1, 500, 10)).toBe(1);
  });
});
