/**
 * Tracing through Temporal's OpenTelemetry interceptors: a run is one trace, from the client's start
 * through the weeklyLoad workflow and its datasetPipeline children to each stage's activity.
 */
import { Client } from '@temporalio/client';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRetailWeek } from '../datagen';
import { tracingMode, tracingPlugin } from '../runtime/tracing';
import { createWorker } from '../workers/worker';
import type { weeklyLoad } from '../workflows';
import { tempDir } from './helpers/parquet';
import { testEnvironment, taskQueueFor } from './helpers/temporal';
import { specFor } from './helpers/weekly';

const WEEK = '2026-11-16';
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await testEnvironment();
});
afterAll(async () => {
  await env?.teardown();
});

describe('tracing', () => {
  it('is off unless TRIBUTARY_TRACING asks for it, and refuses an unknown mode', () => {
    expect(tracingPlugin(undefined, {})).toBeUndefined();
    expect(tracingMode({ TRIBUTARY_TRACING: 'console' })).toBe('console');
    expect(() => tracingMode({ TRIBUTARY_TRACING: 'jaeger' })).toThrow(
      'TRIBUTARY_TRACING must be off, otlp or console, got "jaeger"',
    );
  });

  it('records a run as one trace: start, workflow, children and stage activities', async () => {
    const data = await tempDir('tributary-trace-');
    const manifest = await generateRetailWeek({
      out: data,
      regions: 2,
      stores: 3,
      products: 30,
      days: 7,
      seed: 2,
      week: WEEK,
      substitutionShare: 0.6,
      stockoutRate: 0.15,
    });
    const exporter = new InMemorySpanExporter();
    const plugin = tracingPlugin(new SimpleSpanProcessor(exporter), { TRIBUTARY_TRACING: 'otlp' })!;
    const taskQueue = taskQueueFor('traced run');
    // Bundled here, with the plugin: its workflow interceptors must be in the bundle.
    const worker = await createWorker({ connection: env.nativeConnection, taskQueue, plugins: [plugin] });
    const client = new Client({ connection: env.connection, plugins: [plugin] });

    const report = await worker.runUntil(
      client.workflow.execute<typeof weeklyLoad>('weeklyLoad', {
        taskQueue,
        workflowId: taskQueue,
        args: [{ spec: specFor(data, await tempDir('tributary-out-')), week: WEEK }],
      }),
    );

    expect(report.status).toBe('succeeded');
    const spans = exporter.getFinishedSpans();
    const names = spans.map((s) => s.name);
    expect(names).toContain('StartWorkflow:weeklyLoad');
    expect(names).toContain('RunWorkflow:weeklyLoad');
    expect(names.filter((n) => n === 'RunWorkflow:datasetPipeline')).toHaveLength(manifest.regions.length);
    for (const activity of [
      'prepareRun',
      'readDataset',
      'readReference',
      'computeMetrics',
      'publishOutputs',
      'writeReport',
    ]) {
      expect(names, activity).toContain(`RunActivity:${activity}`);
    }
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);
  });
});
