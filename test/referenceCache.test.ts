/**
 * The worker's reference cache on real parquet files: one load for many concurrent readers,
 * bounded in bytes (LRU, pending loads never evicted), a changed file read again, a failed load
 * not kept.
 */
import { utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import { frameBytes, ReferenceCache } from '../activities/referenceCache';
import { tempDir, writeNumberedFiles } from './helpers/parquet';

let dir: string;
let files: string[];
/** Bytes polars estimates for one of the 10,000-row files (two Float64 columns: 160,000). */
let fileBytes: number;

/** A real parquet loader that counts its calls. */
function countingLoader() {
  const calls: string[] = [];
  const load = (file: string) => {
    calls.push(file);
    return pl.scanParquet(file).collect();
  };
  return { calls, load };
}

beforeAll(async () => {
  dir = await tempDir('tributary-refcache-');
  files = await writeNumberedFiles(dir, [10_000, 10_000, 10_000]);
  fileBytes = frameBytes(await pl.scanParquet(files[0]!).collect());
});

describe('ReferenceCache', () => {
  it('loads once for many concurrent readers, who all get the same frame', async () => {
    const cache = new ReferenceCache();
    const { calls, load } = countingLoader();
    const frames = await Promise.all(Array.from({ length: 8 }, () => cache.get(files[0]!, load)));
    expect(calls).toHaveLength(1);
    expect(new Set(frames).size).toBe(1);
    expect(frames[0]!.height).toBe(10_000);
    expect(cache.stats).toMatchObject({ loads: 1, hits: 7, evictions: 0 });
    expect(cache.bytes).toBe(fileBytes);
    // and later readers hit too
    await cache.get(files[0]!, load);
    expect(calls).toHaveLength(1);
  });

  it('stays within its byte budget, evicting the least recently used frame', async () => {
    expect(fileBytes).toBeGreaterThan(100_000); // polars' estimate is real, not a placeholder
    const cache = new ReferenceCache(Math.floor(fileBytes * 2.5));
    const { calls, load } = countingLoader();
    const [a, b, c] = files as [string, string, string];
    const frameB = await cache.get(b, load);
    await cache.get(a, load);
    await cache.get(b, load); // b is now more recent than a
    await cache.get(c, load); // over budget: a goes
    expect(cache.stats.evictions).toBe(1);
    expect(cache.bytes).toBeLessThanOrEqual(cache.maxBytes);
    expect(cache.size).toBe(2);
    await cache.get(b, load);
    await cache.get(c, load);
    expect(calls).toEqual([b, a, c]);
    await cache.get(a, load); // evicted: read again (and b, now the oldest, goes)
    expect(calls).toEqual([b, a, c, a]);
    expect(cache.stats.evictions).toBe(2);
    // Eviction dropped the cache's reference only: a caller's frame is intact.
    expect(frameB.height).toBe(10_000);
  });

  it('never evicts a load still in flight, and does not keep a frame bigger than the budget', async () => {
    const cache = new ReferenceCache(Math.floor(fileBytes * 1.5));
    const { calls, load } = countingLoader();
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const slowLoad = async (file: string) => {
      calls.push(file);
      await gate;
      return pl.scanParquet(file).collect();
    };
    const [a, b, c] = files as [string, string, string];
    const pending = cache.get(a, slowLoad);
    await cache.get(b, load);
    await cache.get(c, load); // over budget: b goes, the pending a must stay
    const again = cache.get(a, slowLoad); // joins the pending load
    finish();
    expect(await again).toBe(await pending);
    expect(calls.filter((f) => f === a)).toHaveLength(1);
    expect(cache.bytes).toBeLessThanOrEqual(cache.maxBytes);

    const tiny = new ReferenceCache(1_000);
    const frame = await tiny.get(a, load);
    expect(frame.height).toBe(10_000);
    expect(tiny.bytes).toBe(0);
    expect(tiny.size).toBe(0);
  });

  it('reads a file again once it changed, and drops the old version', async () => {
    const file = path.join(dir, 'changing.parquet');
    pl.DataFrame({ id: [1, 2, 3] }).writeParquet(file);
    const cache = new ReferenceCache();
    const { calls, load } = countingLoader();
    expect((await cache.get(file, load)).height).toBe(3);
    expect((await cache.get(file, load)).height).toBe(3);
    pl.DataFrame({ id: [1, 2, 3, 4] }).writeParquet(file);
    const later = new Date(Date.now() + 5_000); // a new mtime even on a coarse-grained file system
    await utimes(file, later, later);
    expect((await cache.get(file, load)).height).toBe(4);
    expect(calls).toHaveLength(2);
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(frameBytes(pl.DataFrame({ id: [1, 2, 3, 4] })));
  });

  it('does not keep a failed load: every waiter sees the error, the next request reads again', async () => {
    const file = path.join(dir, 'broken.parquet');
    await writeFile(file, 'not a parquet file');
    const cache = new ReferenceCache();
    const { calls, load } = countingLoader();
    const results = await Promise.allSettled([cache.get(file, load), cache.get(file, load), cache.get(file, load)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(calls).toHaveLength(1);
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    // Same file, same fingerprint: a transient failure is retried, not replayed from the cache.
    await expect(cache.get(file, load)).rejects.toThrow();
    expect(calls).toHaveLength(2);
    pl.DataFrame({ id: [7, 8] }).writeParquet(file);
    expect((await cache.get(file, load)).height).toBe(2);
    expect(cache.stats.loads).toBe(3);
  });
});
