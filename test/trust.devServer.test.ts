/**
 * Issue 12, class 7: a dev server never takes over an address the user configured, and two commands
 * starting at once start one dev server, which `tributary server stop` stops.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, expect, it } from 'vitest';
import { DATAGEN_DEFAULTS, generateRetailWeek } from '../datagen';
import { devServerRefusal, serverAnswers } from '../runtime/devServer';
import { loadSettings } from '../runtime/settings';
import { tributary } from './helpers/cli';
import { tempDir } from './helpers/parquet';
import { freePort, waitFor } from './helpers/processes';
import { specFor } from './helpers/weekly';

const exec = promisify(execFile);

/** Pids of `temporal server start-dev` processes listening on `port` (read from /proc, nothing is signalled). */
async function devServersOn(port: number): Promise<number[]> {
  const { stdout } = await exec('ps', ['-eo', 'pid=,args=']);
  return stdout
    .split('\n')
    .filter((line) => line.includes('start-dev') && line.includes(`--port ${port} `))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

const started: number[] = [];
afterEach(() => {
  // Whatever the code under test left running on the test's own port (only pids seen by devServersOn).
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

async function sampleSpec(home: string): Promise<string> {
  const data = path.join(home, 'data');
  await generateRetailWeek({ ...DATAGEN_DEFAULTS, out: data, regions: 1, stores: 2, products: 10 });
  const spec = path.join(home, 'spec.json');
  await writeFile(spec, JSON.stringify(specFor(data, path.join(home, 'out'))));
  return spec;
}

it('refuses to start a dev server on an address from TEMPORAL_ADDRESS where nothing answers, and says what to do', async () => {
  const home = await tempDir('tributary-home-');
  const spec = await sampleSpec(home);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const env = { TRIBUTARY_HOME: home, TEMPORAL_ADDRESS: address, TRIBUTARY_DEV_SERVER: '' };

  const result = await tributary(['run', spec, '--week', DATAGEN_DEFAULTS.week], env);
  started.push(...(await devServersOn(port)));

  expect(result.stderr).toContain(
    `No Temporal server answers at ${address} (from TEMPORAL_ADDRESS). Start it, or unset TEMPORAL_ADDRESS to use the embedded ` +
      'dev server, or set TRIBUTARY_DEV_SERVER=1 to start a dev server at that address.',
  );
  expect(result.code).toBe(1);
  expect(started, 'no dev server was started').toEqual([]);
  expect(await serverAnswers(address, 1_000)).toBe(false);
  expect(existsSync(path.join(home, 'temporal.db'))).toBe(false);
});

it('starts exactly one dev server when two commands start at once, and `server stop` stops it', async () => {
  const home = await tempDir('tributary-home-');
  const spec = await sampleSpec(home);
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  // Asked for explicitly: a dev server on this (configured) address.
  const env = {
    TRIBUTARY_HOME: home,
    TEMPORAL_ADDRESS: address,
    TRIBUTARY_DEV_SERVER: '1',
    TRIBUTARY_TASK_QUEUE: 'nobody-polls',
  };
  const args = (id: string) => ['run', spec, '--week', DATAGEN_DEFAULTS.week, '--detach', '--workflow-id', id];

  const [a, b] = await Promise.all([tributary(args('first'), env), tributary(args('second'), env)]);
  const servers = await devServersOn(port);
  started.push(...servers);

  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
  expect(servers).toHaveLength(1);
  expect(Number(await readFile(path.join(home, 'temporal-server.pid'), 'utf8'))).toBe(servers[0]);

  await tributary(['server', 'stop'], env);
  await waitFor('the dev server to exit', async () => (await devServersOn(port)).length === 0, 20_000);
  expect(await serverAnswers(address, 1_000)).toBe(false);
});

it('decides from where the address came whether a dev server may start there', async () => {
  const home = await tempDir('tributary-home-');
  const refusal = (env: Record<string, string>) => devServerRefusal(loadSettings({ TRIBUTARY_HOME: home, ...env }));

  expect(refusal({})).toBeUndefined(); // the project's own default
  expect(refusal({ TEMPORAL_ADDRESS: 'localhost:7233' })).toContain(
    'No Temporal server answers at localhost:7233 (from TEMPORAL_ADDRESS). Start it',
  );
  expect(refusal({ TEMPORAL_ADDRESS: 'localhost:7233', TRIBUTARY_DEV_SERVER: '1' })).toBeUndefined();
  expect(refusal({ TRIBUTARY_DEV_SERVER: '0' })).toContain('TRIBUTARY_DEV_SERVER=0');
  const profile = path.join(home, 'temporal.toml');
  await writeFile(profile, '[profile.default]\naddress = "127.0.0.1:7299"\n');
  expect(refusal({ TEMPORAL_CONFIG_FILE: profile })).toContain(
    `(from profile "default" of ${profile}). Start it, or remove the address from profile`,
  );
});
