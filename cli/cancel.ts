/**
 * `tributary cancel <workflow-id>`: asks a run to cancel and sees the cancel through. A cancel is
 * carried out by a worker (the run cancels its datasets, removes their staging, writes its report):
 * with none polling, it would stay requested forever, so this command then hosts one until the run
 * has closed, and says so.
 */
import { CancelledFailure, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { workflowUrl, type Settings } from '../runtime/settings';
import { hostWorker, withRunServer } from './client';
import { followRun } from './follow';
import { resumeNotice, runningRun } from './resume';

/** True when a run's result is its cancellation. */
export function isCancelledRun(err: unknown): err is WorkflowFailedError {
  return err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure;
}

export async function cancel(settings: Settings, argv: string[], log: (line: string) => void): Promise<number> {
  const id = argv[0];
  if (!id) {
    log('Usage: tributary cancel <workflow-id>');
    return 2;
  }
  return withRunServer(settings, log, 'the run lives on its server', async (client) => {
    const handle = client.workflow.getHandle(id);
    try {
      await handle.cancel();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        log(`No running run ${id} in namespace ${settings.namespace}.`);
        return 2;
      }
      throw err;
    }
    const running = await runningRun(client, settings, id);
    if (running.served) {
      const url = workflowUrl(settings, id);
      log(
        `Cancel requested for ${id}; a worker on task queue "${running.taskQueue}" is carrying it out.\nWatch it: ${url}`,
      );
      return 0;
    }
    log(resumeNotice({ ...running, cancelRequested: true }));
    try {
      const follow = () => followRun(running.handle, settings.address, log);
      const report = await hostWorker(settings, running.taskQueue, follow);
      log(`${id} finished (${report.status}) before the cancel reached it. Report: ${report.files?.markdown}`);
      return 1;
    } catch (err) {
      if (!isCancelledRun(err)) throw err;
      log(`Cancelled ${id}: ${err.cause?.message}`);
      return 0;
    }
  });
}
