/** `tributary worker`: a worker process on the configured task queue, until SIGINT/SIGTERM. */
import { parseArgs } from 'node:util';
import type { Settings } from '../runtime/settings';
import { parseDuration } from '../spec/duration';
import { runWorker } from '../workers/worker';

export async function worker(settings: Settings, argv: string[], log: (l: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      activities: { type: 'string', default: process.env.TRIBUTARY_WORKER_ACTIVITIES ?? '4' },
      'shutdown-grace': { type: 'string', default: process.env.TRIBUTARY_SHUTDOWN_GRACE ?? '30s' },
    },
  });
  const activities = Number(values.activities);
  const grace = parseDuration(values['shutdown-grace']);
  if (!Number.isInteger(activities) || activities < 1) {
    log(`--activities must be a whole number >= 1, got "${values.activities}"`);
    return 2;
  }
  if (grace === undefined) {
    log(`--shutdown-grace must be a duration such as 30s or 2 minutes, got "${values['shutdown-grace']}"`);
    return 2;
  }
  log(`Worker polling task queue "${settings.taskQueue}" at ${settings.address}: ${activities} activities at once, ` +
    `${grace / 1000}s shutdown grace (Ctrl+C to stop).`);
  await runWorker({
    address: settings.address,
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    maxConcurrentActivities: activities,
    shutdownGraceTime: grace,
  });
  log('Worker stopped.');
  return 0;
}
