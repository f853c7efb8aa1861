/**
 * The embedded default: a local Temporal dev server (`temporal server start-dev`) with its state in a
 * SQLite file under the project's data folder, so runs survive a server restart, and its Web UI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { Settings } from './settings';
import { ensureTemporalCli } from './temporalCli';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True when a Temporal frontend answers at `address` within `timeoutMs`. */
export async function serverAnswers(address: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.close();
    return true;
  } catch {
    return false;
  }
}

function splitAddress(address: string): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const host = at > 0 ? address.slice(0, at) : address;
  const port = at > 0 ? Number(address.slice(at + 1)) : 7233;
  if (!Number.isInteger(port) || port <= 0) throw new Error(`TEMPORAL_ADDRESS "${address}" has no valid port`);
  return { host, port };
}

export interface DevServerPaths {
  db: string;
  log: string;
  pid: string;
  /** Held (O_EXCL) by the command that is starting the server. */
  lock: string;
}

export function devServerPaths(home: string): DevServerPaths {
  return {
    db: path.join(home, 'temporal.db'),
    log: path.join(home, 'temporal-server.log'),
    pid: path.join(home, 'temporal-server.pid'),
    lock: path.join(home, 'temporal-server.lock'),
  };
}

/**
 * One partition per task queue. The dev server splits each task queue in four, like a cluster; a
 * task that lands in a partition no worker polls yet is handed over after a 2 s wait, so one run in
 * two (measured) waited 2 s before its worker saw it. One machine's queues need no split.
 */
export const SINGLE_PARTITION_ARGS = [
  '--dynamic-config-value',
  'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value',
  'matching.numTaskqueueWritePartitions=1',
];

export function startDevArgs(settings: Settings, db: string): string[] {
  const { port } = splitAddress(settings.address);
  const uiPort = Number(new URL(settings.uiUrl).port) || port + 1000;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port), '--ui-port', String(uiPort)];
  args.push('--db-filename', db, '--log-level', 'warn', ...SINGLE_PARTITION_ARGS);
  if (settings.namespace !== 'default') args.push('--namespace', settings.namespace);
  return args;
}

async function waitHealthy(settings: Settings, child: ChildProcess, logFile?: string): Promise<void> {
  const deadline = Date.now() + 90_000;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      const tail = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2_000) : '';
      throw new Error(`The Temporal dev server exited with code ${exited} before it was ready.\n${tail}`);
    }
    if (await serverAnswers(settings.address, 1_000)) return;
    await sleep(300);
  }
  child.kill('SIGTERM');
  throw new Error(`The Temporal dev server did not answer at ${settings.address} within 90s`);
}

export interface ServerHandle {
  /** True when this call started the server; false when one was already answering. */
  started: boolean;
  address: string;
  uiUrl: string;
}

/** Why no dev server may be started here, or undefined when one may (see Settings.devServer). */
export function devServerRefusal(settings: Settings): string | undefined {
  const at = settings.addressFrom ? ` (from ${settings.addressFrom})` : '';
  const none = `No Temporal server answers at ${settings.address}${at}.`;
  if (settings.devServer === 'never')
    return `${none} Start it (TRIBUTARY_DEV_SERVER=0: no dev server is started for you).`;
  const unset =
    settings.addressFrom === 'TEMPORAL_ADDRESS'
      ? 'unset TEMPORAL_ADDRESS'
      : `remove the address from ${settings.addressFrom}`;
  if (!LOCAL_HOSTS.has(splitAddress(settings.address).host)) {
    return `${none} Start it${settings.addressFrom ? `, or ${unset} to use the embedded local dev server` : ''}.`;
  }
  // An address the user configured is a cluster's, perhaps briefly down: a dev server there would take its place.
  if (settings.addressFrom && settings.devServer !== 'always') {
    const ask = 'set TRIBUTARY_DEV_SERVER=1 to start a dev server at that address';
    return `${none} Start it, or ${unset} to use the embedded dev server, or ${ask}.`;
  }
  return undefined;
}

