/**
 * Records the workflow histories that `test/replay.test.ts` replays (the determinism guard).
 *
 *   npm run record-histories        (= npx tsx test/recordHistories.ts)
 *
 * Starts a real dev server, generates a small sample week into a temporary folder, runs real
 * workflows on a real worker, and saves the history of every parent and child execution as
 * `test/history_files/<name>.json` (the JSON format of the Temporal CLI and Web UI, written by
 * `historyToJSON`), plus `index.json` (file -> workflow id and type) and `README.md`.
 *
 * Re-record only after an intentional change to workflow code that is guarded by `patched()`, or
 * when a new scenario is added: re-recording after an unguarded change hides exactly the breakage
 * the replay test exists to catch.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile as writeText } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON, type History } from '@temporalio/common/lib/proto-utils';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { ActivityDeps } from '../activities';
import type { FaultHook } from '../activities/stage';
import type { RunReport } from '../common/report';
import { generateRetailWeek } from '../datagen';
import { TEST_WORKFLOWS_PATH } from './globalSetup';
import { temporalCliPath } from './helpers/devServer';
import { tempDir } from './helpers/parquet';
import { testActivities } from './helpers/testActivities';
import { specFor } from './helpers/weekly';
import type { ScanFilesResult } from './workflows/scanFiles';
import { createWorker } from '../workers/worker';

const noop = (): void => undefined;
const quiet = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };

export const HISTORY_DIR = path.resolve(__dirname, './history_files');
const SIZE = {
  regions: 2,
  stores: 4,
  products: 40,
  days: 7,
  seed: 5,
  week: '2026-11-16',
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};

/** One entry of `index.json`: what `test/replay.test.ts` needs to replay the file. */
export interface HistoryIndexEntry {
  workflowId: string;
  workflowType: string;
  /** The scenario the execution belongs to (see README.md). */
  scenario: string;
  /** What this execution is within its scenario. */
  role: string;
  events: number;
}

interface Recorded extends HistoryIndexEntry {
  file: string;
  json: string;
  history: History;
}

const SCENARIOS: Record<string, string> = {
  'weekly-ok': 'weeklyLoad over 2 regions, every dataset succeeds.',
  'weekly-dataset-fails':
    "weeklyLoad where one region's transactions.parquet is corrupt: that child fails at read (UnreadableParquet, not retried) and takes datasetPipeline's failure path (discardStaging, DatasetFailed); the parent reports 'partial'.",
  'weekly-compute-retried':
    'weeklyLoad where the compute activity of one region fails twice (injected transient fault) and succeeds on attempt 3.',
  'weekly-batched':
    'weeklyLoad with batching (one dataset per batch) and continueAsNewAfter 1: each run processes one batch with processBatch, then continues as new; both runs are recorded.',
  'scan-files': 'scanFiles over the 4 generated sales parquet files, at most 2 children at once.',
};

/**
 * `historyToJSON` of `@temporalio/common`, or the same conversion done with the protobufjs copy of
 * `@temporalio/proto` when the SDK's fails with "type must be a Type". That happens when npm gives
 * `@temporalio/common` and `@temporalio/proto` separate copies of protobufjs 8 (here because the
 * top-level slot holds protobufjs 7 for @grpc/proto-loader): protojson's `instanceof Type` check then
 * rejects the History type of the other copy. Same format either way (protobuf JSON, as written
 * by the Temporal CLI), and `historyFromJSON` reads it back.
 */
export function historyJSON(history: History): string {
  try {
    return historyToJSON(history);
  } catch (err) {
    if (!(err instanceof TypeError && err.message === 'type must be a Type')) throw err;
  }
  const fromProto = createRequire(require.resolve('@temporalio/proto'));
  const { toJson } = fromProto('protobufjs/ext/protojson') as { toJson(type: unknown, message: unknown): unknown };
  const root = fromProto('@temporalio/proto') as { lookupType(name: string): { fromObject(object: unknown): unknown } };
  const historyType = root.lookupType('temporal.api.history.v1.History');
  return JSON.stringify(toJson(historyType, historyType.fromObject(history)), null, 2);
}

/** `replay-weekly-ok/north` -> `weekly-ok.north.json` */
const fileFor = (workflowId: string) => `${workflowId.replace(/^replay-/, '').replaceAll('/', '.')}.json`;

