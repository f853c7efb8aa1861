/**
 * The workflow bundle cache (workers/bundle.ts): a bundle is reused only for the very sources it was
 * built from, so `tributary run` skips seconds of bundling without ever running stale workflow code.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleKey, cachedBundle } from '../workers/bundle';
import { WORKFLOWS_PATH } from '../workers/worker';
import { tempDir } from './helpers/parquet';

async function project(): Promise<string> {
  const root = await tempDir('tributary-bundle-key-');
  await mkdir(path.join(root, 'workflows'));
  await mkdir(path.join(root, 'common'));
  await mkdir(path.join(root, 'node_modules', 'dep'), { recursive: true });
  await mkdir(path.join(root, 'cli'));
  await writeFile(path.join(root, 'workflows', 'index.ts'), "export * from '../common/x';\n");
  await writeFile(path.join(root, 'common', 'x.ts'), 'export const x = 1;\n');
  await writeFile(path.join(root, 'package-lock.json'), '{"lockfileVersion":3}\n');
  return root;
}

describe('bundleKey', () => {
  it('changes with any source workflows can import or the lockfile, not with packages or other files', async () => {
    const root = await project();
    const entry = path.join(root, 'workflows', 'index.ts');
    const key = () => bundleKey(entry, root);
    const first = key();
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(key()).toBe(first);

    await writeFile(path.join(root, 'node_modules', 'dep', 'index.ts'), 'export const y = 2;\n');
    await writeFile(path.join(root, 'notes.md'), 'not code\n');
    await writeFile(path.join(root, 'cli', 'main.ts'), 'export const z = 3;\n'); // above the workflows
    expect(key()).toBe(first);

    await writeFile(path.join(root, 'common', 'x.ts'), 'export const x = 2;\n');
    const edited = key();
    expect(edited).not.toBe(first);

    await writeFile(path.join(root, 'package-lock.json'), '{"lockfileVersion":3,"packages":{}}\n');
    expect(key()).not.toBe(edited);
  });
});

describe('cachedBundle', () => {
  it('bundles the workflows once, then hands the same file to every worker', async () => {
    const cache = await tempDir('tributary-bundle-cache-');
    const first = await cachedBundle(WORKFLOWS_PATH, cache);
    expect(path.basename(first.codePath)).toBe(`workflows-${bundleKey(WORKFLOWS_PATH)}.js`);
    expect(await readFile(first.codePath, 'utf8')).toContain('weeklyLoad');
    const built = (await stat(first.codePath)).mtimeMs;

    const again = await cachedBundle(WORKFLOWS_PATH, cache);
    expect(again.codePath).toBe(first.codePath);
    expect((await stat(again.codePath)).mtimeMs).toBe(built);
  });
});
