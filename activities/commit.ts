/**
 * The commit protocol of a week's outputs (docs/outputs.md, "Committed snapshots"):
 *   1. publish (per dataset, activities/publish.ts): a pending record naming the files is written,
 *      then the files land in the run's own folders (`…/run-<run id>/<table>.parquet`); nothing
 *      current changes;
 *   2. commit (once per run, when it reports): the next manifest generation is created only if it
 *      does not exist yet, in one write (here a hard link of a finished file, on object storage a
 *      conditional put): from that instant the new snapshot is current, all of it;
 *   3. clean up: files only older generations list are removed, then those generations; the run's
 *      pending records go (with the files of any that were not committed).
 * A crash between any two steps leaves the previous snapshot or the new one current, never a mix;
 * what it leaves behind is named by an older manifest or a pending record, and removed by the
 * next commit of the week or by `tributary gc`, never guessed from names.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import {
  generationOf,
  manifestName,
  manifestProblems,
  nextManifest,
  supersededFiles,
  filesOf,
  type CommitFacts,
  type ManifestTable,
  type WeekManifest,
} from '../common/manifest';
import { inside, manifestDir, pendingDir } from '../common/paths';
import { mapBounded } from '../common/window';
import { deadWriter, isObjectStorage, joinPath, storageFor, type ObjectInfo } from '../storage';

/** Called at each step of publish and commit: tests kill the worker there (workers/testHooks.ts). */
export type StepHook = (step: string) => void | Promise<void>;
const noStep: StepHook = () => undefined;

/** SHA-256 of a file or object: a local file is streamed (outputs can be large; the event loop keeps turning). */
export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  if (isObjectStorage(file)) {
    const body = await storageFor(file).read(file);
    if (!body) throw ApplicationFailure.retryable(`Published output ${file} is missing`, 'StagingMissing');
    return hash.update(body).digest('hex');
  }
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A file's path relative to the output root, '/'-separated (the manifest's form, the same on object storage). */
export function relativeToRoot(outputRoot: string, file: string): string {
  const where = inside(outputRoot, file, 'output root', { what: 'Output file', setting: 'the manifest' });
  const base = inside(outputRoot, '.', 'output root', { what: 'Output root', setting: 'the manifest' });
  return path.relative(base, where).split(path.sep).join('/');
}

/** The last part of a path or key. */
const nameOf = (p: string) => p.slice(p.lastIndexOf('/') + 1);
const absolute = (outputRoot: string, relative: string): string =>
  inside(outputRoot, relative, 'output root', { what: 'Manifest file', setting: 'the manifest' });

// ---------------------------------------------------------------------------------------------
// Pending records: the files a publish put in place before any manifest lists them.

export interface PendingRecord {
  week: string;
  dataset: string;
  /** The run that published them and is to commit them (its workflow id; not a dataset's child's). */
  workflowId: string;
  runId: string;
  /** Relative to the output root. */
  files: string[];
  writtenAt: string;
  /**
   * Once every file is in place and hashed: the outputs and their key. A later run of the week with
   * the same key may then take them as they are (activities/fingerprints.ts), even if this run
   * never committed (its report failed, it was terminated).
   */
  key?: string;
  outputs?: ManifestTable[];
}

/** `<output root>/.pending/<week>/<dataset>/<run id>.json`: a dataset's records in a folder of their own. */
const pendingFile = (outputRoot: string, week: string, dataset: string, runId: string) =>
  joinPath(pendingDir(outputRoot, week), encodeURIComponent(dataset), `${runId}.json`);

/** Written before the first file is moved into place: whatever a crash leaves is named here. */
export async function writePending(outputRoot: string, record: PendingRecord): Promise<void> {
  const file = pendingFile(outputRoot, record.week, record.dataset, record.runId);
  await storageFor(file).write(file, `${JSON.stringify(record, null, 2)}\n`);
}

/**
 * One record for all the datasets one attempt of a batch publishes, in `.pending/<week>/@batches/`
 * ("@" is never in an encoded dataset name): a batch of 250 small datasets writes one record, not
 * 250. `attempt` keeps a retry from writing over the record of the files an earlier attempt moved.
 */
export async function writeBatchPending(
  outputRoot: string,
  record: Omit<PendingRecord, 'dataset'>,
  batch: { first: string; attempt: number },
): Promise<void> {
  const name = `${record.runId}-${encodeURIComponent(batch.first)}-a${batch.attempt}.json`;
  const file = joinPath(pendingDir(outputRoot, record.week), '@batches', name);
  await storageFor(file).write(file, `${JSON.stringify({ ...record, dataset: '@batch' }, null, 2)}\n`);
}

