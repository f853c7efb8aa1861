/**
 * `tributary doctor` as an operator runs it, against the suite's dev server in the states that matter:
 * no server, a server without a worker (and a missing namespace), all fine, and a bad data root.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRetailWeek } from '../datagen';
import { tributary, type CliResult } from './helpers/cli';
import { tempDir } from './helpers/parquet';
import { freePort } from './helpers/processes';
import { taskQueueFor, testEnvironment, withWorker } from './helpers/temporal';
import { specFor } from './helpers/weekly';

type Outcome = CliResult;
const doctor = (env: Record<string, string>, args: string[] = []) => tributary(['doctor', ...args], env);

/** The line of one check: its status and its text. */
function line(out: Outcome, name: string): { status: string; text: string } {
  const found = out.stdout.split('\n').find((l) => l.slice(8).startsWith(name));
  if (!found) throw new Error(`no "${name}" line in:\n${out.stdout}${out.stderr}`);
  return { status: found.slice(0, 8).trim(), text: found.slice(8 + name.length).trim() };
}

let home: string;
let env: TestWorkflowEnvironment;
let server: { address: string };
let spec: string;

beforeAll(async () => {
  home = await tempDir('tributary-doctor-');
  const data = path.join(home, 'data');
  [env] = await Promise.all([
    testEnvironment(),
    generateRetailWeek({
      out: data,
      regions: 2,
      stores: 2,
      products: 10,
      days: 7,
      seed: 3,
      week: '2026-11-16',
      substitutionShare: 0.6,
      stockoutRate: 0.15,
    }),
  ]);
  server = { address: env.address };
  spec = path.join(home, 'spec.json');
  await writeFile(spec, JSON.stringify(specFor(data, path.join(home, 'out'))));
});
afterAll(async () => {
  await env?.teardown();
});

describe('tributary doctor', () => {
  it('with no server: says how to start one, checks the spec anyway, exit code 1, and starts nothing', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const own = await tempDir('tributary-doctor-home-');

    const out = await doctor({ TEMPORAL_ADDRESS: address, TRIBUTARY_HOME: own }, [spec]);

    expect(out.code).toBe(1);
    expect(line(out, 'Temporal CLI').status).toBe('ok');
    expect(line(out, 'Temporal server')).toEqual({
      status: 'problem',
      text: `nothing answers at ${address}: start it with \`npx tributary server\` (or \`npm start\`, which starts one in the background)`,
    });
    expect(line(out, 'namespace "default"')).toEqual({ status: 'skipped', text: 'needs the server' });
    expect(line(out, 'data root').status).toBe('ok');
    expect(line(out, 'datasets')).toMatchObject({ status: 'ok', text: expect.stringMatching(/^2 found/) });
    expect(out.stdout).toContain('1 problem;');
    expect(existsSync(path.join(own, 'temporal.db'))).toBe(false);
  });

  it('with a server but no worker on the task queue: says to start one; a missing namespace is named', async () => {
    const queue = taskQueueFor('doctor no worker');

    const out = await doctor({ TEMPORAL_ADDRESS: server.address, TRIBUTARY_TASK_QUEUE: queue }, [spec]);

    expect(out.code).toBe(1);
    expect(line(out, 'Temporal server')).toEqual({ status: 'ok', text: `answers at ${server.address}` });
    expect(line(out, 'namespace "default"')).toEqual({ status: 'ok', text: 'exists' });
    const workers = line(out, `workers on "${queue}"`);
    expect(workers.status).toBe('problem');
    expect(workers.text).toContain('start one with `npx tributary worker`');
    for (const check of ['spec', 'data root', 'datasets', 'reference data', 'output root'])
      expect(line(out, check).status, check).toBe('ok');

    const missing = await doctor({ TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: 'no-such-namespace' });
    expect(missing.code).toBe(1);
    expect(line(missing, 'namespace "no-such-namespace"')).toMatchObject({
      status: 'problem',
      text: expect.stringContaining('does not exist: create it'),
    });
  });

  it('with a worker polling and a good spec: every check ok, exit code 0', async () => {
    const queue = taskQueueFor('doctor all fine');
    const out = await withWorker({ connection: env.nativeConnection, taskQueue: queue }, () =>
      doctor({ TEMPORAL_ADDRESS: server.address, TRIBUTARY_TASK_QUEUE: queue }, [spec]),
    );

    expect(
      out.stdout
        .trim()
        .split('\n')
        .slice(0, -2)
        .map((l) => l.slice(0, 8).trim()),
    ).toEqual(Array(9).fill('ok'));
    expect(line(out, `workers on "${queue}"`).text).toBe('a worker polled the task queue within the last 75 s');
    expect(line(out, 'output root').text).toMatch(/ free at /);
    expect(out.stdout).toContain('All 9 checks ok.');
    expect(out.code).toBe(0);
  });

  it('with a data root that does not exist: names it and how to fix it; datasets are not checked', async () => {
    const missingRoot = path.join(home, 'no-such-data');
    const bad = path.join(home, 'bad-root.json');
    await writeFile(bad, JSON.stringify(specFor(missingRoot, path.join(home, 'out'))));

    const out = await doctor({ TEMPORAL_ADDRESS: server.address }, [bad]);

    expect(out.code).toBe(1);
    expect(line(out, 'spec').status).toBe('ok');
    expect(line(out, 'data root')).toEqual({
      status: 'problem',
      text: `${missingRoot} does not exist: fix dataRoot in the spec (a relative path is taken from the spec's folder), or generate sample data there: npx tributary datagen --out ${missingRoot}`,
    });
    expect(line(out, 'datasets')).toEqual({ status: 'skipped', text: 'needs the data root' });

    const invalid = path.join(home, 'invalid.json');
    await writeFile(invalid, JSON.stringify({ ...specFor(home, home), metrics: ['nope'] }));
    const refused = await doctor({ TEMPORAL_ADDRESS: server.address }, [invalid]);
    expect(refused.code).toBe(1);
    expect(line(refused, 'spec')).toMatchObject({
      status: 'problem',
      text: expect.stringContaining('metrics.0: Invalid option'),
    });
  });
});
