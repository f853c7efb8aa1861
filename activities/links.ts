/**
 * The one policy for symbolic links among dataset folders, so the glob, a dataset list, doctor and
 * rerun all see the same datasets: a link that resolves to a folder inside the data root is followed
 * (the dataset keeps the link's name); one that resolves outside, loops, or leads nowhere is refused,
 * and the refusal is reported, never dropped.
 */
import { readlink, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RefusalType, RefusedFolder } from '../common/types';

/** What a link resolves to: a folder to walk (its real path), a refusal, or nothing to do with datasets (a file). */
export type LinkOutcome = { real: string } | { refused: Omit<RefusedFolder, 'dataset' | 'folder'> } | 'not-a-folder';

/** `inner` is `outer` or below it. */
export const within = (inner: string, outer: string) => inner === outer || inner.startsWith(outer + path.sep);

/**
 * Resolves the link at `root/folder`. `realRoot`: the data root's real path. `above`: real paths of
 * the folders the walk came through to reach it (a link back to one of them is a loop).
 */
export async function resolveLink(
  root: string,
  realRoot: string,
  folder: string,
  above: readonly string[],
): Promise<LinkOutcome> {
  const link = path.join(root, folder);
  const shown = `Dataset folder "${folder.split(path.sep).join('/')}"`;
  const target = await readlink(link).catch(() => '?');
  const refuse = (type: RefusalType, message: string): LinkOutcome => ({ refused: { type, message } });
  let real: string;
  try {
    real = await realpath(link);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') {
      const fix = 'replace the link with the folder it should point to';
      return refuse('SymlinkLoop', `${shown} is a symbolic link loop (-> ${target} -> …): ${fix}`);
    }
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err; // an I/O problem, retried by the stage
    return refuse(
      'DanglingSymlink',
      `${shown} is a symbolic link to ${target}, which does not exist: fix or remove it`,
    );
  }
  const info = await stat(real).catch(() => undefined);
  if (!info?.isDirectory()) return 'not-a-folder';
  if (!within(real, realRoot)) {
    const fix = 'move the data inside the data root, or point dataRoot at a folder that holds both';
    return refuse('PathOutsideDataRoot', `${shown} links to ${real}, outside the data root ${root}: ${fix}`);
  }
  const parent = above[above.length - 1] ?? realRoot;
  if (above.includes(real) || within(parent, real)) {
    const fix = 'point the link at a dataset folder';
    return refuse('SymlinkLoop', `${shown} links to ${real}, a folder it is itself inside of (a loop): ${fix}`);
  }
  return { real };
}
