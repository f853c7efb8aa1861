/**
 * Writing the small files kept under the output root (the run report, fingerprints, the saved parts
 * of a long run) so that a reader never sees half of one. Today that root is a local folder; the
 * object-storage issue gives outputs one storage interface, and this module is where it goes.
 */
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeOutputDir, writingOutput } from './outputFaults';

/** Writes a small text file under a temporary name, then renames it: readers never see half of it. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  await makeOutputDir(path.dirname(file));
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    await writingOutput(file, async () => {
      await writeFile(tmp, text);
      await rename(tmp, file);
    });
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined); // a full disk leaves no half file behind
    throw err;
  }
}
