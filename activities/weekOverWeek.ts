/**
 * Week over week: each dataset's metric totals, read back from its published outputs, compared
 * with the previous week's report in the same output root. A change beyond CHANGE_FLAG is flagged:
 * a sudden jump is more often a data problem than a business one, and someone should look.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { reportDir } from '../common/paths';
import { previousWeekOf } from '../common/week';
import type { MetricTotals, RunReport, WeekChange } from '../common/report';
import type { OutputFile } from '../common/types';

/** Relative change (either way) above which a total is flagged. */
export const CHANGE_FLAG = 0.25;

/** What each table's totals sum, over which rows (`where`: only rows whose column equals the value). */
const SUMS: Record<string, { where?: { column: string; equals: string }; columns: Record<string, string> }> = {
  hierarchy_sales: { where: { column: 'level', equals: 'category' }, columns: { units: 'units', revenue: 'revenue' } },
  lost_sales_by_category: { columns: { expected_units: 'expected_units', substituted_units: 'substituted_units', lost_units: 'lost_units' } },
};

/** Output files up to this size are read whole and summed in JS; bigger ones are summed by a polars query. */
const SMALL_OUTPUT_BYTES = 1 << 20;

/** The totals of one output file, summed by a lazy polars query (async, any size). */
export async function queryTotals(output: OutputFile): Promise<MetricTotals> {
  const sums = SUMS[output.table];
  if (!sums) return {};
  const scan = pl.scanParquet(output.path);
  const frame = await (sums.where ? scan.filter(pl.col(sums.where.column).eq(pl.lit(sums.where.equals))) : scan)
    .select(...Object.entries(sums.columns).map(([name, column]) => pl.col(column).cast(pl.Float64).sum().alias(name)))
    .collect();
  return Object.fromEntries(Object.keys(sums.columns).map((name) => [name, Number(frame.getColumn(name).get(0) ?? 0)]));
}

/**
 * The totals of one small output file: read eagerly (a fraction of a millisecond: these tables
 * are aggregates, a few hundred rows) and summed in JS. A lazy polars query costs several
 * milliseconds per file whatever its size, which at 10,000 datasets was minutes of the report.
 */
function readTotals(output: OutputFile): MetricTotals {
  const sums = SUMS[output.table];
  if (!sums) return {};
  const where = sums.where;
  const columns = Object.values(sums.columns);
  const frame = pl.readParquet(output.path, { columns: where ? [where.column, ...columns] : columns });
  const keep = where ? frame.getColumn(where.column).toArray().map((value) => value === where.equals) : undefined;
  const totals: MetricTotals = {};
  for (const [name, column] of Object.entries(sums.columns)) {
    const values = frame.getColumn(column).toArray();
    let total = 0;
    for (let i = 0; i < values.length; i++) if (!keep || keep[i]) total += Number(values[i] ?? 0);
    totals[name] = total;
  }
  return totals;
}

/** The headline totals of one dataset's outputs (units, revenue, expected/substituted/lost units). */
export async function metricTotals(outputs: OutputFile[]): Promise<MetricTotals> {
  const totals: MetricTotals = {};
  for (const output of outputs) {
    if (!SUMS[output.table]) continue;
    const small = (await stat(output.path)).size <= SMALL_OUTPUT_BYTES;
    Object.assign(totals, small ? readTotals(output) : await queryTotals(output));
  }
  return totals;
}

/**
 * The totals of many datasets, one after another (each `await` lets heartbeats through). A dataset
 * whose outputs cannot be read back gets no totals (an empty entry): totals are a courtesy, and
 * must not cost the report itself.
 */
export async function metricTotalsOf(datasets: { dataset: string; outputs: OutputFile[] }[]): Promise<Record<string, MetricTotals>> {
  const totals: Record<string, MetricTotals> = {};
  for (const d of datasets) totals[d.dataset] = await metricTotals(d.outputs).catch(() => ({}));
  return totals;
}

export const previousWeek = previousWeekOf;

/** Every metric present in both weeks, per dataset, with its relative change and whether it is flagged. */
export function compareWeeks(current: Record<string, MetricTotals>, previous: Record<string, MetricTotals>): WeekChange[] {
  const changes: WeekChange[] = [];
  for (const [dataset, totals] of Object.entries(current)) {
    for (const [metric, value] of Object.entries(totals)) {
      const before = previous[dataset]?.[metric];
      if (before === undefined) continue;
      const change = before === 0 ? (value === 0 ? 0 : Infinity) : (value - before) / Math.abs(before);
      changes.push({ dataset, metric, previous: before, current: value, change, flagged: Math.abs(change) > CHANGE_FLAG });
    }
  }
  return changes;
}

/** The previous week's totals from its report, if there is one. */
export async function previousTotals(report: RunReport, outputRoot: string): Promise<Record<string, MetricTotals> | undefined> {
  const file = path.join(reportDir(outputRoot, previousWeek(report.week)), '_report.json');
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as RunReport).metricTotals;
  } catch {
    return undefined;
  }
}
