/**
 * A week's run that is already running when `run` starts it again. With live workers, they run it
 * and `run` refuses a second one. With none (the `run` that hosted its worker was killed, or it was
 * started detached and no worker came), nothing would ever move it: `run` then hosts a worker and
 * follows it to its end, which also completes a cancel requested while no worker was there.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { Settings } from '../runtime/settings';
import type { weeklyLoad } from '../workflows';
import { hasPollers } from './client';

export interface RunningRun {
  handle: WorkflowHandle<typeof weeklyLoad>;
  taskQueue: string;
  /** A worker answers for the run: it is being run, nothing to resume. */
  served: boolean;
  /** A cancel was requested and has not been processed yet. */
  cancelRequested: boolean;
}

/**
 * A listed poller may be a worker killed within the last minute (the server lists pollers for a
 * while): a query, answered only by a live worker within `withinMs`, tells them apart.
 */
async function workerAnswers(
  client: Client,
  handle: WorkflowHandle<typeof weeklyLoad>,
  withinMs: number,
): Promise<boolean> {
  return client
    .withDeadline(Date.now() + withinMs, () => handle.query('progress'))
    .then(
      () => true,
      () => false,
    );
}

/** True when the latest events of the run hold a cancel request that no worker has acted on yet. */
async function pendingCancel(client: Client, settings: Settings, workflowId: string, runId: string): Promise<boolean> {
  const { history } = await client.workflowService.getWorkflowExecutionHistoryReverse({
    namespace: settings.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 20,
  });
  const types = temporal.api.enums.v1.EventType;
  for (const event of history?.events ?? []) {
    if (event.eventType === types.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED) return true;
    // A worker has seen what came before.
    if (event.eventType === types.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) return false;
  }
  return false;
}

/** What is running under `workflowId`, and whether any worker serves it. */
export async function runningRun(client: Client, settings: Settings, workflowId: string): Promise<RunningRun> {
  const handle = client.workflow.getHandle<typeof weeklyLoad>(workflowId);
  const description = await handle.describe();
  const taskQueue = description.taskQueue;
  const served =
    (await hasPollers(client, settings, Date.now(), taskQueue)) &&
    (await workerAnswers(client, handle, settings.workerWait.answerMs));
  const cancelRequested = await pendingCancel(client, settings, workflowId, description.runId).catch(() => false);
  return { handle, taskQueue, served, cancelRequested };
}

/** The line `run` says when it hosts the worker of a run that had none. */
export function resumeNotice(run: RunningRun): string {
  const id = run.handle.workflowId;
  return run.cancelRequested
    ? `Cancel requested for ${id}, but no worker polls task queue "${run.taskQueue}": ` +
        'running one in this process so the cancel completes.'
    : `Resuming ${id}: no worker polls task queue "${run.taskQueue}"; running one in this process.`;
}
