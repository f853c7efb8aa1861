/**
 * The worker runtime's logs and metrics, from the environment:
 * - TRIBUTARY_LOG_LEVEL (WARN, INFO for `tributary worker`), TRIBUTARY_LOG_FORMAT=json for one JSON
 *   object per line (stage lines carry workflow and run id, dataset, stage and attempt);
 * - TRIBUTARY_METRICS_PORT: a Prometheus endpoint (`/metrics`) with Temporal's runtime metrics and
 *   the pipeline's own (tributary_*: see activities/stage.ts). Off when unset.
 * Installed once per process, before any worker or connection is created.
 */
import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';

function jsonLine(entry: LogEntry): void {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  process.stderr.write(`${JSON.stringify({ time, level: entry.level, message: entry.message, ...entry.meta })}\n`);
}

export function installRuntime(command: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  const level = (env.TRIBUTARY_LOG_LEVEL ?? (command === 'worker' ? 'INFO' : 'WARN')) as LogLevel;
  const logger = env.TRIBUTARY_LOG_FORMAT === 'json' ? new DefaultLogger(level, jsonLine) : new DefaultLogger(level);
  const port = env.TRIBUTARY_METRICS_PORT;
  if (port !== undefined && !/^\d+$/.test(port)) throw new Error(`TRIBUTARY_METRICS_PORT must be a port number, got "${port}"`);
  Runtime.install({
    logger,
    ...(port ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${port}` } } } } : {}),
  });
}
