import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { globFolders } from '../activities/glob';
import { tempDir } from './helpers/parquet';

it('matches dataset folders with *, ? and **, skipping hidden ones', async () => {
  const root = await tempDir();
  for (const dir of ['sales/north', 'sales/south', 'sales/.staging', 'sales/eu/paris', 'reference', 'sales2/x']) {
    await mkdir(path.join(root, dir), { recursive: true });
  }
  expect((await globFolders(root, 'sales/*')).folders).toEqual(['sales/eu', 'sales/north', 'sales/south']);
  expect((await globFolders(root, 'sales/?orth')).folders).toEqual(['sales/north']);
  expect((await globFolders(root, 'sales/**/paris')).folders).toEqual(['sales/eu/paris']);
  expect(await globFolders(root, 'nothing/*')).toEqual({ folders: [], refused: [] });
});
