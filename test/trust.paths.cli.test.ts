/**
 * Issue 12, class 1 through the command line: a `--week` that is not a Monday's date is refused
 * before anything starts (no run, no file), with the spec's words for the same problem.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Connection, Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRetailWeek } from '../datagen';
import { tributary } from './helpers/cli';
import { tempDir } from './helpers/parquet';
import { sharedServerAddress, taskQueueFor } from './helpers/temporal';
import { filesUnder, specFor } from './helpers/weekly';

const SIZE = {
  regions: 1,
  stores: 2,
  products: 10,
  days: 7,
  seed: 5,
  week: '2026-11-16',
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};

let home: string;
let server: { address: string };
let client: Client;
let connection: Connection;

beforeAll(async () => {
  home = await tempDir('tributary-trust-paths-');
  server = { address: await sharedServerAddress() };
  connection = await Connection.connect({ address: server.address });
  client = new Client({ connection });
});
afterAll(async () => {
  await connection?.close();
});

const CASES = [
  {
    week: '../../x',
    says: '--week "../../x" is not a date: give the Monday of the week as YYYY-MM-DD, e.g. 2026-11-16',
  },
  { week: '2026-13-45', says: '--week "2026-13-45" is not a real date: give the Monday of the week as YYYY-MM-DD' },
  { week: '2026-11-18', says: '--week "2026-11-18" is a Wednesday: weeks start on Monday; use 2026-11-16' },
];

describe('tributary run --week', () => {
  it.each(CASES)('refuses --week $week before anything starts, and writes nothing', async ({ week, says }) => {
    // Each case in a folder of its own, two levels down, so "../../x" from the output root stays in it.
    const base = await tempDir('tributary-trust-week-');
    const data = path.join(base, 'data');
    await generateRetailWeek({ out: data, ...SIZE });
    const out = path.join(base, 'a', 'b', 'out');
    const spec = path.join(base, 'spec.json');
    await writeFile(spec, JSON.stringify(specFor(data, out, { name: 'trust-week' })));
    const before = await filesUnder(base);
    // No other worker polls this queue: without the refusal the command would host one and run the week.
    const env = {
      TRIBUTARY_HOME: home,
      TEMPORAL_ADDRESS: server.address,
      TRIBUTARY_TASK_QUEUE: taskQueueFor(`week ${week}`),
    };

    const result = await tributary(['run', spec, '--week', week], env, { timeout: 90_000 });

    const after = await filesUnder(base);
    expect(after.filter((f) => !f.startsWith(path.join('a', 'b', 'out')))).toEqual(before); // nothing outside the output root
    expect(after).toEqual(before); // nor inside it
    expect(result.stderr).toContain(says);
    expect(result.stderr).toContain('Nothing was started.');
    expect(result.code).toBe(2);
    const started = await client.workflow
      .getHandle(`trust-week-${week}`)
      .describe()
      .then(
        () => true,
        (err: unknown) => {
          if (err instanceof WorkflowNotFoundError) return false;
          throw err;
        },
      );
    expect(started).toBe(false);
  });
});

describe('other flags that become paths or dates', () => {
  /** A spec whose data and output roots exist nowhere: these refusals come before any of them is touched. */
  async function cli(args: string[]) {
    const base = await tempDir('tributary-trust-flags-');
    const spec = path.join(base, 'spec.json');
    await writeFile(
      spec,
      JSON.stringify(specFor(path.join(base, 'data'), path.join(base, 'out'), { name: 'trust-flags' })),
    );
    const env = {
      TRIBUTARY_HOME: home,
      TEMPORAL_ADDRESS: server.address,
      TRIBUTARY_TASK_QUEUE: taskQueueFor(args.join(' ')),
    };
    const result = await tributary(
      args.map((a) => (a === '<spec>' ? spec : a)),
      env,
      { timeout: 60_000 },
    );
    return { ...result, files: await filesUnder(base) };
  }

  it('refuses a --workflow-id that would name the run folder ".." (the output root itself)', async () => {
    const result = await cli(['run', '<spec>', '--week', '2026-11-16', '--workflow-id', '..']);
    expect(result.stderr).toContain(
      `--workflow-id ".." cannot name the run's folder: choose another id\nNothing was started.`,
    );
    expect(result.code).toBe(2);
    expect(result.files).toEqual(['spec.json']);
  });

  it('refuses a backfill --from that is not a real date, in the words of --week', async () => {
    const result = await cli(['schedule', 'backfill', '<spec>', '--from', '2026-02-30', '--to', '2026-03-09']);
    expect(result.stderr).toContain(
      '--from "2026-02-30" is not a real date: give the Monday of the week as YYYY-MM-DD',
    );
    expect(result.code).toBe(2);
  });
});
