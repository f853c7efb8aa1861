/**
 * The documentation holds together: the README stays a short front page (what, the two quick-start
 * commands, the commands table) and every page under docs/ is reachable from it; every relative link
 * and #anchor in README.md and docs/*.md points at a file that exists and a heading that is there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.join(__dirname, '..');
const DOCS = path.join(ROOT, 'docs');
const README = path.join(ROOT, 'README.md');

function docPages(): string[] {
  if (!existsSync(DOCS)) return [];
  return readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join(DOCS, name));
}

/** The file's lines with fenced code blocks blanked, so code never counts as a heading or a link. */
function proseLines(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker !== undefined) {
      fence = marker;
      return '';
    }
    if (fence !== undefined) {
      if (marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
      return '';
    }
    return line;
  });
}

/** GitHub's heading anchor: the heading's text, lower case, punctuation dropped, spaces as hyphens. */
export function slug(heading: string): string {
  const text = heading
    .replace(/`([^`]*)`/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*_]{1,3}([^*_]+)[*_]{1,3}/g, '$1');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Anchors of a Markdown file, with GitHub's -1, -2 suffixes for repeated headings. */
function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const line of proseLines(readFileSync(file, 'utf8'))) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    found.add(count === 0 ? base : `${base}-${count}`);
  }
  return found;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

/** Inline links and images outside code: `[text](target)`. */
function links(file: string): Link[] {
  const found: Link[] = [];
  proseLines(readFileSync(file, 'utf8')).forEach((line, index) => {
    const prose = line.replace(/(`+)[^`]*?\1/g, '');
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ file, line: index + 1, target: match[1] ?? '' });
    }
  });
  return found;
}

/** Why a relative link does not resolve, or undefined when it does (external links are not checked). */
function brokenBecause(link: Link): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) return undefined;
  const [pathPart = '', anchor] = link.target.split('#', 2);
  const target = pathPart === '' ? link.file : path.resolve(path.dirname(link.file), decodeURI(pathPart));
  if (!existsSync(target)) return `${path.relative(ROOT, target)} does not exist`;
  if (anchor === undefined || anchor === '') return undefined;
  if (!target.endsWith('.md')) return `#${anchor} points into ${path.relative(ROOT, target)}, which is not Markdown`;
  if (!anchors(target).has(anchor)) return `${path.relative(ROOT, target)} has no heading #${anchor}`;
  return undefined;
}

function section(text: string, heading: string): string {
  const start = text.indexOf(`\n## ${heading}\n`);
  expect(start, `README.md has a "## ${heading}" section`).toBeGreaterThanOrEqual(0);
  const end = text.indexOf('\n## ', start + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

describe('documentation', () => {
  it('computes anchors the way GitHub does', () => {
    expect(slug('The `schedule` commands')).toBe('the-schedule-commands');
    expect(slug('Retries: what spends an attempt')).toBe('retries-what-spends-an-attempt');
    expect(slug('The weekly rhythm: schedules, late data, incremental runs, re-runs')).toBe(
      'the-weekly-rhythm-schedules-late-data-incremental-runs-re-runs',
    );
  });

  it('resolves every relative link and #anchor in README.md and docs/*.md', () => {
    const files = [README, ...docPages()];
    const all = files.flatMap(links);
    const broken = all.flatMap((link) => {
      const why = brokenBecause(link);
      return why === undefined ? [] : [`${path.relative(ROOT, link.file)}:${link.line} (${link.target}): ${why}`];
    });
    expect(broken).toEqual([]);
    expect(all.length).toBeGreaterThan(files.length);
  });

  it('links every page under docs/ from the README, and each page says who it is for', () => {
    const pages = docPages();
    expect(pages.map((page) => path.basename(page)).sort()).toEqual([
      'benchmarks.md',
      'development.md',
      'failures.md',
      'operations.md',
      'outputs.md',
      'spec.md',
    ]);
    const fromReadme = new Set(
      links(README)
        .map((link) => link.target.split('#')[0] ?? '')
        .filter((target) => target !== '')
        .map((target) => path.resolve(ROOT, target)),
    );
    expect(pages.filter((page) => !fromReadme.has(page)).map((page) => path.relative(ROOT, page))).toEqual([]);
    for (const page of pages) {
      const [title, blank, audience] = readFileSync(page, 'utf8').split('\n');
      expect(title, page).toMatch(/^# \S/);
      expect(blank, page).toBe('');
      expect(audience, `${page}: its first line after the title says who it is for`).toMatch(/^For /);
    }
  });

  it('keeps the README a short front page whose quick start is exactly npm start and npm test', () => {
    const text = readFileSync(README, 'utf8');
    expect(text.split('\n').length).toBeLessThan(150);
    const quickStart = section(text, 'Quick start');
    const commands = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) =>
      (block[1] ?? '').split('\n').filter((line) => line.trim() !== ''),
    );
    expect(commands).toEqual(['npm start', 'npm test']);
    section(text, 'Commands');
  });

  it('keeps the failure table, with its rows, on its own page', () => {
    const failures = readFileSync(path.join(DOCS, 'failures.md'), 'utf8');
    expect(failures).toContain('\n## What happens when things fail\n');
    const rows = failures.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| ---'));
    expect(rows[0]).toBe('| what happens | what Tributary does |');
    expect(rows.length).toBeGreaterThan(20);
  });
});
