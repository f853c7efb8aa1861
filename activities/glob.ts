/**
 * A small glob over folders: `*` and `?` within one path segment, `**` for any depth. Symbolic links
 * it reaches follow the policy of activities/links.ts: followed inside the data root, else reported.
 * On object storage the folders are the keys' prefixes, matched by the same rules (globObjects).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { globLiteralPrefix, globMatches, globSegments, isHidden, segmentRegex } from '../common/globPattern';
import type { RefusedFolder } from '../common/types';
import { joinPath, storageFor } from '../storage';
import { resolveLink } from './links';

/** Folders a glob matched (relative to the root, sorted) and the links it reached but refused. */
export interface GlobResult {
  folders: string[];
  refused: RefusedFolder[];
}

/**
 * Folders under `root` matching `pattern`, as paths relative to `root`, sorted. `realRoot`: the
 * root's real path (links must resolve below it). Hidden folders (`.staging`, …) are skipped.
 */
export async function globFolders(root: string, pattern: string, realRoot: string = root): Promise<GlobResult> {
  const segments = globSegments(pattern);
  const found = new Set<string>();
  const refused = new Map<string, RefusedFolder>();
  /** `above`: real paths of the folders walked to reach `relative`, the last being its own. */
  const walk = async (relative: string, rest: string[], above: string[]): Promise<void> => {
    const [head, ...tail] = rest;
    if (head === undefined) {
      if (relative) found.add(relative);
      return;
    }
    const here = above[above.length - 1] ?? realRoot;
    const entries = await readdir(path.join(root, relative), { withFileTypes: true }).catch(() => []);
    const visible = entries.filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !isHidden(e.name));
    if (head === '**') await walk(relative, tail, above);
    const re = head === '**' ? undefined : segmentRegex(head);
    const next = head === '**' ? rest : tail;
    await Promise.all(
      visible
        .filter((e) => !re || re.test(e.name))
        .map(async (e) => {
          const folder = path.join(relative, e.name);
          if (e.isDirectory()) return walk(folder, next, [...above, path.join(here, e.name)]);
          const link = await resolveLink(root, realRoot, folder, above);
          if (link === 'not-a-folder') return;
          if ('real' in link) return walk(folder, next, [...above, link.real]);
          refused.set(folder, { dataset: e.name, folder: folder.split(path.sep).join('/'), ...link.refused });
        }),
    );
  };
  await walk('', segments, [realRoot]);
  const byFolder = (a: RefusedFolder, b: RefusedFolder) => a.folder.localeCompare(b.folder);
  return { folders: [...found].sort(), refused: [...refused.values()].sort(byFolder) };
}

/**
 * Folders under an object-storage `root` (`s3://bucket/prefix`) matching `pattern`, as the folder
 * walk would find them on disk: a folder there is any key prefix ending at a '/', so it exists while
 * it holds an object (its data, a marker); hidden ones are skipped, and there are no links. Only the
 * glob's literal leading folders are listed (`sales/*` lists `sales/`).
 */
export async function globObjects(root: string, pattern: string): Promise<GlobResult> {
  const under = globLiteralPrefix(pattern);
  const objects = await storageFor(root).list(joinPath(root, ...under));
  const found = new Set<string>();
  for (const object of objects) {
    const names = object.path.slice(root.length + 1).split('/');
    // Every folder on the way to the object; the last name is the object's own.
    for (let depth = 1; depth < names.length; depth++) {
      const folder = names.slice(0, depth);
      if (globMatches(pattern, folder)) found.add(folder.join('/'));
    }
  }
  return { folders: [...found].sort(), refused: [] };
}
