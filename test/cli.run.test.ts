/** `tributary run` as a user runs it: a bad spec is refused before anything starts. */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { expect, it } from 'vitest';
import { DATAGEN_DEFAULTS, generateRetailWeek } from '../datagen';
import { tributary } from './helpers/cli';
import { tempDir } from './helpers/parquet';
import { WorkerProcess } from './helpers/processes';
import { sharedServerAddress, taskQueueFor } from './helpers/temporal';
import { specFor } from './helpers/weekly';

it('refuses a bad spec with every problem by path, exit code 2, and starts nothing', async () => {
  const home = await tempDir('tributary-home-');
  const spec = path.join(home, 'bad.json');
  await writeFile(
    spec,
    JSON.stringify({
      name: 'bad spec',
      dataRoot: 'data',
      datasets: { glob: 'sales/*' },
      reference: { products: 'p.parquet', substitutes: 's.parquet' },
      metrics: ['hierarchySales', 'revenueForecast'],
      output: { root: 'out' },
      parallelism: { datasets: -1 },
      stages: { read: { startToCloseTimeout: '10s', heartbeatTimeout: '1 minute' } },
      surprise: true,
    }),
  );
  // An address nothing listens on: the command must fail before it tries to reach or start a server.
  const env = { TRIBUTARY_HOME: home, TEMPORAL_ADDRESS: '127.0.0.1:1' };

  const result = await tributary(['run', spec], env);

  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`Invalid pipeline spec ${spec}`);
  for (const where of ['name:', 'metrics.1:', 'parallelism.datasets:', '(spec):'])
    expect(result.stderr).toContain(`  - ${where}`);
  expect(result.stderr).toContain('Nothing was started.');
  expect(existsSync(path.join(home, 'temporal.db'))).toBe(false);
});

it('names the file and the JSON error when the spec is not JSON', async () => {
  const home = await tempDir('tributary-home-');
  const spec = path.join(home, 'broken.json');
  await writeFile(spec, '{ "name": ');
  const env = { TRIBUTARY_HOME: home, TEMPORAL_ADDRESS: '127.0.0.1:1' };

  const result = await tributary(['run', spec], env);

  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`Invalid pipeline spec ${spec}:\n  - not readable as JSON:`);
});

it('refuses a second run of the same pipeline and week while workers run the first, so outputs never mix', async () => {
  const home = await tempDir('tributary-home-');
  const address = await sharedServerAddress();
  const connection = await Connection.connect({ address });
  let worker: WorkerProcess | undefined;
  try {
    const data = path.join(home, 'data');
    await generateRetailWeek({ ...DATAGEN_DEFAULTS, out: data, regions: 1, stores: 2, products: 10 });
    const spec = path.join(home, 'spec.json');
    // The first run waits for a marker that never comes, on a worker of its own: it stays running, served.
    const waiting = { availability: { marker: '_SUCCESS', checkEvery: '1 hour', deadline: '10 minutes' } };
    await writeFile(
      spec,
      JSON.stringify(specFor(data, path.join(home, 'out'), { name: 'second-refused', ...waiting })),
    );
    const env = {
      TRIBUTARY_HOME: home,
      TEMPORAL_ADDRESS: address,
      TRIBUTARY_TASK_QUEUE: taskQueueFor('second run refused'),
    };
    worker = await WorkerProcess.start(env);
    const args = ['run', spec, '--week', DATAGEN_DEFAULTS.week];

    const first = await tributary([...args, '--detach'], env);
    const second = await tributary(args, env);

    const id = `second-refused-${DATAGEN_DEFAULTS.week}`;
    expect(first.stdout.trim(), first.stderr).toBe(id);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(
      `A run of second-refused for the week of ${DATAGEN_DEFAULTS.week} is already running: ${id}`,
    );
    expect(second.stderr).toContain(`temporal workflow cancel --workflow-id ${id}`);
  } finally {
    await worker?.kill('SIGKILL');
    // The first run would wait for its marker for 10 minutes on the shared server: end it.
    await new Client({ connection }).workflow
      .getHandle(`second-refused-${DATAGEN_DEFAULTS.week}`)
      .terminate('test over')
      .catch(() => undefined);
    await connection.close();
  }
});
