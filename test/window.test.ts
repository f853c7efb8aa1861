import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { mapBounded } from '../common/window';

describe('mapBounded', () => {
  it('never runs more than the limit at once, and uses the whole window', async () => {
    let running = 0;
    let peak = 0;
    const delays = [30, 5, 20, 10, 25, 5, 15, 5, 30, 10];
    const results = await mapBounded(delays, 3, async (ms, i) => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(ms);
      running -= 1;
      return i * 10;
    });
    expect(peak).toBe(3);
    expect(results).toEqual(delays.map((_, i) => i * 10));
  });

  it('keeps input order when later items finish first', async () => {
    const results = await mapBounded([40, 1, 20], 3, async (ms) => {
      await sleep(ms);
      return ms;
    });
    expect(results).toEqual([40, 1, 20]);
  });

  it('handles an empty list and a window larger than the list', async () => {
    expect(await mapBounded([], 5, async (x) => x)).toEqual([]);
    expect(await mapBounded([1, 2], 10, async (x) => x + 1)).toEqual([2, 3]);
  });

  it('rejects a window that is not a whole number of at least 1', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      await expect(mapBounded([1], bad, async (x) => x)).rejects.toThrow(/window must be a whole number/);
    }
  });
});
