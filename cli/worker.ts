/** `tributary worker`: a worker process on the configured task queue, until SIGINT/SIGTERM. */
import { parseArgs } from 'node:util';
import { formatBytes } from '../common/bytes';
import type { Settings } from '../runtime/settings';
import { loadWorkerSettings, type WorkerSettings, WorkerSettingsError } from '../workers/settings';
import { runWorker } from '../workers/worker';

export async function worker(settings: Settings, argv: string[], log: (l: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      activities: { type: 'string' },
      'shutdown-grace': { type: 'string' },
      // Sizes such as 2GiB, 512MiB, 8g or bytes.
      'memory-budget': { type: 'string' },
      'reference-cache': { type: 'string' },
      'sticky-timeout': { type: 'string' },
    },
  });
  let own: WorkerSettings;
  try {
    own = loadWorkerSettings(values);
  } catch (err) {
    if (!(err instanceof WorkerSettingsError)) throw err;
    log(err.message);
    return 2;
  }
  // How it connects, so an operator sees at once whether TLS and encryption are on (never the secrets).
  const security = [
    settings.connection?.tls && 'TLS',
    settings.connection?.apiKey !== undefined && 'API key',
    settings.encryption && `payloads encrypted with key id "${settings.encryption.id}"`,
  ]
    .filter(Boolean)
    .join(', ');
  log(
    `Worker polling task queue "${settings.taskQueue}" at ${settings.address}${security ? ` (${security})` : ''}: ` +
      `${own.maxConcurrentActivities} activities at once, ` +
      `computes within a ${formatBytes(own.memoryBudget)} memory budget, ` +
      `${formatBytes(own.referenceCacheBytes)} reference cache, ` +
      `${own.shutdownGraceTime / 1000}s shutdown grace (Ctrl+C to stop).`,
  );
  await runWorker(settings, { namespace: settings.namespace, taskQueue: settings.taskQueue, ...own });
  log('Worker stopped.');
  return 0;
}
