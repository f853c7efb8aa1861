/**
 * Faults of the output side: a full disk, a quota, a read-only or forbidden output folder. Polars
 * reports them as text ("No space left on device (os error 28)"), Node with `err.code`; both become
 * one retryable failure, `OutputUnwritable`, that names the path and the cause. They are never
 * blamed on an input, and they are retried per the stage's policy: space may be freed meanwhile.
 */
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';

export const OUTPUT_UNWRITABLE = 'OutputUnwritable';

interface Fault {
  /** Linux errno (polars says "os error N"); macOS differs only for EDQUOT (69). */
  errno: number[];
  /** How the OS words it, lower case: what polars and Rust put in their messages. */
  text: string;
  advice: string;
}

const FAULTS = {
  ENOSPC: {
    errno: [28],
    text: 'no space left on device',
    advice: 'free space on that disk, or point output.root at a bigger one',
  },
  EDQUOT: {
    errno: [122, 69],
    text: 'disk quota exceeded',
    advice: "raise the worker user's quota, or free space under output.root",
  },
  EROFS: {
    errno: [30],
    text: 'read-only file system',
    advice: 'mount it read-write, or point output.root at a writable folder',
  },
  EACCES: {
    errno: [13],
    text: 'permission denied',
    advice: "give the worker's user write permission there, or point output.root elsewhere",
  },
} satisfies Record<string, Fault>;

export type OutputFault = keyof typeof FAULTS;

function codeOf(err: unknown): OutputFault | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in FAULTS) return code as OutputFault;
  const message = (err instanceof Error ? err.message : String(err)).toLowerCase();
  // "(os error 28)" from polars' IO errors; "Os { code: 30, kind: ... }" from a Rust panic message.
  const errno = Number(/os error (\d+)/.exec(message)?.[1] ?? /os \{ code: (\d+)/.exec(message)?.[1] ?? NaN);
  const entries = Object.entries(FAULTS) as [OutputFault, Fault][];
  const byErrno = entries.find(([, f]) => f.errno.includes(errno));
  return (byErrno ?? entries.find(([, f]) => message.includes(f.text)))?.[0];
}

/** Which output fault an error is, looking through its causes; undefined for anything else. */
export function outputFaultOf(err: unknown): OutputFault | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof ApplicationFailure && e.type === OUTPUT_UNWRITABLE) {
      return (e.details?.[0] as { fault?: OutputFault } | undefined)?.fault;
    }
    const code = codeOf(e);
    if (code) return code;
  }
  return undefined;
}

export function isOutputUnwritable(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === OUTPUT_UNWRITABLE;
}

/** The OutputUnwritable failure for an error writing `target`, or undefined when it is no output fault. */
export function outputUnwritable(target: string, err: unknown): ApplicationFailure | undefined {
  if (isOutputUnwritable(err)) return err as ApplicationFailure;
  const fault = outputFaultOf(err);
  if (!fault) return undefined;
  const { text, advice } = FAULTS[fault];
  return ApplicationFailure.create({
    message:
      `Cannot write output ${target}: ${text} (${fault}). To fix: ${advice}; ` +
      'the stage is retried per its retry policy.',
    type: OUTPUT_UNWRITABLE,
    nonRetryable: false,
    details: [{ fault, path: target }],
  });
}

/** Runs an output write; an output fault becomes OutputUnwritable naming `target`, anything else passes. */
export async function writingOutput<T>(target: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw outputUnwritable(target, err) ?? err;
  }
}

/**
 * `mkdir -p` for an output folder. Node reports ENOENT when a parent cannot be created on a
 * read-only file system; the non-recursive mkdir of the first missing folder says why.
 */
export async function makeOutputDir(dir: string): Promise<void> {
  await writingOutput(dir, async () => {
    try {
      await mkdir(dir, { recursive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const exists = (p: string) =>
        stat(p).then(
          () => true,
          () => false,
        );
      let missing = dir;
      while (path.dirname(missing) !== missing && !(await exists(path.dirname(missing)))) {
        missing = path.dirname(missing);
      }
      await mkdir(missing); // throws the real cause (EROFS, EACCES); if it succeeds, the race is gone
      await mkdir(dir, { recursive: true });
    }
  });
}
