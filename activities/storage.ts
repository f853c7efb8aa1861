/**
 * Writing the small files kept under the output root (the run report, the saved parts of a long
 * run) so that a reader never sees half of one, on whatever storage the root is (storage/).
 */
import { storageFor } from '../storage';

/** Writes a small text file whole: readers see the old one or the new one, never half. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  await storageFor(file).write(file, text);
}
