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

/** Files per polars plan when totalling many datasets at once. */
const TOTALS_CHUNK = 250;

/**
 * The headline totals of many datasets' outputs: for each table, one polars plan per chunk of
 * files (a row of sums per file) instead of one per file, since at thousands of small datasets the
 * cost of a plan, not of the data, is what counts. A chunk polars cannot read is totalled again
 * file by file, and a dataset whose outputs cannot be read back gets no totals (an empty entry):
 * totals are a courtesy, and must not cost the report itself.
 */
export async function metricTotalsOf(datasets: { dataset: string; outputs: OutputFile[] }[]): Promise<Record<string, MetricTotals>> {
  const totals: Record<string, MetricTotals> = Object.fromEntries(datasets.map((d) => [d.dataset, {}]));
  const unreadable = new Set<string>();
  for (const [table, sums] of Object.entries(SUMS)) {
    const files = datasets.flatMap((d) => d.outputs.filter((o) => o.table === table).map((o) => ({ dataset: d.dataset, path: o.path })));
    for (let from = 0; from < files.length; from += TOTALS_CHUNK) {
      const chunk = files.slice(from, from + TOTALS_CHUNK);
      let frame: pl.DataFrame | undefined;
      try {
        const plans = chunk.map((file, i) => {
          const scan = pl.scanParquet(file.path);
          return (sums.where ? scan.filter(sums.where) : scan).select(
            pl.lit(i).cast(pl.Int32).alias('__file'),
            ...Object.entries(sums.columns).map(([name, column]) => pl.col(column).cast(pl.Float64).sum().alias(name)),
          );
        });
        frame = await pl.concat(plans, { how: 'vertical' }).collect();
      } catch {
        frame = undefined;
      }
      if (frame) {
        for (const row of frame.toRecords()) {
          const file = chunk[Number(row.__file)]!;
          for (const name of Object.keys(sums.columns)) totals[file.dataset]![name] = Number(row[name] ?? 0);
        }
        continue;
      }
      for (const file of chunk) {
        try {
          Object.assign(totals[file.dataset]!, await metricTotals([{ table, path: file.path, rows: 0 }]));
        } catch {
          unreadable.add(file.dataset);
        }
      }
    }
  }
  for (const dataset of unreadable) totals[dataset] = {};
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
