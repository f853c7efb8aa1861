/**
 * Issue 15, where outputs go: an `output.path` template under which two different (week, dataset,
 * table) could write the same file is refused, and so is an output root the dataset glob can reach
 * (the next run would read outputs as datasets) or one holding the data root. Refused by the spec,
 * before anything starts, and again at planning for runs started by any client.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { globFolders } from '../activities/glob';
import { prepareRun } from '../activities/plan';
import { loadSpecFile } from '../cli/run';
import { InvalidSpecError, parseSpec } from '../pipeline/schema';
import { tempDir } from './helpers/parquet';
import { specFor } from './helpers/weekly';

/** The problems the spec is refused with; [] when it is accepted. */
function problemsOf(spec: unknown): string[] {
  try {
    parseSpec(spec);
  } catch (err) {
    if (err instanceof InvalidSpecError) return err.problems;
    throw err;
  }
  return [];
}

const withPath = (template: string) => specFor('/data', '/out', { output: { root: '/out', path: template } });

describe('output.path: every (week, dataset, table) writes a file of its own', () => {
  it.each([
    '{week}/{dataset}/{table}.parquet',
    'week={week}/dataset={dataset}/{table}.parquet',
    '{dataset}/{week}-{table}.parquet',
    '{table}/{dataset}/{week}.parquet',
    // A week is always 10 characters: it cannot run into the name beside it.
    '{week}{dataset}/{table}.parquet',
    '{week}/{dataset}/{table}-{week}.parquet',
  ])('accepts %j', (template) => {
    expect(problemsOf(withPath(template))).toEqual([]);
  });

  it.each([
    [
      '{dataset}/{table}.parquet',
      'output.path: "{dataset}/{table}.parquet" lacks {week}: two weeks would write the same files',
    ],
    [
      '{week}/{table}.parquet',
      'output.path: "{week}/{table}.parquet" lacks {dataset}: two datasets would write the same files',
    ],
    [
      '{week}/{dataset}.parquet',
      'output.path: "{week}/{dataset}.parquet" lacks {table}: two tables of a dataset would write the same file',
    ],
    [
      '{week}/{dataset}-{table}.parquet',
      'output.path: "{week}/{dataset}-{table}.parquet" puts {dataset} and {table} in one name: dataset "a-b" with ' +
        'table "c" and dataset "a" with table "b-c" would write the same file; put a "/" between them',
    ],
    [
      '{week}/{table}{dataset}.parquet',
      'output.path: "{week}/{table}{dataset}.parquet" puts {table} and {dataset} in one name: table "ab" with ' +
        'dataset "c" and table "a" with dataset "bc" would write the same file; put a "/" between them',
    ],
    [
      '.staging/{week}/{dataset}/{table}.parquet',
      'output.path: ".staging/{week}/{dataset}/{table}.parquet" starts in ".staging": folders under output.root ' +
        'whose names start with "." are Tributary\'s own (.staging, .runs, .pending)',
    ],
  ])('refuses %j', (template, problem) => {
    expect(problemsOf(withPath(template))).toEqual([problem]);
  });

  it('names an unknown placeholder, and a brace outside any placeholder', () => {
    expect(problemsOf(withPath('{weeks}/{dataset}/{table}.parquet'))).toEqual([
      'output.path: "{weeks}/{dataset}/{table}.parquet" lacks {week}: two weeks would write the same files',
      'output.path: "{weeks}/{dataset}/{table}.parquet" has an unknown placeholder {weeks}: the placeholders are {week}, {dataset} and {table}',
    ]);
    expect(problemsOf(withPath('{week}/{dataset}/{table}}.parquet'))).toEqual([
      'output.path: "{week}/{dataset}/{table}}.parquet" has a "{" or "}" outside {week}, {dataset} and {table}',
    ]);
  });

  it('still refuses absolute templates, ".." and other file types, each once', () => {
    expect(problemsOf(withPath('/{week}/{dataset}/{table}.parquet'))).toEqual([
      'output.path: must be relative to output.root',
    ]);
    expect(problemsOf(withPath('{week}/../{dataset}/{table}.parquet'))).toEqual(['output.path: must not contain ".."']);
    expect(problemsOf(withPath('{week}/{dataset}/{table}.csv'))).toEqual(['output.path: must end with .parquet']);
  });
});

