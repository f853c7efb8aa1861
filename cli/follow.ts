/**
 * Following a run to its end from the command line: its progress from the `progress` query, and its
 * result, waiting through a Temporal server that is briefly away (a dev server that crashed and was
 * restarted keeps its state, so the run goes on where it was).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import type { RunReport } from '../common/report';
import type { Progress } from '../common/types';
import { progressQuery, type weeklyLoad } from '../workflows';
import { renderProgress } from './progress';

/** How long a following command waits for a server that stopped answering before it gives up. */
export const OUTAGE_BUDGET_MS = 5 * 60_000;

const UNAVAILABLE = 14;
const DEADLINE_EXCEEDED = 4;
const NO_ANSWER = /ECONNREFUSED|ECONNRESET|UNAVAILABLE|No connection established|Connection dropped/i;

/** True for errors that mean "the server did not answer", not "the server said no". */
export function isConnectionError(err: unknown): boolean {
  for (let e = err; e instanceof Error || (typeof e === 'object' && e !== null); e = (e as { cause?: unknown }).cause) {
    const code = (e as { code?: unknown }).code;
    if (code === UNAVAILABLE || code === DEADLINE_EXCEEDED) return true;
    if (NO_ANSWER.test(String((e as Error).message))) return true;
  }
  return false;
}

/** The run's result, retrying while the server does not answer (backoff up to 5 s, for up to `budgetMs` in a row). */
async function resultThroughOutages(
  handle: WorkflowHandle<typeof weeklyLoad>,
  address: string,
  log: (l: string) => void,
  budgetMs: number,
): Promise<RunReport> {
  let lostAt: number | undefined;
  let delay = 250;
  for (;;) {
    try {
      return await handle.result();
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      if (lostAt === undefined) {
        lostAt = Date.now();
        const why = (err as Error).message;
        log(
          `Lost the Temporal server at ${address} (${why}): retrying for up to ${budgetMs / 60_000} min; the run itself is kept.`,
        );
      }
      if (Date.now() - lostAt > budgetMs) {
        throw new Error(
          `The Temporal server at ${address} did not answer for ${budgetMs / 60_000} min. ` +
            'The run is kept on the server: once it is back, run the same command again to follow it ' +
            '(and host a worker if none polls).',
          { cause: err },
        );
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
      // Back? Then a later outage gets a budget of its own.
      if (
        await handle.describe().then(
          () => true,
          () => false,
        )
      ) {
        const seconds = Math.round((Date.now() - lostAt) / 1000);
        log(`The Temporal server at ${address} answers again after ${seconds} s; following the run.`);
        lostAt = undefined;
        delay = 250;
      }
    }
  }
}

/** Shows the run's progress (one line per change, or one live line on a terminal) until it ends; returns its report. */
export async function followRun(
  handle: WorkflowHandle<typeof weeklyLoad>,
  address: string,
  log: (l: string) => void,
  budgetMs = OUTAGE_BUDGET_MS,
): Promise<RunReport> {
  let last = '';
  const show = async () => {
    const line = renderProgress(await handle.query(progressQuery));
    if (line === last) return;
    last = line;
    if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
    else log(line);
  };
  // One query at a time, and none left in flight when the run ends: the worker and the
  // connection close right after, and a query still out would fail on a closed channel.
  let finished = false;
  const result = resultThroughOutages(handle, address, log, budgetMs).finally(() => {
    finished = true;
  });
  while (!finished) {
    await show().catch(() => undefined);
    await Promise.race([result.catch(() => undefined), sleep(1_000)]);
  }
  const report = await result;
  // The last line from the report: a query to a closed run is answered by a worker replaying its
  // history, which cost up to 1.5 s of the command's wait.
  const line = renderProgress(finalProgress(report));
  if (line !== last) {
    if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
    else log(line);
  }
  if (process.stderr.isTTY) process.stderr.write('\n');
  return report;
}

/** A finished run's progress, as its `progress` query answers it (cancelled datasets are in no count). */
export function finalProgress(report: RunReport): Progress {
  const t = report.totals;
  return {
    phase: 'done',
    total: t.datasets,
    pending: 0,
    running: 0,
    succeeded: t.succeeded,
    failed: t.failed,
    late: t.late,
    skipped: t.skipped,
  };
}
