/**
 * Week over week: each dataset's metric totals, read back from its published outputs (or summed as
 * a batch wrote them), compared
 * with the previous week's committed snapshot in the same output root. A change beyond CHANGE_FLAG is flagged:
 * a sudden jump is more often a data problem than a business one, and someone should look.
 */
import pl from 'nodejs-polars';
import { reportDir } from '../common/paths';
import { currentManifest } from './commit';
import { joinPath, polarsOptions, storageFor } from '../storage';
import { previousWeekOf } from '../common/week';
import type { MetricTotals, RunReport, WeekChange } from '../common/report';
import type { OutputFile } from '../common/types';
import { OUTPUT_TABLES } from '../metrics';
import type { TableTotals } from '../metrics/metric';

/** Relative change (either way) above which a total is flagged. */
export const CHANGE_FLAG = 0.25;

/** What a table's totals read, as its metric declares it (metrics/): undefined for a table without totals. */
const totalsOf = (table: string): TableTotals | undefined => OUTPUT_TABLES.get(table)?.totals;

/** The declared ratios of the sums; one whose denominator is 0 is left out (there is nothing to compare). */
function withRatios(sums: MetricTotals, totals: TableTotals): MetricTotals {
  const ratios = Object.entries(totals.ratios ?? {}).flatMap(([name, [numerator, denominator]]) => {
    const below = sums[denominator] ?? 0;
    return below === 0 ? [] : [[name, (sums[numerator] ?? 0) / below] as const];
  });
  return { ...sums, ...Object.fromEntries(ratios) };
}

/** Output files up to this size are read whole and summed in JS; bigger ones are summed by a polars query. */
const SMALL_OUTPUT_BYTES = 1 << 20;

/** The totals of one output file, summed by a lazy polars query (async, any size). */
export async function queryTotals(output: OutputFile): Promise<MetricTotals> {
  const totals = totalsOf(output.table);
  if (!totals) return {};
  const scan = pl.scanParquet(output.path, polarsOptions(output.path));
  const frame = await (totals.where ? scan.filter(pl.col(totals.where.column).eq(pl.lit(totals.where.equals))) : scan)
    .select(...Object.entries(totals.sums).map(([name, column]) => pl.col(column).cast(pl.Float64).sum().alias(name)))
    .collect();
  const sum = (name: string) => Number(frame.getColumn(name).get(0) ?? 0);
  const sums = Object.fromEntries(Object.keys(totals.sums).map((name) => [name, sum(name)]));
  return withRatios(sums, totals);
}

/**
 * The totals of one small output file: read eagerly (a fraction of a millisecond: these tables
 * are aggregates, a few hundred rows) and summed in JS. A lazy polars query costs several
 * milliseconds per file whatever its size, which at 10,000 datasets was minutes of the report.
 */
function readTotals(output: OutputFile, body: Buffer): MetricTotals {
  const totals = totalsOf(output.table);
  if (!totals) return {};
  const where = totals.where;
  const columns = [...new Set(Object.values(totals.sums))];
  const frame = pl.readParquet(body, { columns: where ? [where.column, ...columns] : columns });
  const keep = where
    ? frame
        .getColumn(where.column)
        .toArray()
        .map((value) => value === where.equals)
    : undefined;
  const sums: MetricTotals = {};
  for (const [name, column] of Object.entries(totals.sums)) {
    const values = frame.getColumn(column).toArray();
    let total = 0;
    for (let i = 0; i < values.length; i++) if (!keep || keep[i]) total += Number(values[i] ?? 0);
    sums[name] = total;
  }
  return withRatios(sums, totals);
}

/** The headline totals of one dataset's outputs, as each table's metric declares them. */
export async function metricTotals(outputs: OutputFile[]): Promise<MetricTotals> {
  const totals: MetricTotals = {};
  for (const output of outputs) {
    const declared = totalsOf(output.table);
    if (!declared) continue;
    // Summed as it was written (a batch): nothing to read back.
    if (output.sums) Object.assign(totals, withRatios(output.sums, declared));
    else if ((output.bytes ?? (await storageFor(output.path).stat(output.path))?.size ?? 0) <= SMALL_OUTPUT_BYTES) {
      const body = await storageFor(output.path).read(output.path);
      if (!body) throw new Error(`${output.path} is missing`);
      Object.assign(totals, readTotals(output, body));
    } else Object.assign(totals, await queryTotals(output));
  }
  return totals;
}

/**
 * The totals of many datasets, one after another (each `await` lets heartbeats through). A dataset
 * whose outputs cannot be read back gets no totals (an empty entry): totals are a courtesy, and
 * must not cost the report itself.
 */
export async function metricTotalsOf(
  datasets: { dataset: string; outputs: OutputFile[] }[],
): Promise<Record<string, MetricTotals>> {
  const totals: Record<string, MetricTotals> = {};
  for (const d of datasets) totals[d.dataset] = await metricTotals(d.outputs).catch(() => ({}));
  return totals;
}

export const previousWeek = previousWeekOf;

/** Every metric present in both weeks, per dataset, with its relative change and whether it is flagged. */
export function compareWeeks(
  current: Record<string, MetricTotals>,
  previous: Record<string, MetricTotals>,
): WeekChange[] {
  const changes: WeekChange[] = [];
  for (const [dataset, totals] of Object.entries(current)) {
    for (const [metric, value] of Object.entries(totals)) {
      const before = previous[dataset]?.[metric];
      if (before === undefined) continue;
      const change = before === 0 ? (value === 0 ? 0 : Infinity) : (value - before) / Math.abs(before);
      changes.push({
        dataset,
        metric,
        previous: before,
        current: value,
        change,
        flagged: Math.abs(change) > CHANGE_FLAG,
      });
    }
  }
  return changes;
}

/**
 * The previous week's totals: those its committed snapshot keeps for each of its datasets; for a
 * week committed before snapshots existed, those of its report, if there is one.
 */
export async function previousTotals(
  report: RunReport,
  outputRoot: string,
): Promise<Record<string, MetricTotals> | undefined> {
  const week = previousWeek(report.week);
  const { manifest } = await currentManifest(outputRoot, week).catch(() => ({ manifest: undefined }));
  if (manifest) return Object.fromEntries(manifest.datasets.map((d) => [d.dataset, d.metricTotals ?? {}]));
  const file = joinPath(reportDir(outputRoot, week), '_report.json');
  try {
    return (JSON.parse((await storageFor(file).read(file))?.toString('utf8') ?? 'null') as RunReport | null)
      ?.metricTotals;
  } catch {
    return undefined;
  }
}
