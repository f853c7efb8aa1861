/**
 * One storage interface for everything Tributary writes and reads by path, with two implementations:
 * local files (storage/local.ts) and S3-compatible object storage (storage/s3.ts, `s3://bucket/key`).
 * Callers never branch on the kind: they ask `storageFor(path)`. The operations are those an object
 * store has: no rename, no directories; `createExclusive` (a conditional put) is what commits.
 */
import path from 'node:path';
import { LocalStorage } from './local';
import { polarsCloudOptions, S3Storage } from './s3';

export interface ObjectInfo {
  /** The object's path in the form it was asked for (local path, or s3://bucket/key). */
  path: string;
  size: number;
  /** Changes whenever the content may have (ETag, or size+mtime+inode locally). */
  version: string;
  /** When it was last written, ms since the epoch. */
  modifiedMs?: number;
}

/** Options of an exclusive create: who writes (names its temporary file, locally), a test step before the commit. */
export interface ExclusiveOptions {
  owner?: string;
  written?: () => void | Promise<void>;
}

export interface Storage {
  readonly kind: 'local' | 's3';
  /** The object's size and version; undefined when there is none. */
  stat(path: string): Promise<ObjectInfo | undefined>;
  /** The whole object; undefined when there is none. */
  read(path: string): Promise<Buffer | undefined>;
  /** `length` bytes from `offset` (a ranged GET on object storage). */
  readRange(path: string, offset: number, length: number): Promise<Buffer>;
  /** Writes the whole object: a reader sees the old one or the new one, never part. */
  write(path: string, body: string | Buffer): Promise<void>;
  /** Writes the object only if there is none; false when there was. The one write a commit is. */
  createExclusive(path: string, body: string | Buffer, options?: ExclusiveOptions): Promise<boolean>;
  /** Every object under the folder or prefix `dir`, at any depth. */
  list(dir: string): Promise<ObjectInfo[]>;
  /** Removes the object (and, locally, its folders up to `keepAbove` while they are empty); none is fine. */
  remove(path: string, keepAbove?: string): Promise<void>;
}

export const isObjectStorage = (p: string): boolean => p.startsWith('s3://');

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

/** A root as runs use it: a local folder made absolute, an `s3://bucket/prefix` without its trailing '/'. */
export function resolveRoot(p: string): string {
  const object = /^(s3:\/\/[^/]+)(.*)$/.exec(p);
  if (!object) return path.resolve(p);
  const key = path.posix.resolve('/', object[2] || '/');
  return key === '/' ? object[1]! : `${object[1]!}${key}`;
}

/** `base` and '/'-separated `parts` joined: the same for local paths and object keys. */
export function joinPath(base: string, ...parts: string[]): string {
  return [base.replace(/\/+$/, ''), ...parts.map((p) => p.replace(/^\/+|\/+$/g, ''))].filter((p) => p !== '').join('/');
}

/** Options polars' scanParquet / sinkParquet need for `path`: cloud options on object storage, none locally. */
export function polarsOptions(p: string): { cloudOptions?: Record<string, string> } {
  return isObjectStorage(p) ? { cloudOptions: polarsCloudOptions() } : {};
}
