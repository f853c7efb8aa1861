/**
 * Issue 12, class 5 "orphaned runs": `tributary run` as a real process, killed mid-run, run again,
 * its run terminated, its server crashed and restarted. Whatever happened, running the same command
 * again finishes the week with every output exactly once. The server crash uses a server of its own.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../common/report';
import { generateRetailWeek, type Manifest } from '../datagen';
import { expectExactlyOnceOutputs } from './helpers/invariants';
import { tempDir } from './helpers/parquet';
import { spawnTributary, type TributaryProcess } from './helpers/cli';
import { DevServer, inFlight, readLedger, waitFor } from './helpers/processes';
import { sharedServerAddress, taskQueueFor } from './helpers/temporal';
import { specFor } from './helpers/weekly';

const WEEK = '2026-11-16';
// A second or more of polars work per dataset, so a kill (within 100 ms of a compute's start) lands mid-run.
const SIZE = {
  regions: 3,
  stores: 40,
  products: 300,
  days: 7,
  seed: 5,
  week: WEEK,
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};
// Short heartbeat timeouts: the attempts of a killed worker are retried within seconds.
const FAST_RECOVERY = Object.fromEntries(
  ['read', 'compute', 'write'].map((s) => [
    s,
    {
      heartbeatTimeout: '3s',
      startToCloseTimeout: '5 minutes',
      retry: { initialInterval: '200ms', maximumAttempts: 10 },
    },
  ]),
);

/**
 * The waits a killed process leaves behind, shortened: the server lists a killed worker as polling
 * for a while, so a command gives listed workers TRIBUTARY_WORKER_WAIT (default 5-10 s) to show they
 * are alive; and a killed worker's runs wait for it the sticky timeout (default 10 s) before another
 * worker may take them. The commands still have to find out, and hand over, the same way.
 */
const QUICK_TAKEOVER = { TRIBUTARY_WORKER_WAIT: '1s', TRIBUTARY_STICKY_TIMEOUT: '1s' };

let home: string;
let client: Client;
let connection: Connection;
let data: string;
let manifest: Manifest;
const commands: TributaryProcess[] = [];
const servers: DevServer[] = [];

beforeAll(async () => {
  home = await tempDir('tributary-runs-');
  data = path.join(home, 'data');
  manifest = await generateRetailWeek({ out: data, ...SIZE });
  connection = await Connection.connect({ address: await sharedServerAddress() });
  client = new Client({ connection });
});
afterAll(async () => {
  for (const c of commands) await c.kill('SIGKILL');
  await connection?.close();
  for (const server of servers) await server.stop();
});

/**
 * A spec, a home and a task queue of its own; `start()` runs `tributary run` on them, `command()`
 * any other. Each scenario's pipeline has a name of its own: run ids are `<name>-<week>`.
 */
async function scenario(title: string, address?: string) {
  const taskQueue = taskQueueFor(title);
  const name = `orphans-${title.replace(/\W+/g, '-')}`;
  const home = await tempDir('tributary-runs-home-');
  const out = path.join(home, 'out');
  const ledgerFile = path.join(home, 'ledger.jsonl');
  const spec = path.join(home, 'spec.json');
  await writeFile(
    spec,
    JSON.stringify(specFor(data, out, { name, parallelism: { datasets: 2 }, stages: FAST_RECOVERY })),
  );
  const env = {
    TEMPORAL_ADDRESS: address ?? (await sharedServerAddress()),
    TRIBUTARY_TASK_QUEUE: taskQueue,
    TRIBUTARY_HOME: home,
    TRIBUTARY_LEDGER: ledgerFile,
    ...QUICK_TAKEOVER,
  };
  const command = (args: string[]) => {
    const started = spawnTributary(args, env);
    commands.push(started);
    return started;
  };
  const start = () => command(['run', spec, '--week', WEEK]);
  const computing = () =>
    waitFor('a compute in flight', () => inFlight(readLedger(ledgerFile)).some((e) => e.stage === 'compute'), 120_000);
  const report = async () => JSON.parse(await readFile(path.join(out, WEEK, '_report.json'), 'utf8')) as RunReport;
  /** Every output exactly once, and the run's page that `run` writes next to the report. */
  const expectOutputs = async () => {
    const page = path.join(out, WEEK, '_report.html');
    expect(existsSync(page)).toBe(true);
    await rm(page);
    await expectExactlyOnceOutputs(await report(), out, manifest.regions);
  };
  return { taskQueue, out, env, start, command, computing, report, expectOutputs, workflowId: `${name}-${WEEK}` };
}

