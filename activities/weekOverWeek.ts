/**
 * Week over week: each dataset's metric totals, read back from its published outputs, compared
 * with the previous week's report in the same output root. A change beyond CHANGE_FLAG is flagged:
 * a sudden jump is more often a data problem than a business one, and someone should look.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import type { MetricTotals, RunReport, WeekChange } from '../common/report';
import type { OutputFile } from '../common/types';

/** Relative change (either way) above which a total is flagged. */
export const CHANGE_FLAG = 0.25;

const SUMS: Record<string, { where?: pl.Expr; columns: Record<string, string> }> = {
  hierarchy_sales: { where: pl.col('level').eq(pl.lit('category')), columns: { units: 'units', revenue: 'revenue' } },
  lost_sales_by_category: { columns: { expected_units: 'expected_units', substituted_units: 'substituted_units', lost_units: 'lost_units' } },
};

/** The headline totals of one dataset's outputs (units, revenue, expected/substituted/lost units). */
export async function metricTotals(outputs: OutputFile[]): Promise<MetricTotals> {
  const totals: MetricTotals = {};
  for (const output of outputs) {
    const sums = SUMS[output.table];
    if (!sums) continue;
    const scan = pl.scanParquet(output.path);
    const frame = await (sums.where ? scan.filter(sums.where) : scan)
      .select(...Object.entries(sums.columns).map(([name, column]) => pl.col(column).cast(pl.Float64).sum().alias(name)))
      .collect();
    for (const name of Object.keys(sums.columns)) totals[name] = Number(frame.getColumn(name).get(0) ?? 0);
  }
  return totals;
}

export function previousWeek(week: string): string {
  const day = new Date(`${week}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() - 7);
  return day.toISOString().slice(0, 10);
}

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
  const file = path.join(outputRoot, previousWeek(report.week), '_report.json');
  try {
    return (JSON.parse(await readFile(file, 'utf8')) as RunReport).metricTotals;
  } catch {
    return undefined;
  }
}
