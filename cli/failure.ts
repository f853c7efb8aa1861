/**
 * Why a command failed, in words a user can act on: the root cause of a Temporal failure chain
 * (type, message, dataset, stage) and what to do next. It reads the failure the server recorded,
 * so the text is the same whichever worker ran the run. Also: a spec too big to start a run with
 * is refused before anything starts, with its size and the limit.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  ChildWorkflowFailure,
  ServiceError,
  TimeoutFailure,
  TemporalFailure,
  WorkflowFailedError,
} from '@temporalio/client';
import { InvalidSpecError } from '../pipeline/schema';

/** Temporal's default limit on one payload (the server's `limit.blobSize.error`): a run's input must fit. */
export const PAYLOAD_LIMIT_BYTES = 2 * 1024 * 1024;

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Refuses, before anything starts, a spec whose run input would exceed Temporal's payload limit. */
export function assertSpecFits(spec: unknown): void {
  const bytes = Buffer.byteLength(JSON.stringify(spec));
  if (bytes <= PAYLOAD_LIMIT_BYTES) return;
  throw new InvalidSpecError([
    `(spec): is ${mb(bytes)}; a run carries its spec as its input, and Temporal refuses inputs over ` +
      `${mb(PAYLOAD_LIMIT_BYTES)} (its default payload limit). ` +
      'Select datasets with datasets.glob rather than a long datasets.list.',
  ]);
}

/** A failure of a run this command started or followed: its id and page, for the advice. */
export class RunFailure extends Error {
  constructor(
    readonly workflowId: string,
    readonly url: string,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
  }
}

/** Wraps whatever a followed run rejects with, so the explanation can name the run. */
export const inRun =
  (workflowId: string, url: string) =>
  (err: unknown): never => {
    throw new RunFailure(workflowId, url, err);
  };

/** Activity types as the stages users know them (README, report). */
const STAGE_OF: Record<string, string> = {
  prepareRun: 'planning (resolve)',
  readDataset: 'read',
  readReference: 'read (reference data)',
  computeMetrics: 'compute',
  processBatch: 'compute (batch)',
  publishOutputs: 'write',
  findUnchanged: 'write',
  discardStaging: 'write',
  writeReport: 'report',
  saveSummaries: 'report',
};

const FIX_INPUT = 'Fix or replace the input file named above, then re-run only what failed: tributary rerun {id}';

/** What to do, by failure type. `{id}` is the run's workflow id. */
const ADVICE: Record<string, string> = {
  OutputUnwritable:
    'Make the output root writable (free space, a writable mount, permissions) as the message says, ' +
    'then run the same command again: datasets already published are skipped as unchanged.',
  InputChanged:
    'An input was being rewritten while the run read it. Let its producer finish, then: ' + 'tributary rerun {id}',
  UnreadableParquet: FIX_INPUT,
  SchemaMismatch: FIX_INPUT,
  NullValues: FIX_INPUT,
  FileNotFound: FIX_INPUT,
  DuplicateKeys: FIX_INPUT,
  InvalidSpec: 'Fix the spec as listed, then run again.',
  NoDatasets: 'Check dataRoot and datasets in the spec; tributary doctor <spec> shows what they match.',
  PathOutsideDataRoot: 'Keep every input under dataRoot (or move dataRoot up), then run again.',
  RunFailed:
    'The spec says onFailure: failFast, so the first failed dataset stopped the run. ' +
    'Fix it, then: tributary rerun {id}',
  TimeoutFailure:
    'The stage ran out of time or its worker stopped answering (a crash, an out-of-memory kill, a hang) ' +
    'more often than its retry policy allows. Check the workers (tributary doctor) and their logs, ' +
    'then: tributary rerun {id}',
};

interface RootCause {
  type: string;
  message: string;
  stage?: string;
  dataset?: string;
  attempts?: number;
}

interface DatasetError {
  dataset: string;
  status: string;
  error?: { stage: string; type: string; message: string };
}

/** Failures that only wrap the one that says what went wrong. */
const isWrapper = (e: unknown) =>
  e instanceof WorkflowFailedError ||
  e instanceof ActivityFailure ||
  e instanceof ChildWorkflowFailure ||
  e instanceof RunFailure;

const TIMEOUTS: Record<number, string> = {
  1: 'start-to-close',
  2: 'schedule-to-start',
  3: 'schedule-to-close',
  4: 'heartbeat',
};

