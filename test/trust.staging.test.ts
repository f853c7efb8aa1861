/** Staging folders named by workflow id: which of them an execution may remove as left by earlier ones. */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { discardEarlierStaging } from '../activities/staging';
import { earlierExecutions, executionStagingName as stagingName } from '../common/journey';
import { tempDir } from './helpers/parquet';

it('names a staging folder by workflow id and run id, with nothing in the id that could pose as the separator', () => {
  expect(stagingName('retail-2026-11-16/north', 'r1')).toBe('retail-2026-11-16%2Fnorth@r1');
  expect(stagingName('a@b/c', 'r1')).toBe('a%40b%2Fc@r1');
});

it('removes the folders of earlier executions of the same child id only: not its own, not other ids, not old names', async () => {
  const staging = path.join(await tempDir('tributary-staging-'), '.staging');
  const own = stagingName('w-2026-11-16/north', 'run-2');
  const names = [
    own,
    stagingName('w-2026-11-16/north', 'run-1'),
    stagingName('w-2026-11-16/northeast', 'run-1'),
    stagingName('other-2026-11-16/north', 'run-1'),
    'north-run-0',
  ];
  for (const name of names) await mkdir(path.join(staging, name, 'attempt-1'), { recursive: true });

  expect(earlierExecutions(own, names)).toEqual([stagingName('w-2026-11-16/north', 'run-1')]);
  expect(earlierExecutions('north-run-0', names)).toEqual([]);
  await discardEarlierStaging(path.join(staging, own));

  expect((await readdir(staging)).sort()).toEqual(
    names.filter((n) => n !== stagingName('w-2026-11-16/north', 'run-1')).sort(),
  );
});
