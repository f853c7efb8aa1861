/**
 * Reference data read once per worker and shared by the activities running on it.
 * - Single-flight: concurrent requests for the same file wait for one load.
 * - Keyed by path, size and version (locally mtime and inode, on object storage the ETag): a changed
 *   file is read again, and its old version dropped.
 * - A failed load is not cached: the next request tries again.
 * - Bounded in bytes (polars' estimate of each frame's buffers), least recently used evicted first.
 *   A load still in flight is never evicted (its waiters would miss it and a second load would
 *   start); eviction only drops the cache's reference, so an activity holding a frame keeps it, and
 *   the memory is freed once the last holder is done. A frame bigger than the whole budget is handed
 *   to its waiters but not kept.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type pl from 'nodejs-polars';
import { MiB } from '../common/bytes';
import { storageFor } from '../storage';

export const DEFAULT_REFERENCE_CACHE_BYTES = 512 * MiB;

/** Bytes held by a frame's buffers, as polars estimates them. */
export function frameBytes(df: pl.DataFrame): number {
  // nodejs-polars (0.24 to 0.26) has no DataFrame.estimatedSize(), but its native frame does.
  const native = df._df as { estimatedSize?: () => number } | undefined;
  if (typeof native?.estimatedSize === 'function') return native.estimatedSize();
  return df.height * df.width * 8;
}

interface Entry {
  file: string;
  frame: Promise<pl.DataFrame>;
  /** Counted against the budget once loaded; a pending entry is 0 and cannot be evicted. */
  bytes: number;
  loaded: boolean;
}

export class ReferenceCache {
  /** Map order is recency order: oldest first, a hit moves its entry to the end. */
  private readonly entries = new Map<string, Entry>();
  /** File -> key of its newest version, to drop an old version once a new one is seen. */
  private readonly newest = new Map<string, string>();
  private held = 0;
  readonly stats = { loads: 0, hits: 0, evictions: 0 };

  constructor(
    readonly maxBytes = DEFAULT_REFERENCE_CACHE_BYTES,
    private readonly sizeOf: (df: pl.DataFrame) => number = frameBytes,
  ) {}

  /** Bytes of the frames the cache holds now. */
  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.entries.size;
  }

  async get(file: string, load: (file: string) => Promise<pl.DataFrame>): Promise<pl.DataFrame> {
    const info = await storageFor(file).stat(file);
    if (!info) throw ApplicationFailure.nonRetryable(`Reference file ${file} does not exist`, 'FileNotFound');
    const key = `${file}:${info.size}:${info.version}`;
    // From here to the end nothing awaits: the lookup and the insert are one step for the event
    // loop, so of N concurrent callers exactly one starts the load.
    const found = this.entries.get(key);
    if (found) {
      this.stats.hits += 1;
      this.entries.delete(key);
      this.entries.set(key, found);
      return found.frame;
    }
    const older = this.newest.get(file);
    if (older !== undefined) this.drop(older);
    this.newest.set(file, key);
    this.stats.loads += 1;
    const entry: Entry = { file, frame: load(file), bytes: 0, loaded: false };
    this.entries.set(key, entry);
    // Registered before any caller's await, so the accounting is done when the first caller resumes.
    entry.frame.then(
      (df) => {
        if (this.entries.get(key) !== entry) return; // dropped for a newer version meanwhile
        entry.loaded = true;
        entry.bytes = this.sizeOf(df);
        this.held += entry.bytes;
        this.evict();
      },
      () => {
        if (this.entries.get(key) === entry) this.drop(key); // a failed load is not cached
      },
    );
    return entry.frame;
  }

  /** Drops loaded entries, least recently used first, until the cache fits its budget. */
  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.held <= this.maxBytes) return;
      if (!entry.loaded) continue;
      this.drop(key);
      this.stats.evictions += 1;
    }
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.held -= entry.bytes;
    if (this.newest.get(entry.file) === key) this.newest.delete(entry.file);
  }
}
