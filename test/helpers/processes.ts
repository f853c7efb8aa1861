/**
 * Real processes for the fault suite: a Temporal dev server on its own SQLite file (so it can be
 * stopped and restarted with its state), and `tributary worker` processes that can be killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LedgerEntry } from '../../activities/ledger';
import { serverAnswers } from '../../runtime/devServer';
import { temporalCliPath } from './temporal';

const ROOT = path.resolve(__dirname, '../..');

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
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await sleep(100);
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** `temporal server start-dev` on a free port and a given database file; stop and start at will. */
export class DevServer {
  private child?: ChildProcess;
  private constructor(readonly port: number, readonly db: string) {}

  static async start(db: string): Promise<DevServer> {
    const server = new DevServer(await freePort(), db);
    await server.start();
    return server;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const cli = await temporalCliPath();
    const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(this.port), '--headless', '--db-filename', this.db, '--log-level', 'error'];
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

/** A `tributary worker` OS process with its own environment; its output is kept for diagnosis. */
export class WorkerProcess {
  output = '';
  private constructor(readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  static async start(env: Record<string, string>, args: string[] = []): Promise<WorkerProcess> {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/tributary.cjs'), 'worker', ...args], {
      cwd: ROOT,
      env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'WARN', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const worker = new WorkerProcess(child);
    await waitFor('the worker to start polling', () => worker.output.includes('Worker polling') || worker.child.exitCode !== null, 60_000);
    if (child.exitCode !== null) throw new Error(`The worker exited with code ${child.exitCode}:\n${worker.output}`);
    return worker;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    this.child.kill(signal);
    await exited(this.child);
  }

  exited(): Promise<void> {
    return exited(this.child);
  }
}

export function readLedger(file: string): LedgerEntry[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LedgerEntry);
}

/** Stage attempts that started but have not finished (no done/failed line for the same attempt). */
export function inFlight(entries: LedgerEntry[]): LedgerEntry[] {
  const key = (e: LedgerEntry) => `${e.workflowId}|${e.stage}|${e.attempt}|${e.pid}`;
  const finished = new Set(entries.filter((e) => e.event !== 'start').map(key));
  return entries.filter((e) => e.event === 'start' && !finished.has(key(e)));
}
