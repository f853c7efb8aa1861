/**
 * Memory admission: the budget is never exceeded, jobs start in arrival order, a job bigger than
 * the budget runs alone, and bytes come back on every exit path (success, error, cancellation,
 * including an activity cancelled while it waits). Plus the footprint estimate from a real
 * parquet file's metadata.
 */
import path from 'node:path';
import { CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities';
import type { ComputeInput } from '../activities/compute';
import { estimateFootprint, JOIN_FACTOR, MemoryAdmission } from '../activities/admission';
import { parseBytes } from '../common/bytes';
import { datasetRefs, generateRetailWeek, referenceRefs } from '../datagen';
import { tempDir } from './helpers/parquet';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

/** A job whose end the test decides. */
function job(admission: MemoryAdmission, bytes: number, started: string[], name: string, signal?: AbortSignal) {
  let finish!: (fail?: Error) => void;
  const done = admission.run(bytes, signal, async () => {
    started.push(name);
    await new Promise<void>((resolve, reject) => (finish = (fail) => (fail ? reject(fail) : resolve())));
    return name;
  });
  return { done, finish: (fail?: Error) => finish(fail) };
}

// Short timeouts: a broken admission shows up as a job that never starts.
describe('MemoryAdmission', { timeout: 10_000 }, () => {
  it('never has more than its budget in flight, and runs every job', async () => {
    const admission = new MemoryAdmission(100);
    let inFlight = 0;
    let peak = 0;
    const sizes = Array.from({ length: 40 }, (_, i) => 10 + ((i * 37) % 60));
    await Promise.all(
      sizes.map((bytes, i) =>
        admission.run(bytes, undefined, async () => {
          inFlight += bytes;
          peak = Math.max(peak, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 1 + ((i * 7) % 10)));
          inFlight -= bytes;
        }),
      ),
    );
    expect(peak).toBeLessThanOrEqual(100);
    expect(peak).toBeGreaterThan(60); // it did run several at once
    expect(admission.stats.admitted).toBe(40);
    expect(admission.inUse).toBe(0);
  });

  it('starts jobs in arrival order: a small job does not overtake a big one that waits', async () => {
    const admission = new MemoryAdmission(10);
    const started: string[] = [];
    const a = job(admission, 6, started, 'a');
    const b = job(admission, 6, started, 'b');
    const c = job(admission, 2, started, 'c'); // would fit beside a, but b came first
    await tick();
    expect(started).toEqual(['a']);
    a.finish();
    await tick();
    expect(started).toEqual(['a', 'b', 'c']);
    b.finish();
    c.finish();
    await Promise.all([a.done, b.done, c.done]);
  });

  it('runs a job bigger than the whole budget alone, rather than never', async () => {
    const admission = new MemoryAdmission(10);
    const started: string[] = [];
    const small = job(admission, 3, started, 'small');
    const huge = job(admission, 50, started, 'huge');
    const after = job(admission, 1, started, 'after');
    await tick();
    expect(started).toEqual(['small']);
    small.finish();
    await tick();
    expect(started).toEqual(['small', 'huge']); // alone: 'after' waits
    expect(admission.inUse).toBe(10);
    huge.finish();
    await tick();
    expect(started).toEqual(['small', 'huge', 'after']);
    after.finish();
    expect(await Promise.all([small.done, huge.done, after.done])).toEqual(['small', 'huge', 'after']);
  });

  it('gives the bytes back when the work fails', async () => {
    const admission = new MemoryAdmission(10);
    const started: string[] = [];
    const failing = job(admission, 8, started, 'failing');
    const next = job(admission, 8, started, 'next');
    await tick();
    failing.finish(new Error('boom'));
    await expect(failing.done).rejects.toThrow('boom');
    await tick();
    expect(started).toEqual(['failing', 'next']);
    next.finish();
    await next.done;
    expect(admission.inUse).toBe(0);
  });

  it('a job cancelled while waiting leaves the queue, holds nothing, and lets the next one in', async () => {
    const admission = new MemoryAdmission(10);
    const started: string[] = [];
    const running = job(admission, 6, started, 'running');
    const cancel = new AbortController();
    const cancelled = job(admission, 6, started, 'cancelled', cancel.signal);
    const behind = job(admission, 4, started, 'behind');
    await tick();
    expect(admission.waiting).toBe(2);
    cancel.abort(new CancelledFailure('cancelled by test'));
    await expect(cancelled.done).rejects.toBeInstanceOf(CancelledFailure);
    await tick();
    expect(started).toEqual(['running', 'behind']); // 6 + 4 fit once the 6 in front is gone
    expect(admission.waiting).toBe(0);
    running.finish();
    behind.finish();
    await Promise.all([running.done, behind.done]);
    expect(admission.inUse).toBe(0);
    await expect(admission.acquire(1, cancel.signal)).rejects.toBeInstanceOf(CancelledFailure); // already aborted
    expect(admission.stats.cancelled).toBe(1);
  });

  it('parses sizes', () => {
    expect(parseBytes('512MiB')).toBe(512 * 2 ** 20);
    expect(parseBytes('2GiB')).toBe(2 * 2 ** 30);
    expect(parseBytes('2 GB')).toBe(2e9);
    expect(parseBytes('8g')).toBe(8 * 2 ** 30);
    expect(parseBytes('1048576')).toBe(1048576);
    for (const bad of ['', 'lots', '-1', '2 parsecs', '1constructor']) expect(parseBytes(bad)).toBeUndefined();
  });
});

