/**
 * Issue 15, where outputs go, through the command line: `tributary run` with a template two weeks
 * would share and an output root inside the dataset glob exits 2, lists both problems, and starts
 * nothing: no workflow, no file.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection, WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
  seed: 7,
  week: '2026-11-16',
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};

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

it('tributary run refuses a template without {week} and an output root the glob reaches: exit 2, nothing started', async () => {
  const base = await tempDir('tributary-trust-output-spec-');
  const data = path.join(base, 'data');
  await generateRetailWeek({ out: data, ...SIZE });
  const out = path.join(data, 'sales', 'out');
  const spec = path.join(base, 'spec.json');
  const template = '{dataset}/{table}.parquet';
  await writeFile(
    spec,
    JSON.stringify(specFor(data, out, { name: 'output-spec', output: { root: out, path: template } })),
  );
  const before = await filesUnder(base);
  // No other worker polls this queue: without the refusal the command would host one and run the week.
  const home = await tempDir('tributary-trust-output-spec-home-');
  const env = { TRIBUTARY_HOME: home, TEMPORAL_ADDRESS: address, TRIBUTARY_TASK_QUEUE: taskQueueFor('output spec') };

  const result = await tributary(['run', spec, '--week', SIZE.week], env, { timeout: 90_000 });

  expect(result.stderr).toContain(
    [
      `Invalid pipeline spec ${spec}:`,
      '  - output.path: "{dataset}/{table}.parquet" lacks {week}: two weeks would write the same files',
      `  - output.root: "${out}" is inside dataRoot "${data}" where datasets.glob "sales/*" can match it or folders ` +
        'under it: later runs would read outputs as datasets; move output.root out of dataRoot, or into a folder ' +
        'whose name starts with "." (the glob skips those)',
      'Nothing was started.',
    ].join('\n'),
  );
  expect(result.code).toBe(2);
  expect(await filesUnder(base)).toEqual(before);
  const started = await client.workflow
    .getHandle(`output-spec-${SIZE.week}`)
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
