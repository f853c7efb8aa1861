/**
 * Worker wiring: the workflow bundle, the activities, the task queue and its slots, and a graceful
 * shutdown. On SIGINT/SIGTERM the Temporal runtime stops polling for new tasks and gives in-flight
 * activities `shutdownGraceTime` to finish before cancelling them (they are then retried elsewhere).
 */
import path from 'node:path';
import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection, type WorkerPlugin, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { killAtStep } from './testHooks';
import { MemoryAdmission } from '../activities/admission';
import { ReferenceCache } from '../activities/referenceCache';
import { connectNative, dataConverterFor } from '../runtime/connection';
import type { Settings } from '../runtime/settings';
import { tracingPlugin } from '../runtime/tracing';
import { cachedBundle } from './bundle';
import { WORKER_DEFAULTS } from './settings';

export const WORKFLOWS_PATH = path.resolve(__dirname, '../workflows/index.ts');

/**
 * A workflow bundle built ahead of time (`bundleWorkflowCode` written to a file, as Temporal advises
 * for production): a worker given one starts in a second instead of bundling for several.
 */
export const PREBUILT_BUNDLE_ENV = 'TRIBUTARY_WORKFLOW_BUNDLE';

export interface TributaryWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  /**
   * A prebuilt bundle (tests bundle once per suite); else TRIBUTARY_WORKFLOW_BUNDLE; else the bundle
   * cached in `bundleCacheDir` for the current sources (workers/bundle.ts); else bundled now.
   */
  workflowBundle?: WorkflowBundleOption;
  bundleCacheDir?: string;
  /** Activities this worker runs at once. Default 4. */
  maxConcurrentActivities?: number;
  /** How long in-flight activities may run after a shutdown signal. Default 30 s. */
  shutdownGraceTime?: string | number;
  /** How long a run's next workflow task waits for this worker (it holds the run cached) before any worker may take it. Default 10 s. */
  stickyTimeout?: string | number;
  /** Bytes of memory compute attempts may hold at once. Default: half the RAM or container limit. */
  memoryBudget?: number;
  /** Bytes of reference data kept in memory. Default 512 MiB. */
  referenceCacheBytes?: number;
  /** Where a line per stage start and finish is appended. Default: no ledger. */
  ledgerFile?: string;
  /** Tests only: SIGKILL this worker at a step of publish or commit (workers/testHooks.ts). */
  killAt?: { step: string; marker?: string };
  activityDeps?: ActivityDeps;
  /** Registered over Tributary's activities, by name: test-only activities, or stubs in orchestration tests. */
  activities?: Record<string, (...args: never[]) => Promise<unknown>>;
  /** Payload codecs (encryption); must match the clients'. Default: payloads as plain JSON. */
  dataConverter?: DataConverter;
  /** Worker plugins, e.g. tracing (runtime/tracing.ts); they also reach the workflow bundler. */
  plugins?: WorkerPlugin[];
}

export async function createWorker(options: TributaryWorkerOptions): Promise<Worker> {
  const prebuilt = process.env[PREBUILT_BUNDLE_ENV];
  // Plugins (tracing) add workflow interceptors at bundling time: a bundle built without them would lack them.
  const plain = !options.plugins?.length;
  const code = options.workflowBundle
    ? { workflowBundle: options.workflowBundle }
    : prebuilt && plain
      ? { workflowBundle: { codePath: prebuilt } }
      : options.bundleCacheDir && plain
        ? { workflowBundle: await cachedBundle(WORKFLOWS_PATH, options.bundleCacheDir) }
        : { workflowsPath: WORKFLOWS_PATH };
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue,
    ...code,
    ...(options.dataConverter && { dataConverter: options.dataConverter }),
    ...(options.plugins?.length ? { plugins: options.plugins } : {}),
    activities: {
      ...createActivities({
        ...(options.memoryBudget !== undefined && { admission: new MemoryAdmission(options.memoryBudget) }),
        ...(options.referenceCacheBytes !== undefined && {
          referenceCache: new ReferenceCache(options.referenceCacheBytes),
        }),
        ...(options.ledgerFile !== undefined && { ledgerFile: options.ledgerFile }),
        ...(options.killAt && { steps: killAtStep(options.killAt.step, options.killAt.marker) }),
        ...options.activityDeps,
      }),
      ...options.activities,
    },
    maxConcurrentActivityTaskExecutions: options.maxConcurrentActivities ?? WORKER_DEFAULTS.maxConcurrentActivities,
    shutdownGraceTime: options.shutdownGraceTime ?? WORKER_DEFAULTS.shutdownGraceTime,
    stickyQueueScheduleToStartTimeout: options.stickyTimeout ?? WORKER_DEFAULTS.stickyTimeout,
  });
}

/** Connects to the configured server (TLS, API key, encryption as configured) and runs a worker until a shutdown signal. */
export async function runWorker(
  settings: Settings,
  options: Omit<TributaryWorkerOptions, 'connection' | 'dataConverter'>,
): Promise<void> {
  const connection = await connectNative(settings);
  try {
    const tracing = tracingPlugin();
    const worker = await createWorker({
      ...options,
      connection,
      dataConverter: dataConverterFor(settings),
      ...(tracing ? { plugins: [tracing] } : {}),
    });
    await worker.run();
  } finally {
    await connection.close();
  }
}
