/**
 * The `output.path` template's rules, checked with the spec: two different (week, dataset, table)
 * never render to the same file. Why the rules are enough: no value holds "/" or "\" (a dataset or
 * table is one plain name, common/paths.ts nameProblem; a week is YYYY-MM-DD), so a rendered path
 * has the template's segments, one for one. A week is always 10 characters, and a segment holds at
 * most one of {dataset} and {table}: the length of the rendered segment then gives that value's
 * length, so the segment gives back every value in it. The template holds all three, so the file
 * gives back the whole (week, dataset, table).
 */
import { quoted } from '../common/week';

const PLACEHOLDERS = ['week', 'dataset', 'table'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

const WITHOUT: Record<Placeholder, string> = {
  week: 'two weeks would write the same files',
  dataset: 'two datasets would write the same files',
  table: 'two tables of a dataset would write the same file',
};

const ANY_PLACEHOLDER = /\{([^{}]*)\}/g;
const SAMPLE_WEEK = '2026-11-16';

const render = (template: string, values: Record<Placeholder, string>) =>
  template.replace(ANY_PLACEHOLDER, (whole, name: string) =>
    (PLACEHOLDERS as readonly string[]).includes(name) ? values[name as Placeholder] : whole,
  );

/**
 * Why a segment holding both {dataset} and {table} is refused: two pairs it renders alike, found
 * from the text between them and checked by rendering both.
 */
function sharedName(segment: string): string | undefined {
  const d = segment.indexOf('{dataset}');
  const t = segment.indexOf('{table}');
  if (d < 0 || t < 0) return undefined;
  const first: Placeholder = d < t ? 'dataset' : 'table';
  const second: Placeholder = d < t ? 'table' : 'dataset';
  const end = Math.min(d, t) + `{${first}}`.length;
  const text = segment.slice(end, segment.indexOf(`{${second}}`, end));
  const between = render(text, { week: SAMPLE_WEEK, dataset: '', table: '' });
  const values = (a: string, b: string) =>
    ({ week: SAMPLE_WEEK, [first]: a, [second]: b }) as Record<Placeholder, string>;
  const one = values(`a${between}b`, 'c');
  const other = values('a', `b${between}c`);
  const put = `puts {${first}} and {${second}} in one name`;
  const fix = 'put a "/" between them';
  if (render(segment, one) !== render(segment, other)) return `${put}: two pairs could write the same file; ${fix}`;
  const pair = (v: Record<Placeholder, string>) => `${first} ${quoted(v[first])} with ${second} ${quoted(v[second])}`;
  return `${put}: ${pair(one)} and ${pair(other)} would write the same file; ${fix}`;
}

/** What lets two different (week, dataset, table) write the same file under `template`, each a sentence. */
export function templateProblems(template: string): string[] {
  const shown = quoted(template);
  const problems: string[] = [];
  for (const name of PLACEHOLDERS) {
    if (!template.includes(`{${name}}`)) problems.push(`${shown} lacks {${name}}: ${WITHOUT[name]}`);
  }
  const named = [...template.matchAll(ANY_PLACEHOLDER)].map((m) => m[1] ?? '');
  for (const name of new Set(named.filter((n) => !(PLACEHOLDERS as readonly string[]).includes(n)))) {
    problems.push(`${shown} has an unknown placeholder {${name}}: the placeholders are {week}, {dataset} and {table}`);
  }
  if (/[{}]/.test(template.replace(ANY_PLACEHOLDER, ''))) {
    problems.push(`${shown} has a "{" or "}" outside {week}, {dataset} and {table}`);
  }
  const segments = template.split(/[\\/]/);
  for (const segment of segments) {
    const shared = sharedName(segment);
    if (shared) problems.push(`${shown} ${shared}`);
  }
  const first = segments.find((s) => s !== '' && s !== '.');
  if (first !== undefined && first !== '..' && first.startsWith('.')) {
    problems.push(
      `${shown} starts in ${quoted(first)}: folders under output.root whose names start with "." are ` +
        "Tributary's own (.staging, .runs, .pending)",
    );
  }
  return problems;
}
