/**
 * The command's compiled sources (bin/cliBundle.cjs): one file per version of the sources, loaded
 * instead of running ~150 TypeScript files through tsx on every command. It must behave exactly as
 * the sources do, and a changed source must never run from a stale bundle.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tributary } from './helpers/cli';
import { tempDir } from './helpers/parquet';

const { sourceKey } = createRequire(__filename)('../bin/cliBundle.cjs') as { sourceKey: (root?: string) => string };

describe('sourceKey', () => {
  it('changes with any source the command loads or the lockfile, not with other files', async () => {
    const root = await tempDir('tributary-cli-key-');
    await mkdir(path.join(root, 'cli'));
    await mkdir(path.join(root, 'common'));
    await mkdir(path.join(root, 'test'));
    await writeFile(path.join(root, 'cli', 'main.ts'), "export * from '../common/x';\n");
    await writeFile(path.join(root, 'common', 'x.ts'), 'export const x = 1;\n');
    await writeFile(path.join(root, 'package-lock.json'), '{}\n');
    const first = sourceKey(root);
    expect(first).toMatch(/^[0-9a-f]{16}$/);

    await writeFile(path.join(root, 'test', 'x.test.ts'), 'not loaded by the command\n');
    await writeFile(path.join(root, 'README.md'), 'docs\n');
    expect(sourceKey(root)).toBe(first);

    await writeFile(path.join(root, 'common', 'x.ts'), 'export const x = 2;\n');
    const edited = sourceKey(root);
    expect(edited).not.toBe(first);
    await writeFile(path.join(root, 'common', 'y.ts'), 'export const y = 1;\n');
    expect(sourceKey(root)).not.toBe(edited);
  });
});

describe('the bundled command', () => {
  it('answers as the sources run through tsx do, and is cached under node_modules/.cache', async () => {
    const missing = path.join(await tempDir('tributary-cli-missing-'), 'nope.json');
    for (const args of [['--help'], ['run', missing], ['run']]) {
      const [bundled, fromSource] = await Promise.all([
        tributary(args),
        tributary(args, { TRIBUTARY_NO_CLI_BUNDLE: '1' }),
      ]);
      expect(bundled, args.join(' ')).toEqual(fromSource);
    }
    expect(existsSync(path.join(ROOT, 'node_modules', '.cache', 'tributary', `cli-${sourceKey()}.cjs`))).toBe(true);
  });
});
