/**
 * Connection and local-state settings, read from the environment once, with defaults stated here.
 * Names follow Temporal's own conventions (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE).
 */
import path from 'node:path';
import { DEFAULT_TASK_QUEUE } from '../common/taskQueues';

export interface Settings {
  /** gRPC address of the Temporal frontend. Default `localhost:7233`. */
  address: string;
  /** Temporal namespace. Default `default`. */
  namespace: string;
  /** Task queue workers poll and runs are started on. Default `tributary`. */
  taskQueue: string;
  /** Base URL of the Temporal Web UI. Default: the dev server's UI port (gRPC port + 1000). */
  uiUrl: string;
  /** Local state: the dev server's SQLite file, its log, generated sample data. Default `./.tributary`. */
  home: string;
}

export function loadSettings(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Settings {
  const address = env.TEMPORAL_ADDRESS || 'localhost:7233';
  const port = Number(address.split(':').pop());
  const uiPort = Number.isFinite(port) ? port + 1000 : 8233;
  return {
    address,
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    taskQueue: env.TRIBUTARY_TASK_QUEUE || DEFAULT_TASK_QUEUE,
    uiUrl: (env.TEMPORAL_UI_URL || `http://localhost:${uiPort}`).replace(/\/$/, ''),
    home: path.resolve(cwd, env.TRIBUTARY_HOME || '.tributary'),
  };
}

/** Web UI page of one workflow execution. */
export function workflowUrl(settings: Pick<Settings, 'uiUrl' | 'namespace'>, workflowId: string): string {
  return `${settings.uiUrl}/namespaces/${encodeURIComponent(settings.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
