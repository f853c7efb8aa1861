/**
 * Real file-system faults for tests: a small tmpfs that can be filled to the last byte (ENOSPC),
 * and a read-only bind mount (EROFS). Both need root (CI runs as root); without it the test fails
 * saying so, rather than faking the fault.
 */
import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Mount {
  dir: string;
  unmount(): Promise<void>;
}

async function mount(args: string[], dir: string): Promise<void> {
  try {
    await exec('mount', [...args]);
  } catch (err) {
    throw new Error(
      `CANNOT MOUNT at ${dir}: this test needs root (CAP_SYS_ADMIN) to create a real file-system fault ` +
        `(mount ${args.join(' ')}): ${(err as Error).message}`,
    );
  }
}

const unmounter = (dir: string) => async () => {
  await exec('umount', ['-l', dir]).catch(() => undefined);
};

/** A tmpfs of `bytes` at `dir` (which must exist). */
export async function tmpfs(dir: string, bytes: number): Promise<Mount> {
  await mount(['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir], dir);
  return { dir, unmount: unmounter(dir) };
}

/** `dir` made read-only in place (a read-only bind mount over itself). */
export async function readOnly(dir: string): Promise<Mount> {
  await mount(['--bind', dir, dir], dir);
  await mount(['-o', 'remount,bind,ro', dir], dir);
  return { dir, unmount: unmounter(dir) };
}

/** Writes a file into `dir` until the disk is full; returns its path (delete it to free the space). */
export async function fillUp(dir: string): Promise<string> {
  const file = path.join(dir, 'filler.bin');
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
      for (;;) {
        try {
          const { bytesWritten } = await handle.write(chunk, 0, size);
          if (bytesWritten < size) break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
          break;
        }
      }
    }
  } finally {
    await handle.close();
  }
  return file;
}
