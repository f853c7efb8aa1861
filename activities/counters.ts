/**
 * The pipeline's own Prometheus counters (and a duration histogram), next to Temporal's runtime
 * metrics on the worker's endpoint (TRIBUTARY_METRICS_PORT): stage attempts, failures and durations
 * per stage; datasets processed per status; rows read and written. Not the business metrics that
 * runs compute (metrics/). Tags stay low-cardinality (stage, status, error type): per-dataset
 * detail belongs in the run report and logs, not in metric labels.
 */
import type { MetricMeter } from '@temporalio/common';
import type { DatasetSummary } from '../common/types';

type Outcome = {
  rowsIn?: { transactions: number; stock: number };
  outputs?: { rows: number }[];
  summaries?: DatasetSummary[];
};

const rowsOf = (rowsIn?: { transactions: number; stock: number }) => (rowsIn ? rowsIn.transactions + rowsIn.stock : 0);

export function recordStage(
  meter: MetricMeter,
  stage: string,
  durationMs: number,
  result: Outcome | undefined,
  error?: { type: string; final: boolean },
): void {
  meter.createCounter('tributary_stage_attempts', 'attempts', 'Stage attempts started').add(1, { stage });
  meter
    .createHistogram('tributary_stage_duration', 'int', 'ms', 'Duration of stage attempts')
    .record(Math.round(durationMs), { stage, outcome: error ? 'failed' : 'ok' });
  if (error) {
    meter
      .createCounter('tributary_stage_failures', 'failures', 'Failed stage attempts')
      .add(1, { stage, error_type: error.type, final: String(error.final) });
    return;
  }
  const datasets = meter.createCounter('tributary_datasets_processed', 'datasets', 'Datasets processed, by status');
  const read = meter.createCounter('tributary_rows_read', 'rows', 'Input rows of the week read');
  const written = meter.createCounter('tributary_rows_written', 'rows', 'Output rows published');
  if (result?.rowsIn) read.add(rowsOf(result.rowsIn));
  if (stage === 'write' && result?.outputs) {
    datasets.add(1, { status: 'succeeded' });
    written.add(result.outputs.reduce((n, o) => n + o.rows, 0));
  }
  for (const s of result?.summaries ?? []) {
    datasets.add(1, { status: s.status });
    read.add(rowsOf(s.rowsIn));
    if (s.status === 'succeeded') written.add(s.outputs.reduce((n, o) => n + o.rows, 0));
  }
}
