/** Test plumbing: a real local Temporal dev server per test file, unique task queues, a shared bundle. */
import { randomUUID } from 'node:crypto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { findTemporalCli } from '../../runtime/temporalCli';
import { WORKFLOWS_PATH } from '../../workers/worker';

export async function temporalCliPath(): Promise<string> {
  const cli = await findTemporalCli();
  if (!cli) {
    throw new Error(
      'No Temporal CLI found. `npm test` builds it before the suite (pretest); ' +
        'run `npx tributary ensure-cli` when running vitest directly.',
    );
  }
  return cli;
}

/** Starts a real dev server (the Temporal CLI binary) on a free port. */
export async function startTestServer(): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: await temporalCliPath() } },
  });
}

/** A task queue of its own for each test, readable in the Web UI. */
export function taskQueueFor(title: string): string {
  const slug = title.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
  return `test-${slug}-${randomUUID().slice(0, 8)}`;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
/** The workflow bundle, built once per test file. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quietLogger });
  return bundle;
}

const noop = (): void => undefined;
const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: console.error };