describe('footprint estimate', () => {
  it('is rows x bytes per value of each column type, from the parquet metadata, x the join factor', async () => {
    const dir = await tempDir('tributary-admission-');
    const file = path.join(dir, 'typed.parquet');
    const rows = 1_000;
    const ids = Array.from({ length: rows }, (_, i) => i);
    pl.DataFrame([
      pl.Series('id', ids, pl.Int32),
      pl.Series('value', ids, pl.Float64),
      pl.Series(
        'flag',
        ids.map((i) => i % 2 === 0),
        pl.Bool,
      ),
      pl.Series(
        'name',
        ids.map((i) => `p${i}`),
        pl.Utf8,
      ),
    ]).writeParquet(file);
    // Int32 4 + Float64 8 + Bool 1 + String 32 = 45 bytes a row.
    expect(await estimateFootprint([file], 1)).toBe(rows * 45);
    expect(await estimateFootprint([file, file])).toBe(2 * rows * 45 * JOIN_FACTOR);
  });
});

describe('compute admission in the activity', { timeout: 30_000 }, () => {
  let input: ComputeInput;
  beforeAll(async () => {
    const data = await tempDir('tributary-admission-data-');
    const manifest = await generateRetailWeek({
      out: data,
      regions: 1,
      stores: 2,
      products: 10,
      days: 7,
      seed: 5,
      week: '2026-11-16',
      substitutionShare: 0.6,
      stockoutRate: 0.2,
    });
    const out = await tempDir('tributary-admission-out-');
    input = {
      dataset: datasetRefs(data, manifest)[0]!,
      reference: referenceRefs(data, manifest),
      week: '2026-11-16',
      metrics: ['hierarchySales'],
      output: { root: out, path: '{week}/{dataset}/{table}.parquet' },
      stagingDir: path.join(out, '.staging', 'north'),
    };
  });

  it('waits heartbeating while the budget is taken, and stops at once when cancelled', async () => {
    const admission = new MemoryAdmission(1_000); // less than this compute's estimate: it needs the whole budget
    const hold = await admission.acquire(1_000); // taken by "another compute"
    const activities = createActivities({ admission });
    const env = new MockActivityEnvironment();
    const beats: Record<string, unknown>[] = [];
    env.on('heartbeat', (d: Record<string, unknown>) => beats.push(d));
    const run = env.run(() => activities.computeMetrics(input));
    await expect.poll(() => beats.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2); // runStage's 1 s beat flows while waiting
    expect(admission.waiting).toBe(1);
    expect(beats[0]).toMatchObject({ stage: 'compute', staged: [], waitingForMemory: expect.stringContaining('of') });
    env.cancel();
    await expect(run).rejects.toBeInstanceOf(CancelledFailure);
    expect(admission.waiting).toBe(0);
    expect(admission.inUse).toBe(1_000); // only the holder's bytes
    hold();
    expect(admission.inUse).toBe(0);
  });

  it('gives the budget back when the compute succeeds or fails', async () => {
    const admission = new MemoryAdmission(1_000_000_000);
    const activities = createActivities({ admission });
    const done = (await new MockActivityEnvironment().run(() => activities.computeMetrics(input))) as Awaited<
      ReturnType<typeof activities.computeMetrics>
    >;
    expect(done.tables.map((t) => t.table)).toEqual(['hierarchy_sales']);
    expect(admission.inUse).toBe(0);
    const failing = new MockActivityEnvironment().run(() =>
      activities.computeMetrics({ ...input, metrics: ['noSuchMetric'] }),
    );
    await expect(failing).rejects.toThrow();
    expect(admission.stats.admitted).toBe(2);
    expect(admission.inUse).toBe(0);
  });
});