/**
 * Makes sure a server answers at the configured address. A server that already answers is left
 * alone. Otherwise starts the dev server in the background, only at the project's own local default
 * or when asked for (TRIBUTARY_DEV_SERVER=1); it keeps running after this process exits, so the Web
 * UI stays up; `tributary server stop` stops it. Commands starting at once start one server: the
 * first holds a lock file while it starts, the others wait for its server.
 */
export async function ensureDevServer(settings: Settings, log: (line: string) => void): Promise<ServerHandle> {
  const handle = { address: settings.address, uiUrl: settings.uiUrl };
  if (await serverAnswers(settings.address)) return { ...handle, started: false };
  const refusal = devServerRefusal(settings);
  if (refusal) throw new Error(refusal);
  const paths = devServerPaths(settings.home);
  await mkdir(settings.home, { recursive: true });
  const release = await startLock(settings, paths, log);
  if (!release) return { ...handle, started: false }; // another command started it meanwhile
  try {
    const cli = await ensureTemporalCli(log);
    log(`Starting the Temporal dev server at ${settings.address} (state in ${paths.db}, log in ${paths.log})...`);
    const out = openSync(paths.log, 'a');
    const child = spawn(cli, startDevArgs(settings, paths.db), { detached: true, stdio: ['ignore', out, out] });
    await writeFile(paths.pid, String(child.pid));
    await waitHealthy(settings, child, paths.log);
    child.unref();
    return { ...handle, started: true };
  } finally {
    await release();
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes the start lock (a file created with O_EXCL, holding this pid): resolves to its release, or
 * to undefined once a server answers that another command started. A lock whose holder died is taken over.
 */
async function startLock(
  settings: Settings,
  paths: DevServerPaths,
  log: (line: string) => void,
): Promise<(() => Promise<void>) | undefined> {
  const deadline = Date.now() + 120_000;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(paths.lock, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      // The holder before us may have finished just now.
      if (await serverAnswers(settings.address, 1_000)) {
        await rm(paths.lock, { force: true });
        return undefined;
      }
      return () => rm(paths.lock, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(await readFile(paths.lock, 'utf8').catch(() => ''));
    if (holder && !alive(holder)) {
      await rm(paths.lock, { force: true });
      continue;
    }
    if (!told)
      log(
        `Another command (pid ${holder || '?'}) is starting the dev server at ${settings.address}: waiting for it...`,
      );
    told = true;
    if (await serverAnswers(settings.address, 1_000)) return undefined;
    if (Date.now() > deadline) {
      throw new Error(`The dev server start by pid ${holder} (lock ${paths.lock}) did not finish within 120 s`);
    }
    await sleep(300);
  }
}

/** Runs the dev server in the foreground until it exits or this process is interrupted. */
export async function runServerForeground(settings: Settings, log: (line: string) => void): Promise<number> {
  if (await serverAnswers(settings.address)) {
    log(`A Temporal server already answers at ${settings.address}; leaving it alone.`);
    return 0;
  }
  const cli = await ensureTemporalCli(log);
  const paths = devServerPaths(settings.home);
  await mkdir(settings.home, { recursive: true });
  const child = spawn(cli, startDevArgs(settings, paths.db), { stdio: ['ignore', 'inherit', 'inherit'] });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => child.kill(signal));
  await waitHealthy(settings, child);
  log(`Temporal dev server ready.\n  gRPC address: ${settings.address}\n  Web UI:       ${settings.uiUrl}`);
  log(`  State:        ${paths.db}\nPress Ctrl+C to stop.`);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 0)));
}

/** Stops a dev server that `ensureDevServer` started in the background. */
export async function stopBackgroundServer(settings: Settings, log: (line: string) => void): Promise<void> {
  const paths = devServerPaths(settings.home);
  const pid = Number(await readFile(paths.pid, 'utf8').catch(() => ''));
  if (!pid) {
    log('No background dev server was started from this folder.');
    return;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    log(`The dev server (pid ${pid}) is not running.`);
    await rm(paths.pid, { force: true });
    return;
  }
  for (let i = 0; i < 50 && (await serverAnswers(settings.address, 500)); i++) await sleep(200);
  await rm(paths.pid, { force: true });
  log(`Stopped the dev server (pid ${pid}).`);
}
