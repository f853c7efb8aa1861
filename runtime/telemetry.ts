/**
 * The worker runtime's logs and metrics, from the environment:
 * - TRIBUTARY_LOG_LEVEL (WARN, INFO for `tributary worker`), TRIBUTARY_LOG_FORMAT=json for one JSON
 *   object per line on stderr, whoever speaks: our own lines, the SDK's workers and workflows, the
 *   SDK core (forwarded from Rust instead of printed as coloured text), Node's process warnings and
 *   console calls (stage lines carry workflow and run id, dataset, stage and attempt);
 * - TRIBUTARY_METRICS_PORT: a Prometheus endpoint (`/metrics`) with Temporal's runtime metrics and
 *   the pipeline's own (tributary_*: see activities/counters.ts). Off when unset. It binds
 *   TRIBUTARY_METRICS_HOST, by default 127.0.0.1 (loopback: set 0.0.0.0 to be scraped from elsewhere).
 * Installed once per process, before any worker or connection is created.
 */
import { isIP } from 'node:net';
import { format } from 'node:util';
import { DefaultLogger, Runtime, type LogEntry, type LogLevel, type LogMetadata } from '@temporalio/worker';

export const DEFAULT_METRICS_HOST = '127.0.0.1';

const jsonMode = (env: NodeJS.ProcessEnv = process.env) => env.TRIBUTARY_LOG_FORMAT === 'json';

/** Errors keep what JSON.stringify drops (name, message, stack are not enumerable); bigints become strings. */
function plain(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (!(value instanceof Error)) return value;
  const { name, message, stack } = value;
  return { ...value, name, message, ...(value.cause !== undefined && { cause: value.cause }), stack };
}

/** One log line as a JSON object on stderr. */
export function writeJsonLine(level: LogLevel, message: string, meta: LogMetadata = {}, when = new Date()): void {
  process.stderr.write(`${JSON.stringify({ time: when.toISOString(), level, message, ...meta }, plain)}\n`);
}

function jsonLine(entry: LogEntry): void {
  writeJsonLine(entry.level, entry.message, entry.meta, new Date(Number(entry.timestampNanos / 1_000_000n)));
}

/** A line of the CLI's own: plain text, or a JSON object in JSON mode. */
export function logLine(line: string, level: LogLevel = 'INFO', env: NodeJS.ProcessEnv = process.env): void {
  if (jsonMode(env)) writeJsonLine(level, line);
  else process.stderr.write(`${line}\n`);
}

/** Node's own warnings and console calls (the SDK's included) as JSON lines, instead of text. */
function routeNodeOutputToJson(): void {
  process.removeAllListeners('warning');
  process.on('warning', (w) =>
    writeJsonLine('WARN', w.message, { name: w.name, code: (w as NodeJS.ErrnoException).code }),
  );
  type Method = 'log' | 'info' | 'debug' | 'warn' | 'error';
  const levels: Record<Method, LogLevel> = { log: 'INFO', info: 'INFO', debug: 'DEBUG', warn: 'WARN', error: 'ERROR' };
  for (const [method, level] of Object.entries(levels)) {
    console[method as Method] = (...args: unknown[]) => writeJsonLine(level, format(...args));
  }
}

/** `host:port` for the Prometheus exporter, or undefined when metrics are off. */
export function metricsBindAddress(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const port = env.TRIBUTARY_METRICS_PORT;
  if (port === undefined || port === '') return undefined;
  if (!/^\d+$/.test(port) || Number(port) > 65535) {
    throw new Error(`TRIBUTARY_METRICS_PORT must be a port number, got "${port}"`);
  }
  const host = env.TRIBUTARY_METRICS_HOST || DEFAULT_METRICS_HOST;
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) === 0) {
    throw new Error(
      'TRIBUTARY_METRICS_HOST must be an IP address to bind, such as 127.0.0.1 (the default, this machine only) ' +
        `or 0.0.0.0 (every interface), got "${host}"`,
    );
  }
  return isIP(bare) === 6 ? `[${bare}]:${port}` : `${bare}:${port}`;
}

export function installRuntime(command: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  const level = (env.TRIBUTARY_LOG_LEVEL ?? (command === 'worker' ? 'INFO' : 'WARN')) as LogLevel;
  const bindAddress = metricsBindAddress(env);
  const json = jsonMode(env);
  const coreLevel: LogLevel = env.TRIBUTARY_LOG_LEVEL ? level : 'WARN';
  if (json) routeNodeOutputToJson();
  Runtime.install({
    logger: json ? new DefaultLogger(level, jsonLine) : new DefaultLogger(level),
    telemetryOptions: {
      // In JSON mode the core's logs come through the logger above; otherwise it prints them itself.
      // Its INFO is chatty: WARN unless a level was asked for.
      ...(json && { logging: { forward: {}, filter: { core: coreLevel, other: 'ERROR' as const } } }),
      ...(bindAddress && { metrics: { prometheus: { bindAddress } } }),
    },
  });
}
