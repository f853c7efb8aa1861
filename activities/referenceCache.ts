/**
 * Reference data read once per worker and shared by concurrent activities. Single-flight: concurrent
 * requests for the same file wait for one load. Keyed by path, size and mtime, so a changed file is
 * re-read. Bounded by entry count for now.
 */
import { stat } from 'node:fs/promises';
import type pl from 'nodejs-polars';

export class ReferenceCache {
  private readonly entries = new Map<string, Promise<pl.DataFrame>>();
  loads = 0;

  constructor(private readonly maxEntries = 16) {}

  async get(file: string, load: (file: string) => Promise<pl.DataFrame>): Promise<pl.DataFrame> {
    const info = await stat(file);
    const key = `${file}:${info.size}:${info.mtimeMs}`;
    let entry = this.entries.get(key);
    if (!entry) {
      this.loads += 1;
      entry = load(file);
      this.entries.set(key, entry);
      entry.catch(() => this.entries.delete(key)); // a failed load is not cached
      while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    }
    return entry;
  }
}
