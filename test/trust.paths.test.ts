/**
 * Issue 12, class 1, the pure parts: the one week validator (spec, CLI, workflow input alike) and
 * the one path helper that proves every path built from inputs stays inside its root.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { renderOutputPath } from '../activities/compute';
import { prepareRun } from '../activities/plan';
import {
  checkInsideDir,
  checkRunId,
  checkWorkDir,
  manifestDir,
  pendingDir,
  inside,
  outputFile,
  reportDir,
  stagingDir,
} from '../common/paths';
import { checkWeek, dayOf, mondayOf, previousWeekOf, weekProblem } from '../common/week';
import { parseSpec } from '../pipeline/schema';
import { tempDir } from './helpers/parquet';
import { specFor } from './helpers/weekly';

/** The typed failure `run` throws, or undefined when it does not throw. */
function failureOf(run: () => unknown): ApplicationFailure | undefined {
  try {
    run();
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  return undefined;
}

describe('the week validator', () => {
  it.each([
    ['../../x', '"../../x" is not a date: give the Monday of the week as YYYY-MM-DD, e.g. 2026-11-16'],
    ['2026-13-45', '"2026-13-45" is not a real date: give the Monday of the week as YYYY-MM-DD'],
    ['2026-02-30', '"2026-02-30" is not a real date: give the Monday of the week as YYYY-MM-DD'],
    ['2026-11-18', '"2026-11-18" is a Wednesday: weeks start on Monday; use 2026-11-16'],
    ['2026-11-22', '"2026-11-22" is a Sunday: weeks start on Monday; use 2026-11-16'],
    ['2026-11-16\n', '"2026-11-16\\n" is not a date: give the Monday of the week as YYYY-MM-DD, e.g. 2026-11-16'],
  ])('refuses %j: %s', (week, problem) => {
    expect(weekProblem(week)).toBe(problem);
    expect(() => checkWeek('--week', week)).toThrow(`--week ${problem}`);
  });

  it('accepts Mondays, across years and leap days', () => {
    for (const week of ['2026-11-16', '2024-12-30', '2024-01-01']) expect(weekProblem(week)).toBeUndefined();
    expect(weekProblem(42)).toBe('"42" is not a date: give the Monday of the week as YYYY-MM-DD, e.g. 2026-11-16');
    expect(dayOf('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(dayOf('2026-02-29')).toBeUndefined();
    expect(mondayOf('2027-01-03')).toBe('2026-12-28');
    expect(previousWeekOf('2026-01-05')).toBe('2025-12-29');
  });

  it("is the spec's own check of `week`, in the same words", () => {
    const spec = specFor('/data', '/out', { week: '2026-11-18' });
    expect(() => parseSpec(spec)).toThrow('week: "2026-11-18" is a Wednesday: weeks start on Monday; use 2026-11-16');
    expect(() => parseSpec({ ...spec, week: '../../x' })).toThrow('week: "../../x" is not a date');
    expect(parseSpec({ ...spec, week: '2026-11-16' }).week).toBe('2026-11-16');
  });
});

describe('the path helper', () => {
  const root = path.resolve('/srv/out');

  it('resolves paths inside their root and refuses escapes by "..", by absolute paths, by the root\'s sibling', () => {
    expect(inside(root, 'a/b.parquet', 'output root', { what: 'Output path', setting: 'output.path' })).toBe(
      path.join(root, 'a/b.parquet'),
    );
    expect(inside(root, path.join(root, 'a'), 'data root', { what: 'Dataset', setting: 'datasets.list' })).toBe(
      path.join(root, 'a'),
    );
    for (const escape of ['../x', 'a/../../x', '/etc/passwd', '/srv/outside', '/srv/out/../out2']) {
      const failure = failureOf(() =>
        inside(root, escape, 'output root', { what: 'Output path', setting: 'output.path' }),
      );
      expect(failure?.type).toBe('PathOutsideOutputRoot');
      expect(failure?.nonRetryable).toBe(true);
      expect(failure?.message).toBe(
        `Output path ${JSON.stringify(escape)} is outside the output root ${root} (from output.path)`,
      );
    }
    expect(
      failureOf(() => inside(root, '../x', 'data root', { what: 'Dataset', setting: 'datasets.list' }))?.type,
    ).toBe('PathOutsideDataRoot');
  });

  it('builds output files from the template, refusing a week, dataset or table that is not a plain name', () => {
    const output = { root, path: '{week}/{dataset}/{table}.parquet' };
    expect(outputFile(output, { week: '2026-11-16', dataset: 'north', table: 'hierarchy_sales' })).toBe(
      path.join(root, '2026-11-16/north/hierarchy_sales.parquet'),
    );
    expect(renderOutputPath(output, { week: '2026-11-16', dataset: 'north', table: 't' }, 'r1')).toBe(
      path.join(root, '2026-11-16/north/run-r1/t.parquet'),
    );
    const badRun = failureOf(() =>
      renderOutputPath(output, { week: '2026-11-16', dataset: 'n', table: 't' }, 'a/../b'),
    );
    expect(badRun?.type).toBe('InvalidName');

    const badWeek = failureOf(() => outputFile(output, { week: '../../x', dataset: 'north', table: 't' }));
    expect(badWeek).toMatchObject({
      type: 'InvalidSpec',
      message:
        'Invalid run input: week "../../x" is not a date: give the Monday of the week as YYYY-MM-DD, e.g. 2026-11-16',
    });
    for (const dataset of ['..', '.', 'a/b', 'a\\b', 'bad\nname', '']) {
      const failure = failureOf(() => outputFile(output, { week: '2026-11-16', dataset, table: 't' }));
      expect(failure?.type).toBe('InvalidName');
      expect(failure?.message).toContain(`Dataset name ${JSON.stringify(dataset)} (from the dataset folder)`);
    }
    // A template that reaches out of the root by itself (the spec refuses these; the helper still proves it).
    const escaping = failureOf(() =>
      outputFile(
        { root, path: '/elsewhere/{dataset}/{table}.parquet' },
        { week: '2026-11-16', dataset: 'n', table: 't' },
      ),
    );
    expect(escaping).toMatchObject({
      type: 'PathOutsideOutputRoot',
      message: `Output path "/elsewhere/n/t.parquet" is outside the output root ${root} (from output.path "/elsewhere/{dataset}/{table}.parquet")`,
    });
  });

  it('builds report, manifest, pending and staging folders under the output root only', () => {
    expect(reportDir(root, '2026-11-16')).toBe(path.join(root, '2026-11-16'));
    expect(failureOf(() => reportDir(root, '..'))?.type).toBe('InvalidSpec');
    expect(manifestDir(root, '2026-11-16')).toBe(path.join(root, '2026-11-16/_manifests'));
    expect(failureOf(() => manifestDir(root, '../../x'))?.type).toBe('InvalidSpec');
    expect(pendingDir(root, '2026-11-16')).toBe(path.join(root, '.pending/2026-11-16'));
    expect(failureOf(() => pendingDir(root, '..'))?.type).toBe('InvalidSpec');
    expect(stagingDir(root, 'north', 'run-1')).toBe(path.join(root, '.staging/north-run-1'));
    expect(failureOf(() => stagingDir(root, 'north', '../../x'))?.type).toBe('InvalidName');
  });

  it('checks the work folders a workflow names: one plain name directly under .staging or .runs', () => {
    expect(checkWorkDir(`${root}/.staging/north-run-1`, '.staging', root)).toBe(`${root}/.staging/north-run-1`);
    expect(checkWorkDir(`${root}/.runs/weekly-2026-11-16`, '.runs')).toBe(`${root}/.runs/weekly-2026-11-16`);
    for (const dir of [
      `${root}/.runs/..`,
      `${root}/.runs/.`,
      `${root}/.staging/../..`,
      `${root}`,
      `${root}/.staging/a/b`,
      '/tmp/.staging/x/../../..',
    ]) {
      const area = dir.includes('.runs') ? '.runs' : '.staging';
      expect(failureOf(() => checkWorkDir(dir, area))?.type).toBe('PathOutsideOutputRoot');
    }
    // Under some other folder's .staging: refused when the output root is known.
    expect(failureOf(() => checkWorkDir('/tmp/.staging/x', '.staging', root))?.type).toBe('PathOutsideOutputRoot');
    expect(checkInsideDir(`${root}/.staging/n`, `${root}/.staging/n/attempt-1/t.parquet`, 'Staged table')).toContain(
      'attempt-1',
    );
    expect(
      failureOf(() => checkInsideDir(`${root}/.staging/n`, `${root}/important.parquet`, 'Staged table'))?.type,
    ).toBe('PathOutsideOutputRoot');
  });

  it('refuses a workflow id whose run folder would be "." or ".."', () => {
    expect(checkRunId('weekly-2026-11-16')).toBe('weekly-2026-11-16');
    expect(checkRunId('a/b')).toBe('a_b');
    const failure = failureOf(() => checkRunId('..'));
    expect(failure).toMatchObject({
      type: 'InvalidName',
      message: 'Run folder ".." (from workflow id "..") is not a name: start the run with another workflow id',
    });
  });
});

describe('planning validates what it turns into paths', () => {
  it("refuses a bad week given to the run, naming it in the spec's words", async () => {
    const failure = await prepareRun({
      spec: specFor('/nowhere', '/out'),
      week: '2026-11-18',
      defaultWeek: '2026-11-09',
    }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: 'InvalidSpec',
      nonRetryable: true,
      message: 'Invalid run input: week "2026-11-18" is a Wednesday: weeks start on Monday; use 2026-11-16',
    });
  });

  it('refuses a dataset folder whose name holds a control character', async () => {
    const data = await tempDir('tributary-trust-names-');
    await mkdir(path.join(data, 'sales', 'north'), { recursive: true });
    await mkdir(path.join(data, 'sales', 'bad\nname'), { recursive: true });
    const failure = await prepareRun({
      spec: specFor(data, path.join(data, 'out')),
      week: '2026-11-16',
      defaultWeek: '2026-11-09',
    }).catch((e: unknown) => e);
    expect(failure).toMatchObject({
      type: 'InvalidName',
      nonRetryable: true,
      message:
        'Dataset name "bad\\nname" (from the dataset folder "sales/bad\\nname") holds a control character: rename the folder',
    });
  });
});