describe('output.root and dataRoot: no run reads what a run wrote', () => {
  it('refuses an output root the dataset glob matches, naming both paths and the glob', () => {
    expect(problemsOf(specFor('/data', '/data/sales/out'))).toEqual([
      'output.root: "/data/sales/out" is inside dataRoot "/data" where datasets.glob "sales/*" can match it or ' +
        'folders under it: later runs would read outputs as datasets; move output.root out of dataRoot, or ' +
        'into a folder whose name starts with "." (the glob skips those)',
    ]);
  });

  it('refuses an output root that is the data root', () => {
    expect(problemsOf(specFor('/data', '/data'))).toEqual([
      'output.root: "/data" is dataRoot itself: outputs and reports would be written among the datasets; ' +
        'use a folder outside dataRoot',
    ]);
  });

  it('refuses a data root inside the output root', () => {
    expect(problemsOf(specFor('/lake/2026-11-16', '/lake'))).toEqual([
      'dataRoot: "/lake/2026-11-16" is inside output.root "/lake": outputs, reports and work folders written ' +
        'under output.root could land among its datasets; keep dataRoot outside output.root',
    ]);
    expect(problemsOf(specFor('/out/raw', '/out'))).toEqual([
      expect.stringMatching(/^dataRoot: "\/out\/raw" is inside output\.root "\/out": /),
    ]);
  });

  it('refuses a listed dataset folder inside the output root', () => {
    const spec = specFor('/data', '/data/out', { datasets: { list: ['sales/north', 'out/2026-11-16/north'] } });
    expect(problemsOf(spec)).toEqual([
      'datasets.list.1: "out/2026-11-16/north" (/data/out/2026-11-16/north) is inside output.root "/data/out": ' +
        'a run would read outputs as its data; list folders outside output.root',
    ]);
    expect(problemsOf(specFor('/data', '/data/out', { datasets: { list: ['sales/north'] } }))).toEqual([]);
  });

  it('lists these problems along with the rest of the spec', () => {
    const spec = specFor('/data', '/data', { metrics: ['nope'], output: { root: '/data', path: '{table}.parquet' } });
    expect(problemsOf(spec)).toEqual([
      expect.stringMatching(/^metrics\.0: /),
      expect.stringMatching(/^output\.path: "\{table\}\.parquet" lacks \{week\}/),
      expect.stringMatching(/^output\.path: "\{table\}\.parquet" lacks \{dataset\}/),
      expect.stringMatching(/^output\.root: "\/data" is dataRoot itself/),
    ]);
  });

  /** Output folders as a run of the default template writes them, and what the real glob walk finds. */
  async function globReaches(glob: string, outputUnderData: string): Promise<boolean> {
    const data = await tempDir('tributary-output-reach-');
    await mkdir(path.join(data, 'sales', 'north'), { recursive: true });
    await mkdir(path.join(data, outputUnderData, '2026-11-16', 'north'), { recursive: true });
    const { folders } = await globFolders(data, glob);
    const out = outputUnderData.split('/').join(path.sep);
    return folders.some((f) => f === out || f.startsWith(`${out}${path.sep}`));
  }

  it.each([
    ['sales/*', 'sales/out', true],
    ['s?les/*', 'sales/out', true],
    ['*/*', 'out', true],
    ['*/*/*', 'out', true],
    ['**', 'any/where/out', true],
    ['**/north', 'out', true],
    ['sales/**', 'sales/x/out', true],
    ['sales/*', 'out', false],
    ['sales/n*', 'sales/out', false],
    ['sales/*', 'sales/north/out', false],
    ['*', '.out', false],
    ['**', 'sales/.out', false],
  ])(
    'glob %j, output root <data>/%s: refused exactly when the real glob walk reaches its outputs (%s)',
    async (glob, under, reached) => {
      expect(await globReaches(glob, under)).toBe(reached);
      const problems = problemsOf(specFor('/data', `/data/${under}`, { datasets: { glob } }));
      expect(problems.length > 0).toBe(reached);
    },
  );

  it('accepts the shipped examples as the command line loads them', async () => {
    for (const file of ['retail-weekly.json', 'retail-weekly.docker.json']) {
      const spec = await loadSpecFile(path.join(__dirname, '..', 'examples', file));
      expect(problemsOf(spec), file).toEqual([]);
    }
  });
});

describe('planning refuses the same specs, for runs started by any client', () => {
  it.each([
    [
      'a template without {week}',
      specFor('/nowhere', '/out', { output: { root: '/out', path: '{dataset}/{table}.parquet' } }),
      'output.path: "{dataset}/{table}.parquet" lacks {week}: two weeks would write the same files',
    ],
    [
      'an output root the glob reaches',
      specFor('/nowhere', '/nowhere/sales/out'),
      'output.root: "/nowhere/sales/out" is inside dataRoot "/nowhere" where datasets.glob "sales/*" can match it',
    ],
  ])('%s: InvalidSpec, non-retryable, before any folder is read', async (_, spec, says) => {
    const failure = await prepareRun({ spec, week: '2026-11-16', defaultWeek: '2026-11-09' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'InvalidSpec', nonRetryable: true });
    expect((failure as ApplicationFailure).message).toContain(says);
  });
});
