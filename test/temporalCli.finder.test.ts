/** Finding the Temporal CLI: explicit path first, clear errors when it cannot be had. */
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliCacheDir, ensureTemporalCli, findTemporalCli, TEMPORAL_CLI_VERSION } from '../runtime/temporalCli';
import { tempDir } from './helpers/parquet';

describe('findTemporalCli', () => {
  it('uses TEMPORAL_CLI_PATH when it points at a working CLI', async () => {
    const real = await findTemporalCli();
    expect(real).toBeDefined();
    expect(await findTemporalCli({ ...process.env, TEMPORAL_CLI_PATH: real })).toBe(real);
  });

  it('says what is wrong when TEMPORAL_CLI_PATH is not a Temporal CLI', async () => {
    const fake = path.join(await tempDir(), 'temporal');
    await writeFile(fake, '#!/bin/sh\nexit 3\n');
    await chmod(fake, 0o755);
    await expect(findTemporalCli({ PATH: process.env.PATH, TEMPORAL_CLI_PATH: fake })).rejects.toThrow(
      /TEMPORAL_CLI_PATH is set to ".*temporal", but that is not a working Temporal CLI/,
    );
  });

  it('keeps its build cache per user and per version, outside the repository', () => {
    const dir = cliCacheDir({ XDG_CACHE_HOME: '/var/cache/someone' });
    expect(dir).toBe(`/var/cache/someone/tributary/temporal-cli/${TEMPORAL_CLI_VERSION}/bin`);
  });
});

describe('ensureTemporalCli', () => {
  it('without a CLI and without Go, stops with instructions instead of downloading anything', async () => {
    const empty = await tempDir();
    const env = { PATH: empty, XDG_CACHE_HOME: empty, HOME: empty };
    await expect(ensureTemporalCli(() => undefined, env)).rejects.toThrow(
      /Temporal CLI was not found and Go is not installed[\s\S]*TEMPORAL_CLI_PATH/,
    );
  });
});