/** The innermost failure: its type, message and the attempt its activity recorded. */
function innermost(e: unknown): RootCause {
  if (e instanceof ApplicationFailure) {
    const recorded = (e.details ?? []).find((d) => typeof (d as { attempt?: unknown })?.attempt === 'number');
    const attempts = (recorded as { attempt: number } | undefined)?.attempt;
    return { type: e.type ?? 'Error', message: e.message, ...(attempts ? { attempts } : {}) };
  }
  if (e instanceof TimeoutFailure) {
    return { type: 'TimeoutFailure', message: `${e.message} (${TIMEOUTS[Number(e.timeoutType)] ?? 'a'} timeout)` };
  }
  return { type: e instanceof TemporalFailure ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) };
}

/**
 * Walks the failure chain down to what went wrong, noting on the way the stage (the activity) and
 * the dataset (the child run). A failed dataset's or failFast run's summary, carried in the details,
 * says it more precisely.
 */
function rootCause(err: unknown): RootCause {
  const found: Partial<RootCause> = {};
  let e: unknown = err;
  for (let depth = 0; e && depth < 20; depth++) {
    if (e instanceof ActivityFailure) found.stage ??= STAGE_OF[e.activityType] ?? e.activityType;
    if (e instanceof ChildWorkflowFailure) found.dataset ??= e.execution.workflowId?.split('/').pop();
    const details = e instanceof ApplicationFailure ? (e.details?.[0] as Record<string, unknown> | undefined) : {};
    if (e instanceof ApplicationFailure && e.type === 'DatasetFailed' && details?.error) {
      const { stage, type, message } = details.error as NonNullable<DatasetError['error']>;
      return { ...found, dataset: String(details.dataset), stage, type, message };
    }
    if (e instanceof ApplicationFailure && e.type === 'RunFailed' && Array.isArray(details?.datasets)) {
      const first = (details.datasets as DatasetError[]).find((d) => d.status === 'failed' && d.error);
      if (first?.error) {
        const stage = `${first.error.stage} (${first.error.type})`;
        return { type: 'RunFailed', message: e.message, dataset: first.dataset, stage };
      }
    }
    const cause = (e as { cause?: unknown }).cause;
    if (!cause || !isWrapper(e)) return { ...found, ...innermost(e) };
    e = cause;
  }
  return { type: 'Error', message: String(err), ...found };
}

/** The server refused a request as too large (a 5 MB spec): the gRPC or blob-size message in the chain. */
function tooLarge(err: unknown): string | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const refusal = /larger than max|exceeds limit|blob.*size|message too large|RESOURCE_EXHAUSTED/i;
    if (refusal.test(e.message)) return e.message;
  }
  return undefined;
}

/** The lines to print for a failed command; never only "Workflow execution failed". */
export function explainFailure(err: unknown): string {
  const run = err instanceof RunFailure ? err : undefined;
  const id = run?.workflowId ?? '<workflow-id>';
  const refused = err instanceof ServiceError || run?.cause instanceof ServiceError ? tooLarge(err) : undefined;
  if (refused) {
    return (
      `The Temporal server refused to start the run: its input is too large (${refused}).\n` +
      `Temporal's default limit is ${mb(PAYLOAD_LIMIT_BYTES)} per payload; the run's input is its spec. ` +
      'Select datasets with datasets.glob rather than a long datasets.list. Nothing was started.'
    );
  }
  if (!(run?.cause instanceof WorkflowFailedError) && !(err instanceof WorkflowFailedError)) {
    const e = run?.cause ?? err;
    const inner = (e as { cause?: unknown })?.cause;
    const why = inner instanceof Error && inner.message !== (e as Error).message ? `: ${inner.message}` : '';
    return `${e instanceof Error ? e.message : String(e)}${why}`;
  }
  const cause = rootCause(err);
  const lines = [`The run${run ? ` ${run.workflowId}` : ''} failed: ${cause.type}: ${cause.message}`];
  if (cause.dataset) lines.push(`  Dataset: ${cause.dataset}`);
  if (cause.stage) lines.push(`  Stage: ${cause.stage}${cause.attempts ? `, attempt ${cause.attempts}` : ''}`);
  if (cause.stage === 'report') {
    lines.push(
      "  The week's snapshot and the run report could not be written: the previous snapshot stays current, " +
        'and this run has no report; its datasets are in its history.',
    );
  }
  const advice = ADVICE[cause.type] ?? "The full failure chain is in the run's history.";
  lines.push(`What to do: ${advice.replaceAll('{id}', id)}`);
  if (run) lines.push(`Web UI: ${run.url}`);
  return lines.join('\n');
}
