/**
 * The workflow bundle, cached by content. Bundling (webpack over workflows/ and all it imports) takes
 * seconds, and every `tributary run` that hosts its worker needed one. The cache key is a hash of
 * every TypeScript source in the folders workflow code can import from and of the lockfile (the SDK's
 * version): any change to them gives a new key, so a stale bundle is never used. Bundles land in
 * `<home>/cache/`, written whole or not at all; the newest few are kept.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const ROOT = path.resolve(__dirname, '..');
/**
 * The folders a workflow bundle can import from: workflows/ and every layer below it (cli/, bench/ and
 * test/ sit above and are never imported by workflow code). Dependencies are keyed by the lockfile.
 */
const BUNDLED_FOLDERS = ['workflows', 'activities', 'workers', 'pipeline', 'runtime', 'metrics', 'datagen', 'common'];
const KEEP = 3;

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const found = await Promise.all(
    entries.map(async (e) => {
      const at = path.join(dir, e.name);
      if (e.isDirectory()) return sources(at);
      return e.isFile() && e.name.endsWith('.ts') ? [at] : [];
    }),
  );
  return found.flat();
}

/** The hash of what a bundle of `workflowsPath` is made from: the sources under `root` and its lockfile. */
export async function bundleKey(workflowsPath: string, root = ROOT): Promise<string> {
  const folders = await Promise.all(BUNDLED_FOLDERS.map((f) => sources(path.join(root, f))));
  const files = [...folders.flat(), path.join(root, 'package-lock.json')].sort();
  const hash = createHash('sha256').update(path.relative(root, workflowsPath));
  for (const file of files) {
    if (!existsSync(file)) continue;
    hash.update(`\0${path.relative(root, file)}\0`).update(await readFile(file));
  }
  return hash.digest('hex').slice(0, 16);
}

const quiet = (): void => undefined;
const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error };

/** A bundle file of `workflowsPath` in `cacheDir`: the cached one for its content, or one built and cached now. */
export async function cachedBundle(workflowsPath: string, cacheDir: string): Promise<{ codePath: string }> {
  const codePath = path.join(cacheDir, `workflows-${await bundleKey(workflowsPath)}.js`);
  if (!existsSync(codePath)) {
    const { code } = await bundleWorkflowCode({ workflowsPath, logger });
    await mkdir(cacheDir, { recursive: true });
    const partial = `${codePath}.${process.pid}.tmp`;
    await writeFile(partial, code);
    await rename(partial, codePath);
    await prune(cacheDir);
  }
  return { codePath };
}

/** Removes all but the newest bundles (other checkouts of other versions may share the folder). */
async function prune(cacheDir: string): Promise<void> {
  const names = (await readdir(cacheDir)).filter((n) => /^workflows-[0-9a-f]+\.js$/.test(n));
  const dated = await Promise.all(
    names.map(async (n) => ({ n, at: (await stat(path.join(cacheDir, n)).catch(() => undefined))?.mtimeMs ?? 0 })),
  );
  const old = dated.sort((a, b) => b.at - a.at).slice(KEEP);
  await Promise.all(old.map(({ n }) => rm(path.join(cacheDir, n), { force: true })));
}
