/**
 * Memory admission for the compute stage. Task-queue slots (`--activities`) bound how many
 * activities run at once, not how much memory they take: four computes over big regions can
 * exhaust a worker that runs forty small ones easily. So each compute first estimates its footprint
 * from its inputs' parquet metadata and waits, asynchronously, until that much of the worker's
 * memory budget is free. Waiting happens inside the activity, so the stage's 1 s heartbeats keep
 * flowing (and carry cancellation); it does count against the stage's startToCloseTimeout.
 */
import os from 'node:os';
import { scanSummary } from './parquet';

/** Half the machine's memory, or of the container's limit when there is a smaller one. */
export function defaultMemoryBudget(): number {
  const limit = process.constrainedMemory?.() ?? 0; // cgroup limit; 0 or ~2^64 when there is none
  return Math.floor(Math.min(os.totalmem(), limit > 0 ? limit : Infinity) / 2);
}

/**
 * Bytes per value in polars' in-memory (Arrow) layout. Booleans are bit-packed in Arrow but
 * counted as a byte; strings as a 16-byte view plus a short payload; anything else as 16.
 */
const FIXED_BYTES: Record<string, number> = {
  Bool: 1,
  Boolean: 1,
  Int8: 1,
  UInt8: 1,
  Int16: 2,
  UInt16: 2,
  Int32: 4,
  UInt32: 4,
  Float32: 4,
  Date: 4,
  Int64: 8,
  UInt64: 8,
  Float64: 8,
  Time: 8,
};
const STRING_BYTES = 32;
const OTHER_BYTES = 16;

export function bytesPerValue(type: string): number {
  const base = type.replace(/\(.*$/, ''); // Datetime(Milliseconds, None) -> Datetime
  if (Object.hasOwn(FIXED_BYTES, base)) return FIXED_BYTES[base]!;
  if (base === 'Datetime' || base === 'Duration') return 8;
  if (base === 'String' || base === 'Utf8' || base === 'Categorical' || base === 'Binary') return STRING_BYTES;
  return OTHER_BYTES;
}

/**
 * Peak memory of a compute over its inputs, relative to their raw in-memory size: the metrics
 * group, join and re-join the full stock and transaction tables (lostSales builds several
 * per-day frames of stock's length). Measured on generated data (3.0 M transactions + 3.15 M stock
 * rows = 116 MB raw): the worker's RSS grew by about 710 MB during the compute, ~6x.
 */
export const JOIN_FACTOR = 6;

/** Estimated peak bytes of a compute: sum over files of rows x bytes per row (from the parquet schema), x JOIN_FACTOR. */
export async function estimateFootprint(files: string[], factor = JOIN_FACTOR): Promise<number> {
  // scanSummary reads the footer only (row count and schema): no rows are loaded to estimate.
  const summaries = await Promise.all(files.map((f) => scanSummary(f)));
  const raw = summaries.reduce((sum, { rows, schema }) => {
    const rowBytes = Object.values(schema).reduce((b, type) => b + bytesPerValue(type), 0);
    return sum + rows * rowBytes;
  }, 0);
  return Math.ceil(raw * factor);
}

interface Waiter {
  charge: number;
  grant: () => void;
}

export type Release = () => void;

/**
 * A byte budget handed out first come, first served: a job waits while any job queued before it
 * waits, so a big job is not starved by a stream of small ones. A job bigger than the whole budget
 * is charged the whole budget: it runs alone, once everything before it is done, rather than never.
 */
export class MemoryAdmission {
  private used = 0;
  private readonly queue: Waiter[] = [];
  readonly stats = { admitted: 0, waited: 0, cancelled: 0, peakInUse: 0 };

  constructor(readonly budget: number) {
    if (!(budget > 0) || !Number.isFinite(budget))
      throw new Error(`memory budget must be a positive size, got ${budget}`);
  }

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Resolves once `bytes` are held; the returned release gives them back (calling it twice is
   * harmless). Rejects with the signal's reason if it aborts first. `onWait` is called if the job
   * cannot start at once.
   */
  acquire(bytes: number, signal?: AbortSignal, onWait?: () => void): Promise<Release> {
    const charge = Math.min(Math.max(0, Math.ceil(bytes)), this.budget);
    return new Promise<Release>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i < 0) return; // already granted: the caller owns the release
        this.queue.splice(i, 1);
        this.stats.cancelled += 1;
        reject(abortReason(signal!));
        this.pump(); // jobs queued behind it may fit now
      };
      const waiter: Waiter = {
        charge,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          this.used += charge;
          this.stats.admitted += 1;
          this.stats.peakInUse = Math.max(this.stats.peakInUse, this.used);
          resolve(this.releaser(charge));
        },
      };
      this.queue.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pump();
      if (this.queue.includes(waiter)) {
        this.stats.waited += 1;
        onWait?.();
      }
    });
  }

  /** Runs `work` holding `bytes`, released on every exit path. */
  async run<T>(bytes: number, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    const release = await this.acquire(bytes, signal);
    try {
      return await work();
    } finally {
      release();
    }
  }

  private releaser(charge: number): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= charge;
      this.pump();
    };
  }

  /** Admits queued jobs in order while the one at the head fits. */
  private pump(): void {
    while (this.queue.length > 0 && this.used + this.queue[0]!.charge <= this.budget) this.queue.shift()!.grant();
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error(`cancelled: ${String(signal.reason)}`);
}
