/** A small glob over folders: `*` and `?` within one path segment, `**` for any depth. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';

function segmentRegex(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** Folders under `root` matching `pattern`, as paths relative to `root`, sorted. */
export async function globFolders(root: string, pattern: string): Promise<string[]> {
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.');
  const found = new Set<string>();
  const walk = async (relative: string, rest: string[]): Promise<void> => {
    const [head, ...tail] = rest;
    if (head === undefined) {
      if (relative) found.add(relative);
      return;
    }
    const entries = await readdir(path.join(root, relative), { withFileTypes: true }).catch(() => []);
    const folders = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
    if (head === '**') {
      await walk(relative, tail);
      await Promise.all(folders.map((f) => walk(path.join(relative, f), rest)));
      return;
    }
    const re = segmentRegex(head);
    await Promise.all(folders.filter((f) => re.test(f)).map((f) => walk(path.join(relative, f), tail)));
  };
  await walk('', segments);
  return [...found].sort();
}
