#!/usr/bin/env node
/**
 * Keeps `npm ci` working: run it after every `npm install` that rewrites package-lock.json
 * (`npm run lock-placeholders`).
 *
 * nodejs-polars 0.26.1 lists platform packages that were never published at that version
 * (darwin-arm64, linux-arm64-gnu/musl, win32-x64-msvc, android-arm64). npm 11 (11.19 here) leaves
 * such unavailable optional packages out of the lockfile it writes, then `npm ci` rejects that same
 * lockfile ("Missing: nodejs-polars-darwin-arm64@ from lock file"; npm/cli#9846). An entry holding
 * only `"optional": true`, at the folder npm would use, is what `npm ci` accepts: it installs nothing
 * there. Plain Node, no dependencies; prints what it added.
 *
 *   node bin/lockPlaceholders.cjs [--check] [lockfile]
 *
 * With --check it changes nothing and exits 1 when an entry is missing (test/platform.test.ts).
 */
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const given = process.argv.slice(2).find((a) => !a.startsWith('--'));
const file = given ? path.resolve(given) : path.resolve(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;

/** The folder npm resolves `name` to from the package at `from` (node_modules lookup upwards). */
function resolved(from, name) {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const at = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[at]) return at;
    if (!dir) return undefined;
  }
}

const added = [];
for (const [from, entry] of Object.entries(packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    if (resolved(from, name)) continue;
    // npm places a package it could not fetch beside the one that asked for it.
    const at = from ? `${from}/node_modules/${name}` : `node_modules/${name}`;
    packages[at] = { optional: true };
    added.push(at);
  }
}
const check = process.argv.includes('--check');
if (check && added.length > 0) {
  process.stdout.write(`${path.basename(file)} lacks entries npm ci needs:\n  ${added.join('\n  ')}\n`);
  process.stdout.write('Run `npm run lock-placeholders` after npm install.\n');
  process.exit(1);
}
if (added.length > 0) {
  const [root, ...rest] = Object.keys(packages);
  const sorted = [root, ...rest.sort((a, b) => a.localeCompare(b, 'en'))];
  lock.packages = Object.fromEntries(sorted.map((k) => [k, packages[k]]));
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
}
process.stdout.write(added.length ? `placeholders added:\n  ${added.join('\n  ')}\n` : 'lockfile complete\n');