async function record(
  env: TestWorkflowEnvironment,
  scenario: string,
  role: string,
  workflowId: string,
  runId?: string,
  file?: string,
): Promise<Recorded> {
  const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  const events = history.events ?? [];
  const workflowType = events[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name;
  if (!workflowType) throw new Error(`History of ${workflowId} does not start with WorkflowExecutionStarted`);
  return {
    file: file ?? fileFor(workflowId),
    json: historyJSON(history),
    history,
    workflowId,
    workflowType,
    scenario,
    role,
    events: events.length,
  };
}

/** The parent's history and every child it started (ids from the parent's own history). */
async function recordTree(env: TestWorkflowEnvironment, scenario: string, handle: WorkflowHandle): Promise<Recorded[]> {
  const parent = await record(env, scenario, 'parent', handle.workflowId);
  const { events } = await handle.fetchHistory();
  const children = (events ?? []).flatMap((e) => {
    const id = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    return id ? [id] : [];
  });
  const recorded = [parent];
  for (const child of children)
    recorded.push(await record(env, scenario, `child ${child.slice(handle.workflowId.length + 1)}`, child));
  return recorded;
}

// The test workflows (Tributary's own and scanFiles), as test/replay.test.ts replays them.
let bundle: ReturnType<typeof bundleWorkflowCode> | undefined;
const testBundle = () => (bundle ??= bundleWorkflowCode({ workflowsPath: TEST_WORKFLOWS_PATH, logger: quiet }));

async function withWorker<T>(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  deps: ActivityDeps,
  run: (worker: Worker) => Promise<T>,
): Promise<T> {
  const worker = await createWorker({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await testBundle(),
    activityDeps: deps,
    activities: testActivities,
  });
  return worker.runUntil(run(worker));
}

async function runWeekly(env: TestWorkflowEnvironment, scenario: string, spec: unknown, faults?: FaultHook) {
  const workflowId = `replay-${scenario}`;
  return withWorker(env, `record-${scenario}`, faults ? { faults } : {}, async () => {
    const handle = await env.client.workflow.start('weeklyLoad', {
      taskQueue: `record-${scenario}`,
      workflowId,
      args: [{ spec, week: SIZE.week }],
    });
    return { handle, report: (await handle.result()) as RunReport };
  });
}

function check(condition: boolean, scenario: string, what: string, actual: unknown): void {
  if (!condition)
    throw new Error(`Scenario ${scenario} did not take the intended path: ${what}; got ${JSON.stringify(actual)}`);
}

export async function recordHistories(log: (line: string) => void = console.log): Promise<Recorded[]> {
  const temps: string[] = [];
  const temp = async (prefix: string) => {
    const dir = await tempDir(prefix);
    temps.push(dir);
    return dir;
  };
  const recorded: Recorded[] = [];
  const data = await temp('tributary-record-data-');
  try {
    const manifest = await generateRetailWeek({ out: data, ...SIZE });
    const [first, second] = manifest.regions as [string, string];
    log(`sample data: ${data} (regions ${manifest.regions.join(', ')})`);
    const env = await TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: await temporalCliPath() } },
    });
    try {
      await recordScenarios(env, data, first, second, temp, recorded);
    } finally {
      await env.teardown();
    }
  } finally {
    await Promise.all(temps.map((dir) => rm(dir, { recursive: true, force: true })));
  }

  // The workflow code may have changed on disk while the worker ran (an editor, another engineer):
  // recorded histories must replay against the code as it is now, or they would fail the test.
  const fresh = await bundleWorkflowCode({ workflowsPath: TEST_WORKFLOWS_PATH, logger: quiet });
  const broken: string[] = [];
  let replayed = 0;
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: fresh, replayName: 'record-check' },
    recorded,
  )) {
    replayed += 1;
    if (result.error) broken.push(`${result.workflowId}: ${result.error.message}`);
  }
  if (broken.length > 0 || replayed !== recorded.length) {
    throw new Error(
      `The recorded histories do not replay against the workflow code now on disk (was workflows/, common/ or pipeline/ ` +
        `edited during the recording?). Nothing was written.\n${broken.join('\n')}`,
    );
  }

  // Everything recorded and checked: only now write, so a failed run leaves the old files as they were. Files
  // this script does not produce (e.g. kept histories of older code) and their index entries stay.
  await mkdir(HISTORY_DIR, { recursive: true });
  const indexFile = path.join(HISTORY_DIR, 'index.json');
  const previous = existsSync(indexFile)
    ? (JSON.parse(await readFile(indexFile, 'utf8')) as Record<string, HistoryIndexEntry>)
    : {};
  const index: Record<string, HistoryIndexEntry> = {};
  for (const { file, json, history: _history, ...entry } of recorded) {
    await writeText(path.join(HISTORY_DIR, file), `${json}\n`);
    index[file] = entry;
    log(
      `${file.padEnd(40)} ${entry.workflowType.padEnd(16)} ${String(entry.events).padStart(4)} events  ${entry.workflowId}`,
    );
  }
  for (const [file, entry] of Object.entries(previous)) {
    if (!(file in index) && existsSync(path.join(HISTORY_DIR, file))) {
      index[file] = entry;
      log(`${file.padEnd(40)} kept (not produced by this script)`);
    }
  }
  await writeText(indexFile, `${JSON.stringify(index, null, 2)}\n`);
  await writeText(path.join(HISTORY_DIR, 'README.md'), readme(index, data));
  log(`${recorded.length} histories recorded into ${path.relative(process.cwd(), HISTORY_DIR) || '.'}`);
  return recorded;
}

