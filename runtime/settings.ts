/**
 * Connection and local-state settings, read from the environment once, with defaults stated here.
 * Names follow Temporal's own conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_TLS_*,
 * TEMPORAL_API_KEY, envconfig profiles: see runtime/connectionSettings.ts).
 */
import path from 'node:path';
import { DEFAULT_TASK_QUEUE } from '../common/taskQueues';
import { parseDuration } from '../pipeline/duration';
import { encryptionFromEnv, type EncryptionKey } from './codec';
import { loadConnectionSettings, type ConnectionSettings } from './connectionSettings';

export interface Settings {
  /** gRPC address of the Temporal frontend. Default `localhost:7233`. */
  address: string;
  /** Where `address` was configured (e.g. "TEMPORAL_ADDRESS"); absent: the project's own local default. */
  addressFrom?: string;
  /**
   * May a command start a dev server when nothing answers (TRIBUTARY_DEV_SERVER)? `auto` (unset): only
   * at the local default, never at an address the user configured; `always` (1): also there; `never` (0).
   */
  devServer: 'auto' | 'always' | 'never';
  /** Temporal namespace. Default `default`. */
  namespace: string;
  /** Task queue workers poll and runs are started on. Default `tributary`. */
  taskQueue: string;
  /** Base URL of the Temporal Web UI. Default: the dev server's UI port (gRPC port + 1000). */
  uiUrl: string;
  /** Local state: the dev server's SQLite file, its log, generated sample data. Default `./.tributary`. */
  home: string;
  /** TLS, API key and gRPC headers. Absent: a plain connection to `address`. */
  connection?: ConnectionSettings;
  /** Key that payloads are encrypted with (TRIBUTARY_ENCRYPTION_KEY). Absent: payloads are stored as plain JSON. */
  encryption?: EncryptionKey;
  /**
   * How long workers listed as polling get to show they are alive before `run` and `cancel` take them
   * for gone and host a worker themselves, ms: to pick up a new run, to answer a query of a running
   * one. TRIBUTARY_WORKER_WAIT sets both; tests that kill workers shorten it.
   */
  workerWait: { pickUpMs: number; answerMs: number };
}

/** A server lists a killed worker as polling for minutes: this long for the workers it lists to prove alive. */
export const WORKER_WAIT_DEFAULTS = { pickUpMs: 5_000, answerMs: 10_000 } as const;

function workerWait(text: string | undefined): Settings['workerWait'] {
  if (!text) return { ...WORKER_WAIT_DEFAULTS };
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`TRIBUTARY_WORKER_WAIT must be a duration such as 10s, got "${text}"`);
  return { pickUpMs: ms, answerMs: ms };
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Settings {
  // The environment wins over the envconfig profile (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE), as in the Temporal CLI.
  const profile = loadConnectionSettings(env);
  const address = profile.address || 'localhost:7233';
  const port = Number(address.split(':').pop());
  const uiPort = Number.isFinite(port) ? port + 1000 : 8233;
  // Temporal Cloud's Web UI is one site for every namespace; elsewhere the dev server's UI port.
  const cloud = /\.(tmprl\.cloud|api\.temporal\.io)$/.test(address.slice(0, address.lastIndexOf(':')));
  const encryption = encryptionFromEnv(env);
  const devServer = env.TRIBUTARY_DEV_SERVER;
  return {
    address,
    ...(profile.addressFrom && { addressFrom: profile.addressFrom }),
    devServer: ['1', 'true'].includes(devServer ?? '')
      ? 'always'
      : ['0', 'false'].includes(devServer ?? '')
        ? 'never'
        : 'auto',
    namespace: profile.namespace || 'default',
    taskQueue: env.TRIBUTARY_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    uiUrl: (env.TEMPORAL_UI_URL || (cloud ? 'https://cloud.temporal.io' : `http://localhost:${uiPort}`)).replace(
      /\/$/,
      '',
    ),
    home: path.resolve(cwd, env.TRIBUTARY_HOME || '.tributary'),
    connection: profile.connection,
    ...(encryption && { encryption }),
    workerWait: workerWait(env.TRIBUTARY_WORKER_WAIT),
  };
}

/** Web UI page of one workflow execution. */
export function workflowUrl(settings: Pick<Settings, 'uiUrl' | 'namespace'>, workflowId: string): string {
  return `${settings.uiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
