/**
 * How a dataset glob reads, as pure functions: the folder walk (activities/glob.ts) matches with
 * them, and the spec asks from paths alone whether a glob can reach a folder
 * (pipeline/outputPlacement.ts), so the two never disagree on what a glob matches.
 */

/** The glob's segments: `*` and `?` match within one, `**` stands for any number of them. */
export function globSegments(pattern: string): string[] {
  return pattern.split('/').filter((s) => s !== '' && s !== '.');
}

export function segmentRegex(segment: string): RegExp {
  const body = segment
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** Folders the walk never enters: their names start with "." (`.staging`, a hidden output root, …). */
export const isHidden = (name: string): boolean => name.startsWith('.');

/** Positions in the glob a walk can be at after `folder`'s names; empty once it cannot go on. */
function positionsAfter(glob: readonly string[], folder: readonly string[]): Set<number> {
  /** Positions in the glob after `**`s that take no name. */
  const skipStars = (at: Set<number>) => {
    for (const p of at) if (glob[p] === '**') at.add(p + 1);
    return at;
  };
  let at = skipStars(new Set([0]));
  for (const name of folder) {
    if (isHidden(name)) return new Set();
    const next = new Set<number>();
    for (const p of at) {
      const head = glob[p];
      if (head === '**') next.add(p);
      else if (head !== undefined && segmentRegex(head).test(name)) next.add(p + 1);
    }
    at = skipStars(next);
  }
  return at;
}

/**
 * Whether `pattern` can match the folder at `folder` (its names from the glob's root down) or a
 * folder under it, whatever those hold. Follows the walk: a `**` takes zero or more names, and a
 * hidden name on the way stops it.
 */
export function globCanReach(pattern: string, folder: readonly string[]): boolean {
  return positionsAfter(globSegments(pattern), folder).size > 0;
}

/** Whether `pattern` matches the folder at `folder` itself, as the folder walk would (never the root). */
export function globMatches(pattern: string, folder: readonly string[]): boolean {
  const glob = globSegments(pattern);
  return folder.length > 0 && positionsAfter(glob, folder).has(glob.length);
}

/** The glob's leading names without wildcards: the only folder its matches can lie under. */
export function globLiteralPrefix(pattern: string): string[] {
  const glob = globSegments(pattern);
  const wild = glob.findIndex((s) => /[*?]/.test(s));
  // The last name stays out even when literal: the prefix is a folder to look in, not the match.
  return glob.slice(0, wild === -1 ? Math.max(0, glob.length - 1) : wild);
}
