/**
 * Removing staging folders: a dataset's own after a failure or cancellation, and those that earlier
 * executions of its workflow id left behind. Publishing (activities/publish.ts) removes the folder
 * it has emptied; compute clears the earlier executions' before it stages anything.
 */
import path from 'node:path';
import { checkWorkDir } from '../common/paths';
import { joinPath, storageFor } from '../storage';
import { earlierExecutions } from '../common/journey';

/** Removes a dataset's staging folder after a failure or cancellation, so nothing partial remains. */
export async function discardStaging(stagingDir: string): Promise<void> {
  checkWorkDir(stagingDir, '.staging');
  await storageFor(stagingDir).removeTree(stagingDir);
}

/**
 * Removes the staging folders earlier executions of the same child workflow id left (a run that
 * was terminated while a dataset had staged tables, or whose worker died then). Only one execution
 * of an id runs at a time, so none of them is in use; a zombie attempt of one still running on
 * some worker learns from its next heartbeat that its run is gone, and stops.
 */
export async function discardEarlierStaging(stagingDir: string): Promise<void> {
  const parent = path.dirname(stagingDir);
  const storage = storageFor(parent);
  const names = await storage.children(parent).catch(() => [] as string[]);
  for (const name of earlierExecutions(path.basename(stagingDir), names)) {
    await storage.removeTree(joinPath(parent, name));
  }
}
