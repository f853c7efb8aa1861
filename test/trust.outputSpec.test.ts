/**
 * Issue 15, where outputs go: an `output.path` template under which two different (week, dataset,
 * table) could write the same file is refused by the spec, before anything starts.
 */
import { describe, expect, it } from 'vitest';
import { InvalidSpecError, parseSpec } from '../pipeline/schema';
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
        'whose names start with "." are Tributary\'s own (.staging, .runs, .fingerprints)',
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
