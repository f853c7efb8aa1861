/**
 * A Temporal dev server as a real process (the CLI binary): the suite's shared one (test/globalSetup.ts)
 * and the dedicated ones of tests that stop and restart their server. No vitest import here: the
 * global setup runs outside the test workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { serverAnswers, SINGLE_PARTITION_ARGS } from '../../runtime/devServer';
import { findTemporalCli } from '../../runtime/temporalCli';

export async function temporalCliPath(): Promise<string> {
  const cli = await findTemporalCli();
  if (!cli) {
    throw new Error(
      'No Temporal CLI found. `npm test` builds it before the suite (pretest); ' +
        'run `npx tributary ensure-cli` when running vitest directly.',
    );
  }
  return cli;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value other than undefined/false, or fails naming `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await sleep(100);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * `temporal server start-dev` on a free port; stop and start at will. With a database file its state
 * survives a restart; without one (the suite's shared server) it is in memory.
 */
export class DevServer {
  private child?: ChildProcess;
  private constructor(
    readonly port: number,
    readonly db?: string,
  ) {}

  static async start(db?: string): Promise<DevServer> {
    const server = new DevServer(await freePort(), db);
    await server.start();
    return server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const cli = await temporalCliPath();
    const args = [
      'server',
      'start-dev',
      '--ip',
      '127.0.0.1',
      '--port',
      String(this.port),
      '--headless',
      '--log-level',
      'error',
      ...SINGLE_PARTITION_ARGS,
    ];
    if (this.db) args.push('--db-filename', this.db);
    this.child = spawn(cli, args, { stdio: 'ignore' });
    await waitFor(`the dev server at ${this.address}`, () => serverAnswers(this.address, 1_000), 60_000);
  }

  /** Stops the server (SIGTERM, as an operator would; SIGKILL, as a crash) and waits until it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (!this.child) return;
    this.child.kill(signal);
    await exited(this.child);
    this.child = undefined;
  }
}
