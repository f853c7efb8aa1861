/**
 * One storage interface for everything Tributary writes and reads by path, with two implementations:
 * local files (storage/local.ts) and S3-compatible object storage (storage/s3.ts, `s3://bucket/key`).
 * Callers never branch on the kind: they ask `storageFor(path)`. The operations are those an object
 * store has: no rename, no directories; `createExclusive` (a conditional put) is what commits.
 */
import { hostname } from 'node:os';
import { LocalStorage } from './local';
import { polarsCloudOptions, S3Storage } from './s3';

export type { ExclusiveOptions, ObjectInfo, Storage } from './types';
import type { Storage } from './types';

export { isObjectUrl as isObjectStorage } from '../common/location';
import { isObjectUrl as isObjectStorage } from '../common/location';

const local = new LocalStorage();
let s3: Storage | undefined;

/** The storage a path lives on. */
export function storageFor(p: string): Storage {
  if (!isObjectStorage(p)) return local;
  // Made on first use, from the environment then (it loads the AWS SDK only when it is called).
  s3 ??= new S3Storage();
  return s3;
}

/**
 * Makes `storage` the one `s3://` paths live on in this process (undefined: the default, from the
 * environment, again). For tests that count or fail what reaches object storage, and for callers
 * with a client of their own.
 */
export function useObjectStorage(storage: Storage | undefined): void {
  s3 = storage;
}

/** `base` and '/'-separated `parts` joined: the same for local paths and object keys. */
export function joinPath(base: string, ...parts: string[]): string {
  return [base.replace(/\/+$/, ''), ...parts.map((p) => p.replace(/^\/+|\/+$/g, ''))].filter((p) => p !== '').join('/');
}

/** Options polars' scanParquet / sinkParquet need for `path`: cloud options on object storage, none locally. */
export function polarsOptions(p: string): { cloudOptions?: Record<string, string> } {
  return isObjectStorage(p) ? { cloudOptions: polarsCloudOptions() } : {};
}

/**
 * Whether the temporary file `name` (`….tmp-<host>-<pid>`, storage/local.ts) was left by a process of
 * this host that is no longer running: its write died, no retry will finish it.
 */
export function deadWriter(name: string, host: string = hostname()): boolean {
  const m = /\.tmp-(.+)-(\d+)$/.exec(name);
  if (!m || m[1] !== host) return false;
  try {
    process.kill(Number(m[2]), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
