/**
 * The output-fault classifier over error texts captured from real runs on this kind of machine:
 * polars' sinkParquet and writeParquet on a full tmpfs, a read-only bind mount and, run as user
 * nobody, a folder it may not write; Node's fs errors carry `.code`. EDQUOT could not be produced
 * here (no quotas on tmpfs), so its text is Rust's wording for errno 122.
 */
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { describe, expect, it } from 'vitest';
import { outputFaultOf, outputUnwritable } from '../storage/faults';
import { writeAtomically } from '../activities/storage';
import { tempDir } from './helpers/parquet';

const errorWith = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

describe('output faults', () => {
  it.each([
    ['parquet: File out of specification: underlying IO error: No space left on device (os error 28)', 'ENOSPC'],
    ['Read-only file system (os error 30): /out/.staging/north/attempt-1/hierarchy_sales.parquet', 'EROFS'],
    [
      'called `Result::unwrap()` on an `Err` value: Os { code: 30, kind: ReadOnlyFilesystem, message: "Read-only file system" }',
      'EROFS',
    ],
    ['Permission denied (os error 13): /out/.staging/north/attempt-1/hierarchy_sales.parquet', 'EACCES'],
    ['Disk quota exceeded (os error 122)', 'EDQUOT'],
  ])('reads polars\' "%s" as %s', (message, fault) => {
    expect(outputFaultOf(errorWith(message, 'GenericFailure'))).toBe(fault);
  });

  it.each([
    ['ENOSPC: no space left on device, write', 'ENOSPC'],
    ["EACCES: permission denied, mkdir '/out/a'", 'EACCES'],
    ["EROFS: read-only file system, open '/out/x.tmp-1'", 'EROFS'],
  ])('reads Node\'s "%s" by its code', (message, code) => {
    expect(outputFaultOf(errorWith(message, code))).toBe(code);
  });

  it('leaves errors of reading an input alone', () => {
    for (const message of [
      'parquet: File out of specification: The file must end with PAR1',
      'No such file or directory (os error 2): /data/x.parquet',
    ]) {
      expect(outputFaultOf(errorWith(message, 'GenericFailure'))).toBeUndefined();
      expect(outputUnwritable('/out/x', errorWith(message))).toBeUndefined();
    }
  });

  it('becomes one retryable OutputUnwritable that names the path, the cause and the fix', () => {
    const failure = outputUnwritable(
      '/out/2026-11-16/north/hierarchy_sales.parquet',
      errorWith('Permission denied (os error 13): /out'),
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure?.type).toBe('OutputUnwritable');
    expect(failure?.nonRetryable).toBe(false);
    expect(failure?.message).toBe(
      'Cannot write output /out/2026-11-16/north/hierarchy_sales.parquet: permission denied (EACCES). To fix: give the ' +
        "worker's user write permission there, or point output.root elsewhere; the stage is retried per its retry policy.",
    );
  });

  it('writeAtomically removes its temporary file when the write fails', async () => {
    const dir = await tempDir('tributary-atomic-');
    await mkdir(path.join(dir, 'report.json')); // the target is a folder: the rename fails after the write
    await expect(writeAtomically(path.join(dir, 'report.json'), '{}')).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['report.json']);
  });
});
