// Files cached by the content they are made from, shared by the two caches that build code: the
// command's compiled sources (bin/cliBundle.cjs) and the workflow bundle (workers/bundle.ts). A key
// hashes every source file in the given folders, the extra files (the lockfile: dependencies'
// versions) and a salt; an edited file gives a new key, so a stale file is never used. Plain Node:
// the command loads it before any TypeScript can run.
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, rmSync, statSync } = require('node:fs');
const path = require('node:path');

function filesUnder(dir, pattern) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const at = path.join(dir, e.name);
    if (e.isDirectory()) return filesUnder(at, pattern);
    return e.isFile() && pattern.test(e.name) ? [at] : [];
  });
}

/**
 * A 16-hex-digit hash of `salt`, of every file under `folders` of `root` whose name matches
 * `pattern`, and of the `extra` files of `root` that exist (each with its path, relative to root).
 */
function contentKey({ root, folders, pattern, extra = [], salt = '' }) {
  const files = [
    ...folders.flatMap((f) => filesUnder(path.join(root, f), pattern)),
    ...extra.map((f) => path.join(root, f)),
  ];
  const hash = createHash('sha256').update(salt);
  for (const file of files.sort()) {
    if (!existsSync(file)) continue;
    hash.update(`\0${path.relative(root, file)}\0`).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Removes all but the `keep` newest files of `dir` whose names match `pattern` (other versions' leftovers). */
function keepNewest(dir, pattern, keep) {
  const dated = readdirSync(dir)
    .filter((n) => pattern.test(n))
    .map((n) => {
      try {
        return { n, at: statSync(path.join(dir, n)).mtimeMs };
      } catch {
        return { n, at: 0 };
      }
    })
    .sort((a, b) => b.at - a.at);
  for (const { n } of dated.slice(keep)) rmSync(path.join(dir, n), { force: true });
}

module.exports = { contentKey, keepNewest };
