/** Storage on the local file system (storage/index.ts): atomic writes by rename, exclusive ones by hard link. */
import { link, readdir, readFile, rename, rm, rmdir, stat, writeFile, open } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import type { ExclusiveOptions, ObjectInfo, Storage } from './types';
import { makeOutputDir, writingOutput } from './faults';

const missing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

export class LocalStorage implements Storage {
  readonly kind = 'local' as const;

  async stat(file: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(file);
      if (!s.isFile()) return undefined;
      return { path: file, size: s.size, version: `${s.size}-${s.mtimeMs}-${s.ino}`, modifiedMs: s.mtimeMs };
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  async read(file: string): Promise<Buffer | undefined> {
    return readFile(file).catch((err: unknown) => (missing(err) ? undefined : Promise.reject(err)));
  }

  async readRange(file: string, offset: number, length: number): Promise<Buffer> {
    const handle = await open(file, 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async write(file: string, body: string | Buffer): Promise<void> {
    await makeOutputDir(path.dirname(file));
    // Named for its writer, host and process: a cleanup can tell a dead writer's (storage/index.ts deadWriter).
    const tmp = `${file}.tmp-${hostname()}-${process.pid}`;
    try {
      await writingOutput(file, async () => {
        await writeFile(tmp, body);
        await rename(tmp, file);
      });
    } catch (err) {
      await rm(tmp, { force: true }).catch(() => undefined); // a full disk leaves no half file behind
      throw err;
    }
  }

  async createExclusive(file: string, body: string | Buffer, options: ExclusiveOptions = {}): Promise<boolean> {
    await makeOutputDir(path.dirname(file));
    // Named for its owner (a run: its retry writes over what a killed attempt left, then removes it),
    // else for the process and the moment. The hard link takes it whole, and only if there is none.
    const tmp = `${file}.tmp-${options.owner ?? `${process.pid}-${Date.now()}`}`;
    try {
      await writingOutput(file, () => writeFile(tmp, body));
      await options.written?.();
      await writingOutput(file, () => link(tmp, file));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    } finally {
      await rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  async list(dir: string): Promise<ObjectInfo[]> {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((err: unknown) =>
      missing(err) ? [] : Promise.reject(err),
    );
    const found: ObjectInfo[] = [];
    for (const e of entries.filter((x) => x.isFile())) {
      const info = await this.stat(path.join(e.parentPath, e.name));
      if (info) found.push(info);
    }
    return found.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  async children(dir: string): Promise<string[]> {
    return readdir(dir).catch((err: unknown) => (missing(err) ? [] : Promise.reject(err)));
  }

  async removeTree(dir: string): Promise<void> {
    // maxRetries: an attempt that timed out may still be removing its own files in there.
    await rm(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }

  async move(from: string, to: string): Promise<void> {
    await makeOutputDir(path.dirname(to));
    await writingOutput(to, () => rename(from, to));
  }

  async makeDir(dir: string): Promise<void> {
    await makeOutputDir(dir);
  }

  async remove(file: string, keepAbove?: string): Promise<void> {
    await rm(file, { force: true });
    if (keepAbove !== undefined) await this.pruneEmpty(path.dirname(file), keepAbove);
  }

  async pruneEmpty(folder: string, keepAbove: string): Promise<void> {
    const root = path.resolve(keepAbove);
    for (let dir = path.resolve(folder); dir.startsWith(root + path.sep); dir = path.dirname(dir)) {
      if (
        !(await rmdir(dir).then(
          () => true,
          () => false,
        ))
      )
        return;
    }
  }
}
