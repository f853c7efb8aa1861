/**
 * Issue 12, class 8: what an operator's log shipper and firewall see of a worker. With
 * TRIBUTARY_LOG_FORMAT=json every line the process writes is one JSON object, the SDK core's own
 * warnings included (they used to come out as ANSI-coloured text); the Prometheus endpoint binds
 * loopback unless TRIBUTARY_METRICS_HOST says otherwise.
 */
import { readFile } from 'node:fs/promises';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnTributary, type TributaryProcess } from './helpers/cli';
import { freePort, waitFor } from './helpers/processes';
import { sharedServerAddress, taskQueueFor } from './helpers/temporal';

let server: { address: string };
let connection: Connection;
const children: TributaryProcess[] = [];

beforeAll(async () => {
  server = { address: await sharedServerAddress() };
  connection = await Connection.connect({ address: server.address });
});
afterAll(async () => {
  for (const child of children) await child.kill('SIGKILL');
  await connection?.close();
});

/** `tributary <args>`, or with `node: true` `node <args>` in the project folder; stdout and stderr kept apart, in full. */
function start(args: string[], env: Record<string, string>, options: { node?: boolean } = {}) {
  const child = spawnTributary(args, env, options);
  children.push(child);
  return child;
}

/** The address a TCP port listens on, from the kernel's own table (Linux): `127.0.0.1`, `0.0.0.0`. */
async function listeningOn(port: number): Promise<string | undefined> {
  const table = await readFile('/proc/net/tcp', 'utf8');
  for (const line of table.split('\n').slice(1)) {
    const [, local, , state] = line.trim().split(/\s+/);
    if (!local || state !== '0A') continue; // 0A: LISTEN
    const [hex, portHex] = local.split(':') as [string, string];
    if (parseInt(portHex, 16) !== port) continue;
    return [3, 2, 1, 0].map((i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16)).join('.');
  }
  return undefined;
}

const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');
const parses = (line: string) => {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
};

describe('a worker with TRIBUTARY_LOG_FORMAT=json', () => {
  it('writes only JSON lines, the core SDK warnings and its own lines included, and serves metrics on loopback', async () => {
    const taskQueue = taskQueueFor('json logs');
    const port = await freePort();
    const worker = start(['worker'], {
      TEMPORAL_ADDRESS: server.address,
      TRIBUTARY_TASK_QUEUE: taskQueue,
      TRIBUTARY_LOG_FORMAT: 'json',
      TRIBUTARY_METRICS_PORT: String(port),
    });
    const said = (text: RegExp) => text.test(worker.stdout + worker.stderr);
    await waitFor('the worker to poll', () => said(/Worker polling/) || worker.child.exitCode !== null, 60_000);
    expect(worker.child.exitCode).toBeNull();

    // A workflow type the worker does not have: the SDK core fails its task with a WARN line.
    await new Client({ connection }).workflow.start('noSuchWorkflow', { taskQueue, workflowId: taskQueue, args: [] });
    await waitFor('the core warning', () => said(/Failing workflow task/), 30_000);

    const served = (await fetch(`http://127.0.0.1:${port}/metrics`)).ok;
    const bound = await listeningOn(port);

    await worker.kill('SIGTERM');
    const all = [...lines(worker.stderr), ...lines(worker.stdout)];
    const notJson = all.filter((l) => !parses(l));
    expect(notJson, 'lines that are not JSON objects').toEqual([]);
    const entries = all.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of entries) {
      expect([typeof e.time, typeof e.level, typeof e.message], JSON.stringify(e)).toEqual([
        'string',
        'string',
        'string',
      ]);
    }
    expect(entries.find((e) => String(e.message).includes('Failing workflow task'))).toMatchObject({ level: 'WARN' });
    expect(entries.find((e) => String(e.message).startsWith('Worker polling'))).toMatchObject({ level: 'INFO' });
    // An error in a log entry keeps its message (JSON.stringify of an Error alone gives {}).
    const activation = entries.find((e) => e.message === 'Failed to process Workflow Activation');
    expect((activation?.error as { message?: string } | undefined)?.message).toContain('noSuchWorkflow');

    // Metrics: served, and on loopback only by default.
    expect(served).toBe(true);
    expect(bound).toBe('127.0.0.1');
  });
});

describe('TRIBUTARY_METRICS_HOST', () => {
  it('binds the metrics endpoint to the configured host', async () => {
    const port = await freePort();
    // The runtime as the CLI installs it, created without a server: the exporter binds at once.
    // 127.0.0.2 is loopback too (127/8), and neither the old 0.0.0.0 nor the default.
    const script =
      "require('./runtime/telemetry.ts').installRuntime('worker'); " +
      "require('@temporalio/worker').Runtime.instance(); setInterval(() => {}, 1000);";
    const proc = start(
      ['-r', 'tsx/cjs', '-e', script],
      { TRIBUTARY_METRICS_PORT: String(port), TRIBUTARY_METRICS_HOST: '127.0.0.2' },
      { node: true },
    );
    const exited = () => proc.child.exitCode !== null && `exited: ${proc.stderr}`;
    const bound = await waitFor('the metrics endpoint', async () => (await listeningOn(port)) ?? exited(), 30_000);
    expect(bound).toBe('127.0.0.2');
    proc.child.kill('SIGKILL');
  });

  it('refuses a host that is not one', async () => {
    const script = "require('./runtime/telemetry.ts').installRuntime('worker');";
    const proc = start(
      ['-r', 'tsx/cjs', '-e', script],
      { TRIBUTARY_METRICS_PORT: '9464', TRIBUTARY_METRICS_HOST: 'http://x/' },
      { node: true },
    );
    await proc.exit;
    expect(proc.child.exitCode).not.toBe(0);
    expect(proc.stderr).toContain(
      'TRIBUTARY_METRICS_HOST must be an IP address to bind, such as 127.0.0.1 (the default, this machine only) ' +
        'or 0.0.0.0 (every interface), got "http://x/"',
    );
  });
});
