/**
 * The platform pins: nodejs-polars 0.26.1 installs from the committed lockfile with `npm ci`, and the
 * native binary that loads is the pinned one (a stale node_modules from 0.24 would run other code).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');
const SCRIPT = path.join(ROOT, 'bin', 'lockPlaceholders.cjs');
const run = promisify(execFile);
interface Manifest {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  packages?: Record<string, { version?: string }>;
}
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Manifest;

describe('package-lock.json', () => {
  it('has an entry for every optional package, published or not, so npm ci accepts it', async () => {
    const { stdout } = await run(process.execPath, [SCRIPT, '--check']);
    expect(stdout).toBe('lockfile complete\n');
  });

  it('is caught when npm install drops the unpublished platform packages again', async () => {
    const lock = readJson(path.join(ROOT, 'package-lock.json'));
    const packages = lock.packages ?? {};
    // What npm 11.16+ writes: no entry at all for an optional package it could not fetch.
    for (const [at, entry] of Object.entries(packages)) if (at && !entry.version) delete packages[at];
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'lock-')), 'package-lock.json');
    writeFileSync(file, JSON.stringify(lock));
    const failed = await run(process.execPath, [SCRIPT, '--check', file]).then(
      () => undefined,
      (err: { code: number; stdout: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toContain('node_modules/nodejs-polars-darwin-arm64');
    expect(failed?.stdout).toContain('node_modules/nodejs-polars/node_modules/nodejs-polars-android-arm64');
    expect(failed?.stdout).toContain('npm run lock-placeholders');
  });
});

describe('nodejs-polars', () => {
  it('is the pinned version, with a native binary of the same version', () => {
    const project = readJson(path.join(ROOT, 'package.json'));
    const pinned = project.dependencies?.['nodejs-polars'];
    expect(readJson(path.join(ROOT, 'node_modules/nodejs-polars/package.json')).version).toBe(pinned);
    const manifest = (name: string) => path.join(ROOT, 'node_modules', name, 'package.json');
    const platforms = Object.keys({ ...project.dependencies, ...project.optionalDependencies });
    const installed = platforms.filter((n) => n.startsWith('nodejs-polars-') && existsSync(manifest(n)));
    expect(installed.length).toBeGreaterThan(0);
    for (const name of installed) expect([name, readJson(manifest(name)).version]).toEqual([name, pinned]);
    const column = pl.DataFrame({ a: [1, 2, 3] }).getColumn('a');
    expect(column.sum()).toBe(6);
  });
});