// The scenarios share nothing but the server, and mostly wait (on processes starting, heartbeats
// timing out, a server away): they run side by side.
describe('orphaned runs', { timeout: 300_000, concurrent: true }, () => {
  it('resumes a run whose `tributary run` was SIGKILLed: the same run completes, outputs exactly once', async () => {
    const s = await scenario('run killed');
    const first = s.start();
    await s.computing();
    first.child.kill('SIGKILL');
    await first.exit;
    const orphan = await client.workflow.getHandle(s.workflowId).describe();
    expect(orphan.status.name).toBe('RUNNING');

    const again = s.start();
    const code = await again.exit;

    expect(again.output).toContain(
      `Resuming ${s.workflowId}: no worker polls task queue "${s.taskQueue}"; running one in this process`,
    );
    expect(code, again.output).toBe(0);
    const resumed = await client.workflow.getHandle(s.workflowId).describe();
    expect(resumed.runId, 'the run that was orphaned is the one that finished').toBe(orphan.runId);
    expect(resumed.status.name).toBe('COMPLETED');
    await s.expectOutputs();
  });

  it('runs a week again after its run was terminated: no child of the terminated run holds its id', async () => {
    const s = await scenario('run terminated');
    const first = s.start();
    await s.computing();
    first.child.kill('SIGKILL'); // no worker is left: children asked to cancel would wait forever
    await first.exit;
    const children = (await client.workflow.getHandle(s.workflowId).describe()).raw.pendingChildren ?? [];
    expect(children.length).toBeGreaterThan(0);
    await client.workflow.getHandle(s.workflowId).terminate('stuck');

    for (const child of children) {
      const leftover = client.workflow.getHandle(child.workflowId ?? '', child.runId ?? undefined);
      await waitFor(
        `${child.workflowId} to close`,
        async () => (await leftover.describe()).status.name !== 'RUNNING',
        10_000,
      );
      expect((await leftover.describe()).status.name).toBe('TERMINATED');
    }
    const again = s.start();
    const code = await again.exit;

    expect(code, again.output).toBe(0);
    await s.expectOutputs();
  });

  it('completes a cancel requested while no worker polls: `tributary cancel` hosts one and says so', async () => {
    const s = await scenario('cancel without worker');
    const first = s.start();
    await s.computing();
    first.child.kill('SIGKILL');
    await first.exit;

    const cancel = s.command(['cancel', s.workflowId]);
    const code = await cancel.exit;

    expect(cancel.output).toContain(
      `Cancel requested for ${s.workflowId}, but no worker polls task queue "${s.taskQueue}": running one in this process so the cancel completes.`,
    );
    expect(code, cancel.output).toBe(0);
    expect((await client.workflow.getHandle(s.workflowId).describe()).status.name).toBe('CANCELLED');
    const report = await s.report();
    expect(report.datasets.some((d) => d.status === 'cancelled')).toBe(true);
  });

  it('rides out a Temporal server SIGKILLed and restarted mid-run: `run` exits 0 with every output', async () => {
    // A server of its own (with its state in a file): this test kills it.
    const server = await DevServer.start(path.join(home, 'temporal.db'));
    servers.push(server);
    const s = await scenario('server restarted', server.address);
    const command = s.start();
    await s.computing();

    await server.stop('SIGKILL');
    // Away for longer than the SDK's own retries of one call (about 20 s): until `run` has seen a call
    // fail. The client's other calls and the worker's polls fail meanwhile.
    await waitFor('`run` to lose the server', () => command.output.includes('Lost the Temporal server'), 120_000);
    await server.start();
    const code = await command.exit;

    expect(code, command.output).toBe(0);
    expect(command.output).toContain(`Lost the Temporal server at ${server.address}`);
    await s.expectOutputs();
  });
});
