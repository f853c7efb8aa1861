/**
 * The `tributary` command as a user runs it, as a child process: `tributary()` waits for it and
 * returns its exit code and output; `spawnTributary()` keeps it running (workers, runs to kill).
 * Both take an environment over this process's own, and hand the suite's prebuilt workflow bundle
 * to any worker the command hosts, so it starts without bundling (workers/worker.ts).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { inject } from 'vitest';
import { PREBUILT_BUNDLE_ENV } from '../../workers/worker';

export const ROOT = path.resolve(__dirname, '../..');
export const BIN = path.join(ROOT, 'bin/tributary.cjs');

export type Env = Record<string, string | undefined>;

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function environment(env: Env): NodeJS.ProcessEnv {
  return { ...process.env, [PREBUILT_BUNDLE_ENV]: inject('workflowBundlePath'), ...env };
}

/** Runs `tributary <args>` to its end; a failing exit is a result, not an exception. */
export function tributary(args: string[], env: Env = {}, options: { timeout?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: ROOT,
        env: environment(env),
        maxBuffer: 1 << 26,
        ...(options.timeout ? { timeout: options.timeout } : {}),
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A running `tributary` (or `node <args>` with `node: true`) process; its output kept, its exit awaited. */
export class TributaryProcess {
  stdout = '';
  stderr = '';
  /** stdout and stderr interleaved, as a terminal shows them. */
  output = '';
  readonly exit: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (c: Buffer) => {
      this.stdout += c.toString();
      this.output += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      this.stderr += c.toString();
      this.output += c.toString();
    });
    this.exit = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` (default SIGKILL) and waits until the process has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.child.kill(signal);
    await this.exit;
  }
}

/** Starts `tributary <args>`; with `node: true`, `node <args>` in the project folder instead. */
export function spawnTributary(args: string[], env: Env = {}, options: { node?: boolean } = {}): TributaryProcess {
  const argv = options.node ? args : [BIN, ...args];
  return new TributaryProcess(
    spawn(process.execPath, argv, { cwd: ROOT, env: environment(env), stdio: ['ignore', 'pipe', 'pipe'] }),
  );
}
