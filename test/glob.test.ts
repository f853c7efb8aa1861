import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import { globFolders } from '../activities/glob';
import { globLiteralPrefix, globMatches } from '../common/globPattern';
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

it('matches key folders on object storage by the same rules as the folder walk', () => {
  expect(globMatches('sales/*', ['sales', 'north'])).toBe(true);
  expect(globMatches('sales/*', ['sales'])).toBe(false);
  expect(globMatches('sales/*', ['sales', 'eu', 'paris'])).toBe(false);
  expect(globMatches('sales/*', ['sales', '.staging'])).toBe(false);
  expect(globMatches('sales/**/paris', ['sales', 'paris'])).toBe(true);
  expect(globMatches('sales/**/paris', ['sales', 'eu', 'fr', 'paris'])).toBe(true);
  expect(globMatches('**', [])).toBe(false); // never the root itself
  expect(globMatches('sales/?orth', ['sales', 'north'])).toBe(true);
  expect(globLiteralPrefix('sales/eu/*')).toEqual(['sales', 'eu']);
  expect(globLiteralPrefix('**/x')).toEqual([]);
  expect(globLiteralPrefix('sales/north')).toEqual(['sales']);
});
