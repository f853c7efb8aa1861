/** `tributary worker`: a worker process on the configured task queue, until SIGINT/SIGTERM. */
import { parseArgs } from 'node:util';
import type { Settings } from '../runtime/settings';
import { parseDuration } from '../spec/duration';
import { defaultMemoryBudget, formatBytes, parseBytes } from '../activities/admission';
import { DEFAULT_REFERENCE_CACHE_BYTES } from '../activities/referenceCache';
import { runWorker } from '../workers/worker';

export async function worker(settings: Settings, argv: string[], log: (l: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      activities: { type: 'string', default: process.env.TRIBUTARY_WORKER_ACTIVITIES ?? '4' },
      'shutdown-grace': { type: 'string', default: process.env.TRIBUTARY_SHUTDOWN_GRACE ?? '30s' },
      // Sizes such as 2GiB, 512MiB, 8g or bytes; empty means the default.
      'memory-budget': { type: 'string', default: process.env.TRIBUTARY_MEMORY_BUDGET ?? '' },
      'reference-cache': { type: 'string', default: process.env.TRIBUTARY_REFERENCE_CACHE_BYTES ?? '' },
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
  const memoryBudget = values['memory-budget'] === '' ? defaultMemoryBudget() : parseBytes(values['memory-budget']);
  if (memoryBudget === undefined || memoryBudget <= 0) {
    log(`--memory-budget must be a size such as 2GiB or 512MiB, got "${values['memory-budget']}"`);
    return 2;
  }
  // 0 keeps no reference data between activities (concurrent readers still share one load).
  const referenceCacheBytes = values['reference-cache'] === '' ? DEFAULT_REFERENCE_CACHE_BYTES : parseBytes(values['reference-cache']);
  if (referenceCacheBytes === undefined) {
    log(`--reference-cache must be a size such as 512MiB or 1GiB, got "${values['reference-cache']}"`);
    return 2;
  }
  // How it connects, so an operator sees at once whether TLS and encryption are on (never the secrets).
  const security = [settings.connection?.tls && 'TLS', settings.connection?.apiKey !== undefined && 'API key',
    settings.encryption && `payloads encrypted with key id "${settings.encryption.id}"`].filter(Boolean).join(', ');
  log(`Worker polling task queue "${settings.taskQueue}" at ${settings.address}${security ? ` (${security})` : ''}: ${activities} activities at once, ` +
    `computes within a ${formatBytes(memoryBudget)} memory budget, ${formatBytes(referenceCacheBytes)} reference cache, ` +
    `${grace / 1000}s shutdown grace (Ctrl+C to stop).`);
  await runWorker(settings, {
    namespace: settings.namespace,
    taskQueue: settings.taskQueue,
    maxConcurrentActivities: activities,
    shutdownGraceTime: grace,
    memoryBudget,
    referenceCacheBytes,
  });
  log('Worker stopped.');
  return 0;
}
