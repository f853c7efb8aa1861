/**
 * A worker's own settings: activity slots, shutdown grace, memory budget, reference cache and stage
 * ledger, read in this one place from `tributary worker`'s flags and the environment (a flag wins;
 * an empty value counts as unset), with their defaults. How to reach Temporal is runtime/settings.ts's.
 */
import { defaultMemoryBudget } from '../activities/admission';
import { DEFAULT_REFERENCE_CACHE_BYTES } from '../activities/referenceCache';
import { parseBytes } from '../common/bytes';
import { parseDuration } from '../pipeline/duration';

export interface WorkerSettings {
  /** Activities run at once (`--activities`, TRIBUTARY_WORKER_ACTIVITIES). Default 4. */
  maxConcurrentActivities: number;
  /** How long in-flight activities may run after a shutdown signal, ms (`--shutdown-grace`). Default 30 s. */
  shutdownGraceTime: number;
  /** Bytes compute attempts may hold at once (`--memory-budget`). Default: half the RAM or container limit. */
  memoryBudget: number;
  /** Bytes of reference data kept between activities (`--reference-cache`). Default 512 MiB; 0 keeps none. */
  referenceCacheBytes: number;
  /** Where a line per stage start and finish is appended (TRIBUTARY_LEDGER). Default: no ledger. */
  ledgerFile?: string;
  /**
   * How long a run's next workflow task waits for this worker, which holds the run in its cache, before
   * any worker may take it, ms (`--sticky-timeout`, TRIBUTARY_STICKY_TIMEOUT). Default 10 s, Temporal's.
   * After a crash this is the pause before a run moves on elsewhere; tests that kill workers shorten it.
   */
  stickyTimeout: number;
  /** Tests only (TRIBUTARY_TEST_KILL_AT, TRIBUTARY_TEST_KILL_MARKER): die at a step of publish or commit. */
  killAt?: { step: string; marker?: string };
}

/** The flags of `tributary worker` as given, and the variable each one stands for. */
const VARIABLES = {
  activities: 'TRIBUTARY_WORKER_ACTIVITIES',
  'shutdown-grace': 'TRIBUTARY_SHUTDOWN_GRACE',
  'memory-budget': 'TRIBUTARY_MEMORY_BUDGET',
  'reference-cache': 'TRIBUTARY_REFERENCE_CACHE_BYTES',
  'sticky-timeout': 'TRIBUTARY_STICKY_TIMEOUT',
} as const;
export type WorkerFlags = Partial<Record<keyof typeof VARIABLES, string>>;

/** A worker setting that is not a value of its kind; the message names the flag or variable. */
export class WorkerSettingsError extends Error {
  override name = 'WorkerSettingsError';
}

/** Slots, grace and sticky timeout when nothing sets them; memory and cache defaults live with what they bound (activities/). */
export const WORKER_DEFAULTS = {
  maxConcurrentActivities: 4,
  shutdownGraceTime: 30_000,
  stickyTimeout: 10_000,
} as const;

const wholeNumber = (text: string) => (Number.isInteger(Number(text)) && Number(text) >= 1 ? Number(text) : undefined);
const positive = (n: number | undefined) => (n !== undefined && n > 0 ? n : undefined);

export function loadWorkerSettings(flags: WorkerFlags = {}, env: NodeJS.ProcessEnv = process.env): WorkerSettings {
  type Parse<T> = (text: string) => T | undefined;
  const read = <T>(flag: keyof WorkerFlags, parse: Parse<T>, fallback: () => T, kind: string): T => {
    const [text, from] = flags[flag] ? [flags[flag], `--${flag}`] : [env[VARIABLES[flag]], VARIABLES[flag]];
    if (!text) return fallback();
    const value = parse(text);
    if (value === undefined) throw new WorkerSettingsError(`${from} must be ${kind}, got "${text}"`);
    return value;
  };
  const ledgerFile = env.TRIBUTARY_LEDGER;
  const killAt = env.TRIBUTARY_TEST_KILL_AT;
  const { maxConcurrentActivities: slots, shutdownGraceTime: grace, stickyTimeout: sticky } = WORKER_DEFAULTS;
  const cacheDefault = () => DEFAULT_REFERENCE_CACHE_BYTES;
  return {
    maxConcurrentActivities: read('activities', wholeNumber, () => slots, 'a whole number >= 1'),
    shutdownGraceTime: read('shutdown-grace', parseDuration, () => grace, 'a duration such as 30s or 2 minutes'),
    memoryBudget: read('memory-budget', (t) => positive(parseBytes(t)), defaultMemoryBudget, 'a size such as 2GiB'),
    // 0 keeps no reference data between activities (concurrent readers still share one load).
    referenceCacheBytes: read('reference-cache', parseBytes, cacheDefault, 'a size such as 512MiB'),
    stickyTimeout: read('sticky-timeout', parseDuration, () => sticky, 'a duration such as 10s'),
    ...(ledgerFile ? { ledgerFile } : {}),
    ...(killAt ? { killAt: { step: killAt, marker: env.TRIBUTARY_TEST_KILL_MARKER } } : {}),
  };
}
