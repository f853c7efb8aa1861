/** The storage interface (storage/index.ts says why), apart so that its implementations depend on it alone. */

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
  /** The names directly under `dir`: its files and folders (objects and common prefixes). */
  children(dir: string): Promise<string[]>;
  /** Removes the object (and, locally, its folders up to `keepAbove` while they are empty); none is fine. */
  remove(path: string, keepAbove?: string): Promise<void>;
  /** Removes everything under the folder or prefix `dir`; none is fine. */
  removeTree(dir: string): Promise<void>;
  /**
   * Moves one object (a staged output to its run's folder): a rename locally, a server-side copy then
   * a delete on object storage (never a folder rename, which object storage does not have).
   */
  move(from: string, to: string): Promise<void>;
  /** Prepares a folder to write into (locally: creates it; object storage has none). */
  makeDir(dir: string): Promise<void>;
  /** Removes the folder `dir` and its parents up to (not including) `keepAbove` while they are empty (locally). */
  pruneEmpty(dir: string, keepAbove: string): Promise<void>;
}
