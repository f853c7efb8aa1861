/**
 * `tributary gc [--week W] [--dry-run]`: removes what runs left under the output root that no
 * committed snapshot lists, each item found through a record, never by its name alone: files that
 * only older manifest generations list (a crash before the cleanup after a commit), and files named
 * by pending records (published, never committed) whose run Temporal says is over. A record of a
 * run still going, or of a run the server cannot tell about, is kept and listed.
 */
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { cleanupWeek, type Cleanup } from '../activities/commit';
import { checkWeek, InvalidWeekError, weekProblem } from '../common/week';
import { connectionProblem } from '../runtime/connection';
import { joinPath, storageFor } from '../storage';
import type { Settings } from '../runtime/settings';
import { InvalidSpecError } from '../pipeline/schema';
import { connectClient } from './client';
import { outputRootOf, ROOT_FLAGS } from './outputs';

type Log = (line: string) => void;

/** The weeks under `root` (a folder or an s3:// prefix) with a manifest folder or pending records. */
async function weeksUnder(root: string): Promise<string[]> {
  const storage = storageFor(root);
  const isWeek = (name: string) => weekProblem(name) === undefined;
  const withManifests: string[] = [];
  for (const name of (await storage.children(root)).filter(isWeek)) {
    if ((await storage.children(joinPath(root, name))).includes('_manifests')) withManifests.push(name);
  }
  const pending = (await storage.children(joinPath(root, '.pending'))).filter(isWeek);
  return [...new Set([...withManifests, ...pending])].sort();
}

/** Whether a workflow is over, per the server; undefined when it cannot say. */
async function closedPer(client: Client, workflowId: string): Promise<boolean | undefined> {
  try {
    const { status } = await client.workflow.getHandle(workflowId).describe();
    return status.code !== temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  } catch (err) {
    // NOT_FOUND: gone from the server (past its retention), so long over.
    if ((err as { name?: string }).name === 'WorkflowNotFoundError' || (err as { code?: number }).code === 5)
      return true;
    return undefined;
  }
}

export async function gc(settings: Settings, argv: string[], log: Log): Promise<number> {
  const usage = 'Usage: tributary gc [--spec FILE | --root DIR] [--week YYYY-MM-DD] [--dry-run]';
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...ROOT_FLAGS,
      week: { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
  });
  if (positionals.length > 0) {
    log(usage);
    return 2;
  }
  let root: string;
  let weeks: string[];
  try {
    root = await outputRootOf(settings, values);
    weeks = values.week !== undefined ? [checkWeek('--week', values.week)] : await weeksUnder(root);
  } catch (err) {
    if (err instanceof InvalidWeekError || err instanceof InvalidSpecError) {
      const problems = err instanceof InvalidSpecError ? `:\n${err.problems.map((p) => `  - ${p}`).join('\n')}` : '';
      log(`${err.message}${problems}\n${usage}`);
      return 2;
    }
    throw err;
  }
  const dryRun = values['dry-run'] === true;
  // Pending records of other runs go only when the server says their run is over.
  const problem = await connectionProblem(settings, 2_000);
  const connected = problem === undefined ? await connectClient(settings).catch(() => undefined) : undefined;
  if (!connected)
    log(
      `No Temporal server answers at ${settings.address}: files of runs that never committed are kept ` +
        '(whether their run is over cannot be told). Start it or set TEMPORAL_ADDRESS to remove them too.',
    );
  const unknown = new Set<string>();
  const closed = async (workflowId: string) => {
    const over = connected ? await closedPer(connected.client, workflowId) : undefined;
    if (over === undefined) unknown.add(workflowId);
    return over === true;
  };
  const verb = dryRun ? 'Would remove' : 'Removed';
  const total: Cleanup = { files: [], manifests: [], pending: [], kept: [] };
  try {
    for (const week of weeks) {
      const done = await cleanupWeek(root, week, undefined, undefined, { dryRun, closed });
      for (const key of ['files', 'manifests', 'pending', 'kept'] as const)
        (total[key] as unknown[]).push(...done[key]);
    }
  } finally {
    await connected?.close();
  }
  for (const f of total.files) process.stdout.write(`${verb} ${f}\n`);
  for (const f of [...total.manifests, ...total.pending]) process.stdout.write(`${verb} ${f}\n`);
  for (const k of total.kept)
    process.stdout.write(
      `Kept ${k.record}: ${unknown.has(k.workflowId) ? 'cannot tell whether' : 'still running:'} ${k.workflowId}${unknown.has(k.workflowId) ? ' is over' : ''}\n`,
    );
  log(
    `${dryRun ? 'Dry run: ' : ''}${weeks.length} week(s) under ${root}: ${total.files.length} file(s), ` +
      `${total.manifests.length} older manifest(s) and ${total.pending.length} pending record(s) ${dryRun ? 'to remove' : 'removed'}` +
      `; ${total.kept.length} pending record(s) kept.`,
  );
  return 0;
}
