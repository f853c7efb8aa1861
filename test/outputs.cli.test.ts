/**
 * `tributary outputs <week>` prints the committed snapshot (text and --json, --verify reads every
 * file back); `tributary gc` removes what no snapshot lists, each item found through a record: files
 * only an older generation lists, and files of a pending record whose run the server says is over;
 * the record of a run still going is kept. Real files, real parquet, the shared dev server.
 */
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitWeek, writePending } from '../activities/commit';
import type { DatasetSummary } from '../common/types';
import { tributary } from './helpers/cli';
import { tempDir } from './helpers/parquet';
import { sharedServerAddress, taskQueueFor } from './helpers/temporal';
import { filesUnder } from './helpers/weekly';
import { commitInput, publishedTable } from './helpers/snapshot';

const WEEK = '2026-11-16';
let address: string;
let connection: Connection;
let client: Client;

beforeAll(async () => {
  address = await sharedServerAddress();
  connection = await Connection.connect({ address });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
});

const published = (out: string, dataset: string, run: string, rows: number) =>
  publishedTable(out, { week: WEEK, dataset, run, rows, table: 'lost_sales_by_category' });

const commit = (out: string, workflowId: string, datasets: DatasetSummary[]) =>
  commitWeek(out, commitInput(WEEK, workflowId, datasets));

describe('tributary outputs', () => {
  it('prints the committed snapshot as text and as JSON, and --verify reads every file back', async () => {
    const out = await tempDir('tributary-outputs-');
    await commit(out, 'run-a', [await published(out, 'north', 'a', 3), await published(out, 'south', 'a', 5)]);

    const text = await tributary(['outputs', WEEK, '--root', out]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain(`Week ${WEEK} under ${out}: generation 1`);
    expect(text.stdout).toContain(
      `lost_sales_by_category  5 rows  ${path.join(out, WEEK, 'south', 'run-a', 'lost_sales_by_category.parquet')}`,
    );

    const json = await tributary(['outputs', WEEK, '--root', out, '--json', '--verify']);
    expect(json.code, json.stderr).toBe(0);
    const parsed = JSON.parse(json.stdout) as {
      generation: number;
      verified: boolean;
      run: { workflowId: string };
      datasets: { dataset: string; tables: { rows: number; file: string }[] }[];
    };
    expect(parsed).toMatchObject({ generation: 1, verified: true, run: { workflowId: 'run-a' } });
    expect(parsed.datasets.map((d) => [d.dataset, d.tables[0]!.rows])).toEqual([
      ['north', 3],
      ['south', 5],
    ]);
    expect(pl.readParquet(parsed.datasets[1]!.tables[0]!.file).height).toBe(5);

    // A file changed behind the manifest's back: --verify says which, exit code 1.
    pl.DataFrame({ category: ['x'], lost_units: [9.0] }).writeParquet(parsed.datasets[0]!.tables[0]!.file);
    const verify = await tributary(['outputs', WEEK, '--root', out, '--verify']);
    expect(verify.code).toBe(1);
    expect(verify.stderr).toMatch(/north\/lost_sales_by_category: .* has (another hash|\d+ bytes, not \d+)/);
  });

  it('says when a week has no snapshot, and refuses a week that is not a Monday', async () => {
    const out = await tempDir('tributary-outputs-none-');
    const none = await tributary(['outputs', WEEK, '--root', out]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`No committed snapshot for week ${WEEK} under ${out}`);
    const tuesday = await tributary(['outputs', '2026-11-17', '--root', out]);
    expect(tuesday.code).toBe(2);
    expect(tuesday.stderr).toContain('is a Tuesday');
  });
});

describe('tributary gc', () => {
  it('removes files only an older generation lists and those of runs that are over; keeps a running run’s', async () => {
    const out = await tempDir('tributary-gc-');
    await commit(out, 'run-a', [await published(out, 'north', 'a', 3), await published(out, 'south', 'a', 3)]);
    const second = await commit(out, 'run-b', [
      await published(out, 'north', 'b', 4),
      await published(out, 'south', 'b', 4),
    ]);
    // A crash before the cleanup after a commit: an older generation and its files come back.
    await writeFile(
      path.join(out, WEEK, '_manifests', '0000000001.json'),
      JSON.stringify({
        ...second.manifest,
        generation: 1,
        datasets: [
          {
            dataset: 'north',
            workflowId: 'run-a',
            tables: [
              {
                table: 'lost_sales_by_category',
                path: `${WEEK}/north/run-a/lost_sales_by_category.parquet`,
                rows: 3,
                bytes: 1,
                sha256: 'x',
              },
            ],
          },
        ],
      }),
    );
    const leftover = await published(out, 'north', 'a', 3);
    // Published, never committed: one by a run long gone, one by a run still going.
    const goneRun = taskQueueFor('gc gone');
    const gone = await published(out, 'east', 'gone', 2);
    await writePending(out, {
      week: WEEK,
      dataset: 'east',
      workflowId: goneRun,
      runId: 'gone',
      files: [`${WEEK}/east/run-gone/lost_sales_by_category.parquet`],
      writtenAt: new Date().toISOString(),
    });
    const runningRun = taskQueueFor('gc running');
    await client.workflow.start('weeklyLoad', { taskQueue: runningRun, workflowId: runningRun, args: [{ spec: {} }] });
    const running = await published(out, 'west', 'running', 2);
    await writePending(out, {
      week: WEEK,
      dataset: 'west',
      workflowId: runningRun,
      runId: 'running',
      files: [`${WEEK}/west/run-running/lost_sales_by_category.parquet`],
      writtenAt: new Date().toISOString(),
    });
    const env = { TEMPORAL_ADDRESS: address, TRIBUTARY_DEV_SERVER: '0' };

    try {
      const dry = await tributary(['gc', '--root', out, '--dry-run'], env);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(`Would remove ${leftover.outputs[0]!.path}`);
      expect(dry.stdout).toContain(`Would remove ${gone.outputs[0]!.path}`);
      expect(dry.stdout).toContain(`still running: ${runningRun}`);
      expect(dry.stdout).not.toContain(running.outputs[0]!.path);
      const before = await filesUnder(out);
      expect(before).toContain(path.relative(out, leftover.outputs[0]!.path));

      const real = await tributary(['gc', '--root', out], env);
      expect(real.code, real.stderr).toBe(0);
      const after = await filesUnder(path.join(out, WEEK));
      // Left: the current snapshot, its manifest, and the running run's file.
      expect(after.filter((f) => f.endsWith('.parquet')).sort()).toEqual(
        ['north/run-b', 'south/run-b', 'west/run-running'].map((d) => path.join(d, 'lost_sales_by_category.parquet')),
      );
      expect(await readdir(path.join(out, WEEK, '_manifests'))).toEqual(['0000000002.json']);
      expect(await filesUnder(path.join(out, '.pending', WEEK))).toEqual([path.join('west', 'running.json')]);
    } finally {
      await client.workflow.getHandle(runningRun).terminate('test over');
    }
  });
});
