/**
 * OpenTelemetry tracing through Temporal's interceptors, off by default. TRIBUTARY_TRACING=otlp
 * exports spans over OTLP/HTTP (the standard OTEL_EXPORTER_OTLP_ENDPOINT, default
 * http://localhost:4318), `console` prints them. A run is one trace: the client's start, the
 * weeklyLoad workflow, each datasetPipeline child and each stage activity, linked across processes
 * by the headers Temporal carries.
 */
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';

export type TracingMode = 'off' | 'otlp' | 'console';

export function tracingMode(env: NodeJS.ProcessEnv = process.env): TracingMode {
  const mode = env.TRIBUTARY_TRACING ?? 'off';
  if (mode !== 'off' && mode !== 'otlp' && mode !== 'console')
    throw new Error(`TRIBUTARY_TRACING must be off, otlp or console, got "${mode}"`);
  return mode;
}

/** The plugin for both the client and the worker (it configures each side), or none when off. */
export function tracingPlugin(
  spanProcessor?: SpanProcessor,
  env: NodeJS.ProcessEnv = process.env,
): OpenTelemetryPlugin | undefined {
  const mode = tracingMode(env);
  const processor =
    spanProcessor ??
    (mode === 'otlp'
      ? new BatchSpanProcessor(new OTLPTraceExporter())
      : mode === 'console'
        ? new SimpleSpanProcessor(new ConsoleSpanExporter())
        : undefined);
  if (!processor) return undefined;
  const resource = new Resource({ 'service.name': env.OTEL_SERVICE_NAME ?? 'tributary' });
  // Workflow spans leave the sandbox through the plugin's sink; client and activity spans use the
  // global tracer provider, so it gets the same processor.
  const provider = new BasicTracerProvider({ resource });
  provider.addSpanProcessor(processor);
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable() });
  return new OpenTelemetryPlugin({ resource, spanProcessor: processor });
}