/** Runs the four scenarios on real workers, checks each took its intended path, and records them. */
async function recordScenarios(
  env: TestWorkflowEnvironment,
  data: string,
  first: string,
  second: string,
  temp: (prefix: string) => Promise<string>,
  recorded: Recorded[],
): Promise<void> {
  // (a) every dataset succeeds
  {
    const { handle, report } = await runWeekly(env, 'weekly-ok', specFor(data, await temp('tributary-record-out-')));
    check(report.status === 'succeeded', 'weekly-ok', 'status succeeded', report.status);
    recorded.push(...(await recordTree(env, 'weekly-ok', handle)));
  }
  // (b) one dataset fails: a corrupt transactions file (the failure path of datasetPipeline)
  {
    const damaged = await temp('tributary-record-damaged-');
    await generateRetailWeek({ out: damaged, ...SIZE });
    await writeText(path.join(damaged, 'sales', first, 'transactions.parquet'), 'PAR1 this is not parquet at all');
    const { handle, report } = await runWeekly(
      env,
      'weekly-dataset-fails',
      specFor(damaged, await temp('tributary-record-out-')),
    );
    const failed = report.datasets.find((d) => d.dataset === first);
    check(report.status === 'partial', 'weekly-dataset-fails', 'status partial', report.status);
    check(
      failed?.error?.stage === 'read' && failed.error.type === 'UnreadableParquet',
      'weekly-dataset-fails',
      `${first} failed at read`,
      failed?.error,
    );
    recorded.push(...(await recordTree(env, 'weekly-dataset-fails', handle)));
  }
  // (c) a transient compute failure, retried: attempts 1 and 2 fail, 3 succeeds
  {
    const faults: FaultHook = (stage, dataset, attempt) => {
      if (stage === 'compute' && dataset === first && attempt <= 2)
        throw new Error(`simulated transient I/O failure (attempt ${attempt})`);
    };
    const spec = specFor(data, await temp('tributary-record-out-'), {
      stages: { compute: { retry: { maximumAttempts: 4, initialInterval: '200ms', backoffCoefficient: 2 } } },
    });
    const { handle, report } = await runWeekly(env, 'weekly-compute-retried', spec, faults);
    const flaky = report.datasets.find((d) => d.dataset === first);
    check(
      report.status === 'succeeded' && flaky?.stages.compute?.attempts === 3,
      'weekly-compute-retried',
      `${first} compute succeeded on attempt 3`,
      flaky,
    );
    recorded.push(...(await recordTree(env, 'weekly-compute-retried', handle)));
  }
  // (e) batching and continue-as-new: two batches, one per run
  {
    const spec = specFor(data, await temp('tributary-record-out-'), {
      batching: { maxDatasets: 1 },
      continueAsNewAfter: 1,
    });
    const { handle, report } = await runWeekly(env, 'weekly-batched', spec);
    check(
      report.status === 'succeeded' && report.totals.datasets === 2,
      'weekly-batched',
      'status succeeded over 2 datasets',
      report.totals,
    );
    const firstRun = handle.firstExecutionRunId;
    const last = await handle.describe();
    check(last.runId !== firstRun, 'weekly-batched', 'continued as new', last.runId);
    recorded.push(
      await record(
        env,
        'weekly-batched',
        'first run (continues as new)',
        handle.workflowId,
        firstRun,
        'weekly-batched.run-1.json',
      ),
    );
    recorded.push(
      await record(
        env,
        'weekly-batched',
        'second run (writes the report)',
        handle.workflowId,
        last.runId,
        'weekly-batched.run-2.json',
      ),
    );
  }
  // (d) scanFiles
  {
    const files = [first, second].flatMap((r) =>
      ['transactions', 'stock'].map((t) => path.join(data, 'sales', r, `${t}.parquet`)),
    );
    const { handle, result } = await withWorker(env, 'record-scan-files', {}, async () => {
      const handle = await env.client.workflow.start('scanFiles', {
        taskQueue: 'record-scan-files',
        workflowId: 'replay-scan-files',
        args: [{ files, maxInFlight: 2 }],
      });
      return { handle, result: (await handle.result()) as ScanFilesResult };
    });
    check(result.files === files.length, 'scan-files', `${files.length} files scanned`, result.files);
    recorded.push(...(await recordTree(env, 'scan-files', handle)));
  }
}

