/**
 * Inputs replaced while they are read. A producer that rewrites a file in place (a copy over it)
 * makes a read fail as if the file were corrupt, or succeed on a mix of two versions. Each read
 * notes the files' size and version (locally modification time and inode, on object storage the
 * ETag) before and after; a difference is a retryable `InputChanged`, and the retry reads the file
 * as it is by then.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { storageFor } from '../storage';
import { isOutputUnwritable } from '../storage/faults';

export const INPUT_CHANGED = 'InputChanged';

/**
 * After a failed read, how long to wait before looking at the files again: a failure a few
 * milliseconds into a copy would otherwise find the file as the read did, and blame its content.
 */
export const SETTLE_MS = 250;

interface FileState {
  file: string;
  size?: number;
  version?: string;
  modifiedMs?: number;
}

/** What changes when any of `files` changes (a missing file included), as a comparable string. */
export async function inputSnapshot(files: string[]): Promise<string> {
  const states = await Promise.all(
    files.map(async (file): Promise<FileState> => {
      const s = await storageFor(file)
        .stat(file)
        .catch(() => undefined);
      return s ? { file, size: s.size, version: s.version, modifiedMs: s.modifiedMs } : { file };
    }),
  );
  return JSON.stringify(states);
}

const describe = (s: FileState | undefined) => {
  if (s?.size === undefined) return 'missing';
  return `${s.size} bytes, ${s.modifiedMs === undefined ? `version ${s.version}` : `modified ${new Date(s.modifiedMs).toISOString()}`}`;
};

/**
 * InputChanged if any of `files` differs from `before`, else undefined. Given the error a read
 * failed with, it first waits SETTLE_MS; cancellations and output faults are not the input's doing.
 */
export async function changedInput(
  where: string,
  files: string[],
  before: string,
  failure?: unknown,
): Promise<ApplicationFailure | undefined> {
  if (failure !== undefined) {
    if (failure instanceof CancelledFailure || isOutputUnwritable(failure)) return undefined;
    if (failure instanceof ApplicationFailure && failure.type === INPUT_CHANGED) return failure;
    await sleep(SETTLE_MS);
  }
  const after = await inputSnapshot(files);
  if (after === before) return undefined;
  const [was, is] = [JSON.parse(before) as FileState[], JSON.parse(after) as FileState[]];
  const changed = is.filter((s, i) => JSON.stringify(s) !== JSON.stringify(was[i]));
  const list = changed.map((s) => `${s.file} (${describe(was.find((w) => w.file === s.file))} -> ${describe(s)})`);
  const failed = failure instanceof Error ? failure.message : String(failure);
  const reason = failure === undefined ? '' : ` The read failed meanwhile: ${failed}.`;
  return ApplicationFailure.create({
    message:
      `${where}: input ${list.join('; ')} changed while it was read; ` +
      `the next attempt reads it as it is then.${reason} ` +
      'If this repeats, have the producer write to a temporary name and rename it into place.',
    type: INPUT_CHANGED,
    nonRetryable: false,
  });
}

/** `path:size:version` of each file, '|'-joined: the fingerprint of inputs the read stage reports. */
export function fingerprintOf(files: { file: string; size?: number; version?: string }[]): string {
  return files.map((s) => `${s.file}:${s.size}:${s.version}`).join('|');
}

/**
 * Runs a read of `files`; fails with InputChanged if they changed meanwhile, whether the read failed
 * or not. The read is given the files' fingerprint as it found them (and, when it succeeds, as they
 * still are): no second look at storage (a HEAD per file on object storage) to take one.
 */
export async function readingUnchanged<T>(
  where: string,
  files: string[],
  read: (fingerprint: string) => Promise<T>,
): Promise<T> {
  const before = await inputSnapshot(files);
  let result: T;
  try {
    result = await read(fingerprintOf(JSON.parse(before) as FileState[]));
  } catch (err) {
    throw (await changedInput(where, files, before, err)) ?? err;
  }
  const changed = await changedInput(where, files, before);
  if (changed) throw changed;
  return result;
}
