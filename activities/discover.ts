/**
 * Which datasets a spec names: the one discovery the run's plan, `tributary doctor` and
 * `tributary rerun` share, so they never disagree on what a run computes and what it refuses.
 * A data root on object storage (`s3://bucket/prefix`) is discovered from a listing of its keys:
 * there are no links there to follow or refuse.
 */
import { resolveLocation } from '../common/location';
import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import type { RefusedFolder } from '../common/types';
import type { PipelineSpec } from '../pipeline/types';
import { isObjectStorage } from '../storage';
import { globFolders, globObjects, type GlobResult } from './glob';
import { resolveLink } from './links';

export type Discovery = GlobResult;

/**
 * Dataset folders relative to `dataRoot` ('/'-separated), and the matched links refused by the
 * policy of activities/links.ts. A listed folder that does not exist (yet) is kept: its read fails,
 * or an availability rule waits for it.
 */
export async function discoverDatasets(dataRoot: string, datasets: PipelineSpec['datasets']): Promise<Discovery> {
  if (isObjectStorage(dataRoot)) return discoverObjects(resolveLocation(dataRoot), datasets);
  const root = path.resolve(dataRoot);
  const realRoot = await realpath(root).catch(() => root);
  if ('glob' in datasets) {
    const found = await globFolders(root, datasets.glob, realRoot);
    return { folders: found.folders.map(slashed), refused: found.refused };
  }
  const result: Discovery = { folders: [], refused: [] };
  for (const entry of datasets.list) {
    const folder = path.relative(root, path.resolve(root, entry));
    if (folder.startsWith('..') || path.isAbsolute(folder)) {
      const message = `Dataset "${entry}" is outside the data root ${root}`;
      result.refused.push({ dataset: path.basename(entry), folder: entry, type: 'PathOutsideDataRoot', message });
      continue;
    }
    const outcome = await listedFolder(root, realRoot, folder);
    if (outcome === 'keep') result.folders.push(slashed(folder));
    else result.refused.push({ dataset: path.basename(folder), folder: slashed(folder), ...outcome.refused });
  }
  return result;
}

const slashed = (folder: string) => folder.split(path.sep).join('/');

/** A listed folder, or a link on the way to it (`sales/eu/paris` with `sales/eu` a link), checked like the glob's. */
type Refusal = { refused: Omit<RefusedFolder, 'dataset' | 'folder'> };
async function listedFolder(root: string, realRoot: string, folder: string): Promise<'keep' | Refusal> {
  const abs = path.join(root, folder);
  if (!(await lstat(abs).catch(() => undefined))) return 'keep';
  const parent = await realpath(path.dirname(abs)).catch(() => realRoot);
  const outcome = await resolveLink(root, realRoot, folder, [parent]);
  return typeof outcome === 'object' && 'refused' in outcome ? outcome : 'keep';
}

/** Discovery under an object-storage root: the glob over its keys' folders, or the list as given. */
async function discoverObjects(root: string, datasets: PipelineSpec['datasets']): Promise<Discovery> {
  if ('glob' in datasets) return globObjects(root, datasets.glob);
  const result: Discovery = { folders: [], refused: [] };
  for (const entry of datasets.list) {
    const folder = path.posix.normalize(entry).replace(/\/+$/, '');
    if (folder === '..' || folder.startsWith('../') || path.posix.isAbsolute(folder)) {
      const message = `Dataset "${entry}" is outside the data root ${root}`;
      result.refused.push({ dataset: path.posix.basename(entry), folder: entry, type: 'PathOutsideDataRoot', message });
    } else result.folders.push(folder);
  }
  return result;
}