/** The week's pending records (of one dataset, when given). */
export async function pendingRecords(
  outputRoot: string,
  week: string,
  dataset?: string,
): Promise<{ file: string; record: PendingRecord }[]> {
  // One dataset's: its own folder only (a lookup per dataset must not list every dataset's).
  const all = pendingDir(outputRoot, week);
  const dir = dataset === undefined ? all : joinPath(all, encodeURIComponent(dataset));
  const storage = storageFor(dir);
  const records: { file: string; record: PendingRecord }[] = [];
  const listed = (await storage.list(dir)).map((o) => o.path);
  for (const file of listed.filter((f) => nameOf(f).endsWith('.json'))) {
    const text = (await storage.read(file).catch(() => undefined))?.toString('utf8');
    if (text === undefined) continue; // removed meanwhile
    try {
      records.push({ file, record: JSON.parse(text) as PendingRecord });
    } catch {
      // Written atomically, so never half a record: a broken one is someone else's file. Left alone.
    }
  }
  return records;
}

// ---------------------------------------------------------------------------------------------
// Reading the current snapshot.

export interface CurrentManifest {
  manifest?: WeekManifest;
  /** Its file. */
  file?: string;
  /** Older generations still on disk (a crash before their cleanup). */
  older: number[];
}

/** The week's current snapshot: the highest generation in `<output root>/<week>/_manifests`. */
export async function currentManifest(outputRoot: string, week: string): Promise<CurrentManifest> {
  const dir = manifestDir(outputRoot, week);
  const storage = storageFor(dir);
  const names = (await storage.list(dir)).map((o) => nameOf(o.path));
  const generations = names
    .map(generationOf)
    .filter((g): g is number => g !== undefined)
    .sort((a, b) => a - b);
  const newest = generations.pop();
  if (newest === undefined) return { older: [] };
  const file = joinPath(dir, manifestName(newest));
  const text = await storage.read(file);
  if (text === undefined) return currentManifest(outputRoot, week); // cleaned up meanwhile
  let parsed: unknown;
  try {
    parsed = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw ApplicationFailure.nonRetryable(
      `Manifest ${file} is not readable JSON (${(err as Error).message}): it is the week's current snapshot, so ` +
        'nothing is committed over it; restore it from a backup or remove it to fall back to the generation before',
      'ManifestUnreadable',
    );
  }
  const problems = manifestProblems(parsed);
  if (problems.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `Manifest ${file} is not a Tributary manifest: ${problems.join('; ')}`,
      'ManifestUnreadable',
    );
  }
  return { manifest: parsed as WeekManifest, file, older: generations };
}

/** A dataset's committed entry with absolute paths: what `findUnchanged` and readers use. */
export const committedPath = absolute;

// ---------------------------------------------------------------------------------------------
// Commit.

/** What is wrong with `file` against the size a manifest gives it ("is missing", "has N bytes, not M"), or undefined. */
export async function notInPlace(file: string, bytes: number): Promise<string | undefined> {
  const size = (await storageFor(file).stat(file))?.size;
  if (size === undefined) return 'is missing';
  return size === bytes ? undefined : `has ${size} bytes, not ${bytes}`;
}

/** Every file the snapshot is about to list must be there, whole: a commit never points at a missing file. */
async function checkFilesInPlace(outputRoot: string, manifest: WeekManifest): Promise<void> {
  const tables = manifest.datasets.flatMap((d) => d.tables.map((t) => ({ d, t })));
  // Many at once: 10,000 datasets are 30,000 files, and each check is a round trip on object storage.
  await mapBounded(tables, CHECKS_AT_ONCE, async ({ d, t }) => {
    const file = absolute(outputRoot, t.path);
    const found = await notInPlace(file, t.bytes);
    if (found) {
      throw ApplicationFailure.nonRetryable(
        `Cannot commit week ${manifest.week}: dataset ${d.dataset}, table ${t.table}: ${file} ${found}. ` +
          'The previous snapshot stays current; run the week again.',
        'CommitFileMissing',
      );
    }
  });
}

/** Files checked, or removed, at once. */
const CHECKS_AT_ONCE = 16;

export type CommitInput = Omit<CommitFacts, 'relative' | 'committedAt'>;

/**
 * Commits the run's snapshot of the week, then cleans up. Idempotent: a retry after the commit
 * (the worker died before reporting it) finds its own manifest current and only cleans up.
 * Another run committing the same week meanwhile is not overwritten: the generation is taken
 * again and the snapshot rebuilt on top of the newer one.
 */
