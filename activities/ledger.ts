/**
 * An append-only record of stage executions (one JSON line per start and per finish), for audits
 * and for the fault tests that prove no completed stage ran again after a crash. Off unless a
 * path is configured (TRIBUTARY_LEDGER for worker processes).
 */
import { appendFile } from 'node:fs/promises';

export interface LedgerEntry {
  event: 'start' | 'done' | 'failed';
  stage: string;
  dataset: string;
  attempt: number;
  workflowId: string;
  pid: number;
  at: string;
}

export class Ledger {
  constructor(readonly file: string) {}

  async append(entry: Omit<LedgerEntry, 'pid' | 'at'>): Promise<void> {
    // One short write with O_APPEND: lines from concurrent activities and processes do not interleave.
    await appendFile(this.file, `${JSON.stringify({ ...entry, pid: process.pid, at: new Date().toISOString() })}\n`);
  }
}
