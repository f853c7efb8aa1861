/**
 * The workflow bundle, cached by content. Bundling (webpack over workflows/ and all it imports) takes
 * seconds, and every `tributary run` that hosts its worker needed one. The cache key is a hash of
 * every TypeScript source in the folders workflow code can import from and of the lockfile (the SDK's
 * version): any change to them gives a new key, so a stale bundle is never used. Bundles land in
 * `<home>/cache/`, written whole or not at all; the newest few are kept.
 */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

interface ContentCache {
  contentKey: (options: {
    root: string;
    folders: string[];
    pattern: RegExp;
    extra?: string[];
    salt?: string;
  }) => string;
  keepNewest: (dir: string, pattern: RegExp, keep: number) => void;
}
// Shared with the command's own cache (plain Node, loaded before any TypeScript can run).
const { contentKey, keepNewest } = createRequire(__filename)('../bin/contentCache.cjs') as ContentCache;

const ROOT = path.resolve(__dirname, '..');
/**
 * The folders a workflow bundle can import from: workflows/ and every layer below it (cli/, bench/ and
 * test/ sit above and are never imported by workflow code). Dependencies are keyed by the lockfile.
 */
const BUNDLED_FOLDERS = ['workflows', 'activities', 'workers', 'pipeline', 'runtime', 'metrics', 'datagen', 'common'];
const KEEP = 3;

/** The hash of what a bundle of `workflowsPath` is made from: the sources under `root` and its lockfile. */
export function bundleKey(workflowsPath: string, root = ROOT): string {
  return contentKey({
    root,
    folders: BUNDLED_FOLDERS,
    pattern: /\.ts$/,
    extra: ['package-lock.json'],
    salt: path.relative(root, workflowsPath),
  });
}

const quiet = (): void => undefined;
const logger = { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error };

/** A bundle file of `workflowsPath` in `cacheDir`: the cached one for its content, or one built and cached now. */
export async function cachedBundle(workflowsPath: string, cacheDir: string): Promise<{ codePath: string }> {
  const codePath = path.join(cacheDir, `workflows-${bundleKey(workflowsPath)}.js`);
  if (!existsSync(codePath)) {
    const { code } = await bundleWorkflowCode({ workflowsPath, logger });
    await mkdir(cacheDir, { recursive: true });
    const partial = `${codePath}.${process.pid}.tmp`;
    await writeFile(partial, code);
    await rename(partial, codePath);
    keepNewest(cacheDir, /^workflows-[0-9a-f]+\.js$/, KEEP);
  }
  return { codePath };
}