export async function commitWeek(
  outputRoot: string,
  input: CommitInput,
  step: StepHook = noStep,
): Promise<{ manifest: WeekManifest; file: string }> {
  const dir = manifestDir(outputRoot, input.week);
  for (let tries = 0; ; tries++) {
    const current = await currentManifest(outputRoot, input.week);
    // Committed already (this is a retry), even if another run has committed on top since.
    const commits = current.manifest ? [current.manifest.run, ...(current.manifest.earlier ?? [])] : [];
    if (commits.some((c) => c.workflowId === input.workflowId && c.runId === input.runId)) {
      await cleanupWeek(outputRoot, input.week, input.workflowId, step);
      return { manifest: current.manifest!, file: current.file! };
    }
    const facts: CommitFacts = {
      ...input,
      committedAt: new Date().toISOString(),
      relative: (f) => relativeToRoot(outputRoot, f),
    };
    const next = nextManifest(current.manifest, facts);
    await checkFilesInPlace(outputRoot, next);
    await step('commit:before-manifest');
    const file = joinPath(dir, manifestName(next.generation));
    const written = () => step('commit:manifest-written');
    if (
      await storageFor(file).createExclusive(file, `${JSON.stringify(next, null, 2)}\n`, {
        owner: input.runId,
        written,
      })
    ) {
      await step('commit:manifest-committed');
      await cleanupWeek(outputRoot, input.week, input.workflowId, step);
      return { manifest: next, file };
    }
    if (tries >= 20) {
      throw ApplicationFailure.retryable(
        `Could not commit week ${input.week}: other runs kept committing it (generation ${next.generation} taken)`,
        'CommitContended',
      );
    }
  }
}

/** A temporary file older than this is a write that died, not one under way. */
const STALE_TMP_MS = 60 * 60 * 1000;

/** What a cleanup removed or would remove (gc --dry-run prints it). */
export interface Cleanup {
  files: string[];
  manifests: string[];
  pending: string[];
  /** Pending records kept: their run may still commit them. */
  kept: { record: string; workflowId: string }[];
}

/**
 * After a commit: the files that only older generations list, then those generations; the
 * pending records whose files are all current; and the pending records of this run (`own`: its
 * workflow id; an earlier execution of the same id is over, as only one runs at a time) or of runs
 * `closed` says are over, with their uncommitted files. Other pending records are left: their run
 * may still commit them.
 */
export async function cleanupWeek(
  outputRoot: string,
  week: string,
  own: string | undefined,
  step: StepHook = noStep,
  options: { dryRun?: boolean; closed?: (workflowId: string) => Promise<boolean> } = {},
): Promise<Cleanup> {
  const done: Cleanup = { files: [], manifests: [], pending: [], kept: [] };
  const current = await currentManifest(outputRoot, week);
  const dir = manifestDir(outputRoot, week);
  const storage = storageFor(dir);
  const root = inside(outputRoot, '.', 'output root', { what: 'Output root', setting: 'output.root' });
  const remove = async (file: string) => {
    if (!options.dryRun) await storage.remove(file, root);
    done.files.push(file);
    await step('cleanup:file-removed');
  };
  for (const generation of current.manifest ? current.older : []) {
    const file = joinPath(dir, manifestName(generation));
    const older = JSON.parse((await storage.read(file))?.toString('utf8') ?? 'null') as WeekManifest | null;
    if (older && manifestProblems(older).length === 0) {
      await mapBounded(supersededFiles(older, current.manifest!), CHECKS_AT_ONCE, (f) =>
        remove(absolute(outputRoot, f)),
      );
    }
    if (!options.dryRun) await storage.remove(file);
    done.manifests.push(file);
    await step('cleanup:manifest-removed');
  }
  const currentFiles = filesOf(current.manifest);
  await mapBounded(await pendingRecords(outputRoot, week), CHECKS_AT_ONCE, async ({ file, record }) => {
    const uncommitted = record.files.filter((f) => !currentFiles.has(f));
    const ours = own !== undefined && record.workflowId === own;
    if (uncommitted.length > 0 && !ours && !(await options.closed?.(record.workflowId))) {
      done.kept.push({ record: file, workflowId: record.workflowId });
      return;
    }
    for (const f of uncommitted) await remove(absolute(outputRoot, f));
    if (!options.dryRun) await storage.remove(file, root);
    done.pending.push(file);
    await step('cleanup:pending-removed');
  });
  // Temporary files of writes a crash cut short (never read: only whole names count): their writer
  // on this host is dead, or no retry has come back for them in STALE_TMP_MS.
  const stale = (o: ObjectInfo) =>
    nameOf(o.path).includes('.tmp-') &&
    (deadWriter(nameOf(o.path)) || Date.now() - (o.modifiedMs ?? Date.now()) > STALE_TMP_MS);
  for (const folder of [dir, pendingDir(outputRoot, week)]) {
    for (const o of (await storage.list(folder)).filter(stale)) {
      if (!options.dryRun) await storage.remove(o.path, root);
      done.files.push(o.path);
    }
  }
  return done;
}
