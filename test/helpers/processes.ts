/**
 * Real processes for the fault suite: `tributary worker` processes that can be killed, and the
 * ledger their stage attempts write. Dev servers live in ./devServer (re-exported here).
 */
import { existsSync, readFileSync } from 'node:fs';
import type { LedgerEntry } from '../../activities/ledger';
import { spawnTributary, type Env, type TributaryProcess } from './cli';
import { waitFor } from './devServer';

export { DevServer, freePort, waitFor } from './devServer';

/** A `tributary worker` OS process with its own environment; its output is kept for diagnosis. */
export class WorkerProcess {
  private constructor(private readonly process: TributaryProcess) {}

  static async start(env: Env, args: string[] = []): Promise<WorkerProcess> {
    const worker = new WorkerProcess(spawnTributary(['worker', ...args], { TRIBUTARY_LOG_LEVEL: 'WARN', ...env }));
    await waitFor(
      'the worker to start polling',
      () => worker.output.includes('Worker polling') || !worker.process.running,
      60_000,
    );
    if (!worker.process.running)
      throw new Error(`The worker exited with code ${worker.child.exitCode}:\n${worker.output}`);
    return worker;
  }

  get child() {
    return this.process.child;
  }

  /** The last 20,000 characters it wrote, stdout and stderr together. */
  get output(): string {
    return this.process.output.slice(-20_000);
  }

  get pid(): number {
    return this.process.pid;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.process.kill(signal);
  }

  async exited(): Promise<void> {
    await this.process.exit;
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
