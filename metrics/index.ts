/**
 * The metric registry: every metric a pipeline spec can ask for. Each is declared in its own file
 * (metrics/metric.ts says what a declaration holds) and listed here once. The compute stage, the
 * batch, the report's totals, spec validation and the run page read metrics from here and name none.
 */
import { hierarchySalesMetric } from './hierarchySales';
import { lostSalesMetric } from './lostSales';
import type { Metric, OutputTable, TableTotals } from './metric';
import { shelfAvailabilityMetric } from './shelfAvailability';

const REGISTERED = [hierarchySalesMetric, lostSalesMetric, shelfAvailabilityMetric] as const;

type Registered = (typeof REGISTERED)[number];
export type MetricName = Registered['name'];
export type { Metric, MetricInputs } from './metric';

export const METRICS = Object.fromEntries(REGISTERED.map((m) => [m.name, m])) as {
  [N in MetricName]: Extract<Registered, { name: N }>;
};
export const METRIC_NAMES = REGISTERED.map((m) => m.name) as [MetricName, ...MetricName[]];

/** The metric of a name from a validated spec (an unknown name is a bug: specs are checked on submit). */
export function metricOf(name: string): Metric {
  const metric: Metric | undefined = REGISTERED.find((m) => m.name === name);
  if (!metric) throw new Error(`No metric "${name}" in the registry (metrics/index.ts): ${METRIC_NAMES.join(', ')}`);
  return metric;
}

/** An output table's declaration, with the metric that writes it. */
export interface RegisteredTable extends OutputTable {
  name: string;
  metric: Metric;
}

/** Every output table by name. Names are unique across metrics: they name the output files. */
export const OUTPUT_TABLES: ReadonlyMap<string, RegisteredTable> = (() => {
  const tables = new Map<string, RegisteredTable>();
  const totals = new Set<string>();
  for (const metric of REGISTERED as readonly Metric[]) {
    for (const [name, table] of Object.entries<OutputTable>(metric.tables)) {
      const other = tables.get(name);
      if (other) throw new Error(`Metrics ${other.metric.name} and ${metric.name} both write table ${name}`);
      tables.set(name, { ...table, name, metric });
      // The report keys totals by name alone: two metrics must not give the same name.
      for (const total of totalNames(table.totals)) {
        if (totals.has(total)) throw new Error(`Total ${total} of metric ${metric.name} is also another metric's`);
        totals.add(total);
      }
    }
  }
  return tables;
})();

/** The names of the totals a table declares, sums then ratios. */
export function totalNames(totals: TableTotals | undefined): string[] {
  return totals ? [...Object.keys(totals.sums), ...Object.keys(totals.ratios ?? {})] : [];
}

/** Each metric's report totals in registry order (`ratio`: a share, not a sum), for pages that show them. */
export function totalsByMetric(): { metric: Metric; totals: { name: string; ratio: boolean }[] }[] {
  return (REGISTERED as readonly Metric[])
    .map((metric) => ({
      metric,
      totals: Object.values<OutputTable>(metric.tables).flatMap((t) => [
        ...Object.keys(t.totals?.sums ?? {}).map((name) => ({ name, ratio: false })),
        ...Object.keys(t.totals?.ratios ?? {}).map((name) => ({ name, ratio: true })),
      ]),
    }))
    .filter((m) => m.totals.length > 0);
}
