/**
 * The commit of a week's snapshot on real files (activities/commit.ts): two runs committing the same
 * week at once never overwrite each other (the exclusive create is the compare-and-swap; the loser
 * rebuilds on the winner's snapshot); a retried commit of the same run commits once; a manifest that
 * is not one is refused rather than guessed at.
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commitWeek, currentManifest } from '../activities/commit';
import type { DatasetSummary } from '../common/types';
import { tempDir } from './helpers/parquet';
import { commitInput, publishedTable } from './helpers/snapshot';

const WEEK = '2026-11-16';

const published = (out: string, dataset: string, run: string) => publishedTable(out, { week: WEEK, dataset, run });

const input = (workflowId: string, datasets: DatasetSummary[], mode?: 'replace' | 'merge') =>
  commitInput(WEEK, workflowId, datasets, mode);

describe('commitWeek', () => {
  it('two reruns of one week committing at once both land: neither overwrites the other', async () => {
    const out = await tempDir('tributary-commit-race-');
    await commitWeek(
      out,
      input('full', [await published(out, 'a', 'full'), await published(out, 'b', 'full')], 'replace'),
    );
    const [a, b] = await Promise.all([published(out, 'a', 'r1'), published(out, 'b', 'r2')]);
    // Ten rounds of the race, each pair started together.
    for (let round = 0; round < 10; round++) {
      const results = await Promise.all([
        commitWeek(out, input(`rerun-a-${round}`, [a], 'merge')),
        commitWeek(out, input(`rerun-b-${round}`, [b], 'merge')),
      ]);
      expect(results.map((r) => r.manifest.generation).sort()).toEqual([2 + 2 * round, 3 + 2 * round]);
    }
    const { manifest, older } = await currentManifest(out, WEEK);
    expect(manifest?.generation).toBe(21);
    // Both reruns' datasets are in the last snapshot: the later commit was built on the earlier.
    expect(manifest?.datasets.map((d) => [d.dataset, d.tables[0]!.path])).toEqual([
      ['a', `${WEEK}/a/run-r1/t.parquet`],
      ['b', `${WEEK}/b/run-r2/t.parquet`],
    ]);
    expect(older).toEqual([]);
    expect(await readdir(path.join(out, WEEK, '_manifests'))).toEqual(['0000000021.json']);
  });

  it('a commit retried after it landed (the worker died before saying so) commits once', async () => {
    const out = await tempDir('tributary-commit-retry-');
    const run = input('w', [await published(out, 'a', 'w')], 'replace');
    const first = await commitWeek(out, run);
    const again = await commitWeek(out, run);
    expect(again.manifest).toEqual(first.manifest);
    expect(await readdir(path.join(out, WEEK, '_manifests'))).toEqual(['0000000001.json']);
  });

  it('a retried commit finds its own even under a newer one, and does not commit over it', async () => {
    const out = await tempDir('tributary-commit-retry-under-');
    const run = input('w1', [await published(out, 'a', 'w1'), await published(out, 'b', 'w1')], 'replace');
    await commitWeek(out, run);
    const rerun = await commitWeek(out, input('w1-rerun-1', [await published(out, 'b', 'r')], 'merge'));
    // The first run's worker died before its commit was recorded: the retry comes after the rerun's.
    await commitWeek(out, run);
    const { manifest } = await currentManifest(out, WEEK);
    expect(manifest).toEqual(rerun.manifest);
    expect(manifest?.earlier).toEqual([{ workflowId: 'w1', runId: 'w1-run', generation: 1 }]);
  });

  it('refuses to commit over a current manifest that is not one, and names the file', async () => {
    const out = await tempDir('tributary-commit-bad-');
    await mkdir(path.join(out, WEEK, '_manifests'), { recursive: true });
    const bad = path.join(out, WEEK, '_manifests', '0000000004.json');
    await writeFile(bad, '{"not": "a manifest"');
    await expect(commitWeek(out, input('w', [await published(out, 'a', 'w')], 'replace'))).rejects.toMatchObject({
      type: 'ManifestUnreadable',
      nonRetryable: true,
      message: expect.stringContaining(bad),
    });
  });

  it('refuses to commit a file that is not there as published, and keeps the previous snapshot', async () => {
    const out = await tempDir('tributary-commit-missing-');
    await commitWeek(out, input('w1', [await published(out, 'a', 'w1')], 'replace'));
    const gone = await published(out, 'a', 'w2');
    await writeFile(gone.outputs[0]!.path, 'truncated');
    await expect(commitWeek(out, input('w2', [gone], 'replace'))).rejects.toMatchObject({
      type: 'CommitFileMissing',
      message: expect.stringContaining('dataset a, table t'),
    });
    expect((await currentManifest(out, WEEK)).manifest?.run.workflowId).toBe('w1');
  });
});
