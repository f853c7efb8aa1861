/**
 * The determinism guard: every recorded history in `test/history_files/` (real runs of the
 * workflows, recorded by `npm run record-histories`) replays against the current workflow code.
 * A change that would break runs already in flight fails here with a DeterminismViolationError.
 *
 * `REPLAY_WORKFLOWS_PATH=<workflows index.ts>` replays against other workflow code instead, e.g. a
 * deliberately altered copy, to see the guard fail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Worker, type ReplayResult } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from './helpers/temporal';

const DIR = path.join(__dirname, 'history_files');
const INDEX = 'index.json';

interface IndexEntry {
  workflowId: string;
  workflowType: string;
}

const historyFiles = readdirSync(DIR)
  .filter((f) => f.endsWith('.json') && f !== INDEX)
  .sort();
const index = JSON.parse(readFileSync(path.join(DIR, INDEX), 'utf8')) as Record<string, IndexEntry>;

function bundle() {
  const altered = process.env.REPLAY_WORKFLOWS_PATH;
  if (!altered) return workflowBundle();
  const noop = (): void => undefined;
  return bundleWorkflowCode({
    workflowsPath: path.resolve(altered),
    logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error },
  });
}

/**
 * `historyFromJSON` of `@temporalio/common`, or the same parse done with the protobufjs copy of
 * `@temporalio/proto` when the SDK's fails with "type must be a Type": npm installed separate
 * copies of protobufjs 8 under @temporalio/common and @temporalio/proto, and protojson's
 * `instanceof Type` check rejects the other copy's type (see test/recordHistories.ts).
 * `Worker.runReplayHistories` would call the same broken `historyFromJSON` on raw JSON, so it gets
 * the parsed History.
 */
function parseHistory(json: unknown): History {
  try {
    return historyFromJSON(json);
  } catch (err) {
    if (!(err instanceof TypeError && err.message === 'type must be a Type')) throw err;
  }
  const fromProto = createRequire(require.resolve('@temporalio/proto'));
  const { fromJson } = fromProto('protobufjs/ext/protojson') as {
    fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): History | null;
  };
  const root = fromProto('@temporalio/proto') as { lookupType(name: string): unknown };
  const history = fromJson(root.lookupType('temporal.api.history.v1.History'), json, { ignoreUnknownFields: true });
  if (!history) throw new TypeError('Invalid history');
  return history;
}

function load(file: string) {
  const entry = index[file];
  if (!entry) throw new Error(`${file} has no entry in ${INDEX}`);
  const history = parseHistory(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')));
  return { file, workflowId: entry.workflowId, workflowType: entry.workflowType, history };
}

describe('recorded workflow histories', () => {
  it('are all listed in index.json with the workflow type they start with, and there are some', () => {
    expect(historyFiles.length).toBeGreaterThan(0);
    expect(Object.keys(index).sort()).toEqual(historyFiles);
    for (const file of historyFiles) {
      const { history, workflowType } = load(file);
      expect(history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name, file).toBe(workflowType);
    }
  });

  it('all replay against the current workflow code without a determinism error', async () => {
    const histories = historyFiles.map(load);
    const results: ReplayResult[] = [];
    for await (const result of Worker.runReplayHistories(
      { workflowBundle: await bundle(), replayName: 'tributary-replay' },
      histories.map(({ history, workflowId }) => ({ history, workflowId })),
    )) {
      results.push(result);
    }

    // One result per file, in order: an empty folder or a history that was skipped fails here.
    expect(historyFiles.length).toBeGreaterThan(0);
    expect(results).toHaveLength(historyFiles.length);
    expect(results.map((r) => r.workflowId)).toEqual(histories.map((h) => h.workflowId));
    const failures = results.flatMap((r, i) =>
      r.error ? [`${histories[i]?.file} (${r.workflowId}): ${r.error.name}: ${r.error.message}`] : [],
    );
    expect(failures).toEqual([]);
  });
});