function readme(index: Record<string, HistoryIndexEntry>, data: string): string {
  const rows = Object.entries(index).map(
    ([file, r]) =>
      `| \`${file}\` | \`${r.workflowType}\` | \`${r.workflowId}\` | ${r.scenario} | ${r.role} | ${r.events} |`,
  );
  const scenarios = Object.entries(SCENARIOS).map(([name, what]) => `- **${name}** (\`replay-${name}\`): ${what}`);
  return `# Recorded workflow histories (the determinism guard)

This README is generated by \`test/recordHistories.ts\`, with the histories. \`test/replay.test.ts\` replays every
\`*.json\` file here (except \`index.json\`) against the current workflow code with
\`Worker.runReplayHistories\`. A change to workflow code that would break runs already in flight
(commands in a different order, an activity or child added or removed, …) makes it fail with a
\`DeterminismViolationError\` naming the file.

Each file is the full history of one workflow execution, in the JSON format of the Temporal CLI and
Web UI (\`historyToJSON\` / \`historyFromJSON\` of \`@temporalio/common/lib/proto-utils\`).
\`index.json\` maps each file to its workflow id and type: a replay needs the real workflow id,
since the children's ids are derived from it.

Scenarios (sample data: ${SIZE.regions} regions × ${SIZE.stores} stores × ${SIZE.products} products, seed ${SIZE.seed}, week ${SIZE.week}):

${scenarios.join('\n')}

| file | workflow type | workflow id | scenario | role | events |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

The file paths inside the histories (spec \`dataRoot\`, \`output.root\`, staging folders) point
into the temporary folders of the recording run (\`${path.dirname(data)}/tributary-record-*\`), removed
when it finished. Replay never reads them: activities are not run, their recorded results are used.

## When and how to re-record

\`npm run record-histories\` (about 20 s; starts its own dev server with the cached Temporal CLI,
and needs no server running). Before writing anything it replays what it recorded against a fresh
bundle of the workflow code on disk, and writes nothing if that fails (workflow code edited while
it ran). It overwrites the files it produces and leaves any other \`*.json\` here, with its
\`index.json\` entry, alone. Event counts can differ a little between recordings (how events fall
into workflow tasks depends on timing); that is expected.

- **The replay test fails after a workflow change:** do not re-record. The change would break runs
  that are open when a worker with the new code picks them up. Guard it with
  \`patched('change-id')\` (replays of old histories take the old branch, new runs the new one),
  or keep the old code path until no run started before the change can still be open. Only when no
  run of the old code exists anywhere (e.g. before the first deployment) is re-recording right.
- **After an intentional, \`patched()\`-guarded change:** first keep the current histories, so the
  old branch stays covered: rename e.g. \`weekly-ok.json\` to \`weekly-ok.before-change-id.json\`
  and its key in \`index.json\` likewise. Then re-record, so the new branch is covered too.
- **A new scenario or workflow:** add it to \`test/recordHistories.ts\` and re-record.

To see the guard work without touching \`workflows/\`, replay against an altered copy:

\`\`\`sh
mkdir /tmp/altered && cp -r workflows common spec /tmp/altered/ && ln -s "$PWD/node_modules" /tmp/altered/node_modules
# edit /tmp/altered/workflows/datasetPipeline.ts, e.g. swap the readDataset and readReference calls
REPLAY_WORKFLOWS_PATH=/tmp/altered/workflows/index.ts npx vitest run test/replay.test.ts   # fails: DeterminismViolationError
\`\`\`
`;
}

if (require.main === module) {
  // ERROR: the failures the scenarios inject are logged as warnings by the worker.
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  recordHistories().then(
    () => undefined,
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
