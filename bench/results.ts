/**
 * The shape of bench/results/<scenario>.json, the targets of the issue "Fast and bounded at any
 * size" evaluated on them, and BENCHMARKS.md rendered from them (only the block between the
 * markers is generated; text outside it is kept).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes, GiB } from '../common/bytes';
import { type CrossCheck, describeCheck, largestDifference } from './crossCheck';
import type { SideMeasurements } from './monitor';

export const SCENARIOS = ['default', 'large', 'small1k', 'small10k'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface Machine {
  cpuModel: string;
  cpus: number;
  ramBytes: number;
  os: string;
  kernel: string;
  node: string;
  polars: string;
  temporalSdk: string;
  temporalCli: string;
  /** @duckdb/node-api, for the DuckDB sides (absent in results from before them). */
  duckdb?: string;
}

export interface Sizes {
  datasets: number;
  stores: number;
  products: number;
  days: number;
  rows: { transactions: number; stock: number; total: number };
  inputBytes: number;
  files: number;
}

export interface SideResult {
  side: string;
  label: string;
  /** When this side was measured, and when the suite run that measured it started. */
  measuredAt?: string;
  suiteStartedAt?: string;
  settings: Record<string, unknown>;
  wallSeconds: number;
  datasetsPerSecond: number;
  rowsPerSecond: number;
  msPerDataset: number;
  ratioToBestBaseline: number;
  /** succeeded / failed / ... datasets (baselines: all computed or an error). */
  outcome: Record<string, number | string>;
  measurements: SideMeasurements;
  /** Tributary sides without batching: each stage's durations summed over datasets, seconds. */
  stageSeconds?: Record<string, number>;
  error?: string;
  /** A failed side: how long after its start it failed (worker creation included). */
  failedAfterSeconds?: number;
  /** DuckDB sides: their outputs compared with Tributary's (bench/crossCheck.ts). */
  crossCheck?: CrossCheck;
}

export interface TargetResult {
  target: string;
  measured: string;
  /** null: not measured in this run. */
  met: boolean | null;
}

export interface ScenarioResult {
  scenario: ScenarioName;
  title: string;
  measuredAt: string;
  suiteStartedAt: string;
  command: string;
  machine: Machine;
  method: string[];
  sizes: Sizes;
  datagen: { seconds: number; files: number; note: string };
  sides: SideResult[];
  targets: TargetResult[];
  /**
   * Estimated compute footprints (estimateFootprint, activities/admission.ts): the largest single
   * dataset's, and the naive concurrent one: the `parallelism` largest datasets at once.
   */
  footprint?: { parallelism: number; concurrentBytes: number; largestDatasetBytes: number };
  notes: string[];
}

/** A size for the tables; `n/a` where a side did not measure it. */
export const bytesOrNa = (bytes: number | undefined): string => (bytes === undefined ? 'n/a' : formatBytes(bytes));

export const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const seconds = (s: number) => (s >= 100 ? `${fmt(s, 0)} s` : `${fmt(s, 1)} s`);

export function bestBaseline(sides: SideResult[]): SideResult | undefined {
  return sides
    .filter((s) => s.side.startsWith('baseline') && !s.error)
    .sort((a, b) => a.wallSeconds - b.wallSeconds)[0];
}

const TARGETS = {
  default: 1.15,
  large: 1.05,
  scaling: 1.2,
  small: 2,
};

/**
 * Issue 14: Tributary against the DuckDB baseline of each scenario: wall time (and CPU time where
 * `cpu`) at most `limit` times DuckDB's.
 */
const DUCKDB_TARGETS: Partial<Record<ScenarioName, { side: string; limit: number; cpu: boolean }>> = {
  default: { side: 'duckdb', limit: 1.5, cpu: true },
  large: { side: 'duckdb', limit: 1.5, cpu: true },
  small1k: { side: 'duckdb-single-query', limit: 4, cpu: false },
};

const runOfSide = (r: Pick<ScenarioResult, 'suiteStartedAt'>, s: SideResult) => s.suiteStartedAt ?? r.suiteStartedAt;

/** Tributary's wall and CPU time over a DuckDB side's, when both were measured. */
export function versusDuckdb(
  r: Pick<ScenarioResult, 'sides' | 'suiteStartedAt'>,
  sideId: string,
): { wall: number; cpu: number; tributary: SideResult; duckdb: SideResult; sameRun: boolean } | undefined {
  const tributary = r.sides.find((s) => s.side === 'tributary');
  const duckdb = r.sides.find((s) => s.side === sideId);
  if (!tributary || !duckdb || tributary.error || duckdb.error) return undefined;
  return {
    wall: tributary.wallSeconds / duckdb.wallSeconds,
    cpu: tributary.measurements.cpu.thisProcessSeconds / duckdb.measurements.cpu.thisProcessSeconds,
    tributary,
    duckdb,
    sameRun: runOfSide(r, tributary) === runOfSide(r, duckdb),
  };
}

/** The issue-14 targets of one scenario: Tributary against DuckDB, and DuckDB's outputs equal to Tributary's. */
function duckdbTargets(r: Pick<ScenarioResult, 'scenario' | 'sides' | 'suiteStartedAt'>): TargetResult[] {
  const targets: TargetResult[] = [];
  const goal = DUCKDB_TARGETS[r.scenario];
  if (goal) {
    const target = `${r.scenario}: Tributary within ${goal.limit}x of DuckDB (${goal.side}) in wall time${goal.cpu ? ' and CPU time' : ''}`;
    const tributary = r.sides.find((s) => s.side === 'tributary');
    const duckdb = r.sides.find((s) => s.side === goal.side);
    const vs = versusDuckdb(r, goal.side);
    if (vs) {
      const apart = vs.sameRun
        ? ''
        : ` (measured in different runs: ${vs.tributary.measuredAt ?? '?'}, ${vs.duckdb.measuredAt ?? '?'})`;
      targets.push({
        target,
        measured: `${vs.wall.toFixed(2)}x wall time (${seconds(vs.tributary.wallSeconds)} vs ${seconds(vs.duckdb.wallSeconds)}); CPU time ${vs.cpu.toFixed(2)}x (${seconds(vs.tributary.measurements.cpu.thisProcessSeconds)} vs ${seconds(vs.duckdb.measurements.cpu.thisProcessSeconds)})${apart}`,
        met: vs.wall <= goal.limit && (!goal.cpu || vs.cpu <= goal.limit),
      });
    } else {
      const why = !tributary
        ? 'Tributary not measured'
        : !duckdb
          ? `${goal.side} not measured`
          : (tributary.error ?? `${goal.side} failed: ${duckdb.error}`);
      targets.push({ target, measured: why, met: tributary?.error ? false : null });
    }
  }
  for (const side of r.sides.filter((s) => s.side.startsWith('duckdb'))) {
    const target = `${r.scenario}: DuckDB (${side.side}) outputs equal to Tributary's within float noise`;
    if (side.error) targets.push({ target, measured: `the side failed: ${side.error}`, met: null });
    else if (!side.crossCheck) targets.push({ target, measured: 'not compared', met: null });
    else targets.push({ target, measured: describeCheck(side.crossCheck), met: side.crossCheck.equal });
  }
  return targets;
}

const mark = (met: boolean | null) => (met === null ? 'not measured' : met ? 'met' : '**NOT met**');

/** The targets one scenario's own figures decide (the 10k-vs-1k scaling one is added by the suite). */
export function scenarioTargets(
  r: Pick<ScenarioResult, 'scenario' | 'sides' | 'footprint' | 'suiteStartedAt'>,
  memoryBudget: number,
): TargetResult[] {
  return [...fastAndBoundedTargets(r, memoryBudget), ...duckdbTargets(r)];
}

/** The targets of the issue "Fast and bounded at any size". */
function fastAndBoundedTargets(
  r: Pick<ScenarioResult, 'scenario' | 'sides' | 'footprint'>,
  memoryBudget: number,
): TargetResult[] {
  const best = bestBaseline(r.sides);
  const tributary = r.sides.find((s) => s.side === 'tributary');
  const ratio = (limit: number, what: string): TargetResult => {
    if (!best || !tributary || tributary.error)
      return { target: what, measured: tributary?.error ?? 'no result', met: tributary?.error ? false : null };
    const value = tributary.wallSeconds / best.wallSeconds;
    const cpu = tributary.measurements.cpu.thisProcessSeconds / best.measurements.cpu.thisProcessSeconds;
    return {
      target: what,
      measured: `${value.toFixed(2)}x wall time (${seconds(tributary.wallSeconds)} vs ${best.label} ${seconds(best.wallSeconds)}); CPU time ${cpu.toFixed(2)}x (${seconds(tributary.measurements.cpu.thisProcessSeconds)} vs ${seconds(best.measurements.cpu.thisProcessSeconds)})`,
      met: value <= limit,
    };
  };
  const memory = (what: string, sideId = 'tributary-budget'): TargetResult => {
    const budget = r.sides.find((s) => s.side === sideId);
    const limit =
      budget && typeof budget.settings.memoryBudget === 'number' ? budget.settings.memoryBudget : memoryBudget;
    const target = `${what}: worker peak RSS under its ${bytesOrNa(limit)} memory budget with parallelism 8, on datasets whose naive concurrent footprint exceeds the budget`;
    if (!budget) return { target, measured: 'not run', met: null };
    if (budget.error) return { target, measured: budget.error, met: false };
    const peak = budget.measurements.peakRssBytes;
    const naive = r.footprint?.concurrentBytes ?? 0;
    const pool = r.sides.find((s) => s.side === 'baseline-pool');
    return {
      target,
      measured: `${bytesOrNa(peak)} peak RSS of the worker process (${budget.measurements.peakRssMethod}; ${bytesOrNa(budget.measurements.rssAtStartBytes)} at start); naive concurrent footprint (${r.footprint?.parallelism} datasets at once) ${bytesOrNa(naive)} estimated${pool && !pool.error ? `, ${bytesOrNa(pool.measurements.peakRssBytes)} peak RSS measured for the in-process pool of 4` : ''}; largest single dataset ${bytesOrNa(r.footprint?.largestDatasetBytes)} estimated; wall ${seconds(budget.wallSeconds)}`,
      met: (peak ?? Infinity) < limit && naive > limit,
      ...(naive <= limit
        ? {
            measured: `(sizes too small for this target: the naive concurrent footprint ${bytesOrNa(naive)} does not exceed the budget) ${bytesOrNa(peak)} peak RSS`,
          }
        : {}),
    };
  };
  switch (r.scenario) {
    case 'default':
      return [
        ratio(TARGETS.default, `default sample: Tributary within ${TARGETS.default}x of the best in-process baseline`),
        ...(r.sides.some((s) => s.side === 'tributary-budget') ? [memory('(supplementary) default sample')] : []),
      ];
    case 'large':
      return [
        ratio(TARGETS.large, `large datasets: Tributary within ${TARGETS.large}x of the best in-process baseline`),
        memory('large datasets'),
        // A budget one dataset fits in, but not two: what admission is for.
        ...(r.sides.some((s) => s.side === 'tributary-budget-roomy')
          ? [memory('(supplementary) large datasets', 'tributary-budget-roomy')]
          : []),
      ];
    case 'small10k': {
      const pool = r.sides.find((s) => s.side === 'baseline-pool');
      const forSide = (id: string, prefix: string): TargetResult[] => {
        const side = r.sides.find((s) => s.side === id);
        if (!side) return [];
        const completes: TargetResult = {
          target: `${prefix}completes`,
          measured: side.error
            ? `failed${side.failedAfterSeconds !== undefined ? ` after ${seconds(side.failedAfterSeconds)}` : ''}: ${side.error}`
            : `${side.outcome.succeeded ?? 0} of ${side.outcome.datasets ?? '?'} datasets succeeded, ${side.outcome.failed ?? 0} failed`,
          met: !side.error && side.outcome.failed === 0 && side.outcome.succeeded === side.outcome.datasets,
        };
        const target = `${prefix}Tributary within ${TARGETS.small}x of the in-process pool`;
        const vsPool: TargetResult =
          !pool || side.error || pool.error
            ? {
                target,
                measured: side.error ? 'the run failed' : (pool?.error ?? 'pool not measured'),
                met: side.error ? false : null,
              }
            : {
                target,
                measured: `${(side.wallSeconds / pool.wallSeconds).toFixed(2)}x wall time (${seconds(side.wallSeconds)} vs ${seconds(pool.wallSeconds)}); CPU time ${(side.measurements.cpu.thisProcessSeconds / pool.measurements.cpu.thisProcessSeconds).toFixed(2)}x`,
                met: side.wallSeconds / pool.wallSeconds <= TARGETS.small,
              };
        return [completes, vsPool];
      };
      const parts = r.sides.find((s) => s.side === 'tributary-parts');
      const partsLabel = parts
        ? `(supplementary, with continueAsNewAfter ${String(parts.settings.continueAsNewAfter)}) `
        : '';
      return [
        ...forSide('tributary', '10,000 small datasets: '),
        ...forSide('tributary-parts', `${partsLabel}10,000 small datasets: `),
      ];
    }
    default:
      return [];
  }
}

/** Per-dataset cost of Tributary at 10,000 against 1,000 small datasets (the 1,000 run is the plain batched one). */
export function scalingTarget(
  small10k: ScenarioResult,
  small1k: ScenarioResult | undefined,
  side = 'tributary',
): TargetResult {
  const big = small10k.sides.find((s) => s.side === side);
  const prefix =
    side === 'tributary' ? '' : `(supplementary, with continueAsNewAfter ${String(big?.settings.continueAsNewAfter)}) `;
  const target = `${prefix}10,000 small datasets: Tributary's per-dataset cost at most ${TARGETS.scaling}x that at 1,000`;
  const small = small1k?.sides.find((s) => s.side === 'tributary');
  if (!big || !small || big.error || small.error)
    return {
      target,
      measured: big?.error ? 'the 10,000 run failed' : (small?.error ?? 'small1k not measured'),
      met: big?.error ? false : null,
    };
  const value = big.msPerDataset / small.msPerDataset;
  const runOf = (x: SideResult, r: ScenarioResult) => x.suiteStartedAt ?? r.suiteStartedAt;
  const earlier =
    runOf(small, small1k!) !== runOf(big, small10k)
      ? ` (1,000 and 10,000 measured in different runs: ${small.measuredAt ?? small1k!.measuredAt}, ${big.measuredAt ?? small10k.measuredAt})`
      : '';
  return {
    target,
    measured: `${value.toFixed(2)}x (${fmt(big.msPerDataset, 1)} vs ${fmt(small.msPerDataset, 1)} ms per dataset)${earlier}`,
    met: value <= TARGETS.scaling,
  };
}

export async function readResults(dir: string): Promise<ScenarioResult[]> {
  const found: ScenarioResult[] = [];
  for (const name of SCENARIOS) {
    const file = path.join(dir, `${name}.json`);
    if (existsSync(file)) found.push(JSON.parse(await readFile(file, 'utf8')) as ScenarioResult);
  }
  return found;
}

const BEGIN =
  '<!-- bench:begin: generated by `npm run bench` (bench/suite.ts) from bench/results/*.json; text outside these markers is kept -->';
const END = '<!-- bench:end -->';

export function renderBenchmarks(results: ScenarioResult[], relResults: string): string {
  const latest = [...results].sort((a, b) => b.measuredAt.localeCompare(a.measuredAt))[0];
  const lines: string[] = [BEGIN, ''];
  if (!latest) return [...lines, 'No results yet: run `npm run bench`.', '', END].join('\n');
  const m = latest.machine;
  const runOf = (r: ScenarioResult, s: SideResult) => s.suiteStartedAt ?? r.suiteStartedAt;
  const runs = [...new Set(results.flatMap((r) => [r.suiteStartedAt, ...r.sides.map((s) => runOf(r, s))]))].sort();
  const runNo = (r: ScenarioResult, s: SideResult) =>
    runs.length > 1 ? ` (run ${runs.indexOf(runOf(r, s)) + 1})` : '';
  lines.push(
    '## Machine',
    '',
    `${m.cpus} × ${m.cpuModel}, ${(m.ramBytes / GiB).toFixed(1)} GiB RAM, ${m.os} (kernel ${m.kernel}), Node ${m.node}, nodejs-polars ${m.polars}, Temporal TS SDK ${m.temporalSdk}, Temporal CLI ${m.temporalCli} dev server.`,
    runs.length === 1
      ? `All scenarios below come from one \`npm run bench\` run started ${runs[0]}.`
      : `The figures below come from ${runs.length} runs of the suite, started ${runs.map((r, i) => `${r} (run ${i + 1})`).join(', ')}; each result row names its run.`,
    '',
    '## Method',
    '',
    ...latest.method.map((l) => `- ${l}`),
    '',
    '## Sizes',
    '',
    '| scenario | datasets | stores × products × days | input rows per dataset | input rows in all | input parquet | data generation (not timed below) | measured |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |',
    ...results.map(
      (r) =>
        `| ${r.scenario} | ${fmt(r.sizes.datasets)} | ${r.sizes.stores} × ${r.sizes.products} × ${r.sizes.days} | ${fmt(r.sizes.rows.total / r.sizes.datasets)} | ${fmt(r.sizes.rows.total)} | ${bytesOrNa(r.sizes.inputBytes)} in ${fmt(r.sizes.files)} files | ${seconds(r.datagen.seconds)} | ${r.measuredAt.slice(0, 16).replace('T', ' ')} UTC |`,
    ),
    '',
    'Input rows are transactions + stock rows (stock = stores × products × days per dataset).',
    '',
    '## Results',
    '',
    "| scenario | side | wall time | datasets/s | rows/s | ms per dataset | vs best baseline | CPU time | worker peak RSS | (200 ms samples) | RSS at start | dev server peak RSS | other processes' CPU |",
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const r of results) {
    for (const s of r.sides) {
      if (s.error) {
        lines.push(
          `| ${r.scenario} | ${s.label}${runNo(r, s)} | failed${s.failedAfterSeconds !== undefined ? ` after ${seconds(s.failedAfterSeconds)}` : ''}: ${s.error.replace(/\|/g, '/').slice(0, 160)} | | | | | | | | | | |`,
        );
        continue;
      }
      const ms = s.measurements;
      lines.push(
        `| ${r.scenario} | ${s.label}${runNo(r, s)} | ${seconds(s.wallSeconds)} | ${fmt(s.datasetsPerSecond, s.datasetsPerSecond < 10 ? 2 : 1)} | ${fmt(s.rowsPerSecond)} | ${fmt(s.msPerDataset, 1)} | ${s.ratioToBestBaseline.toFixed(2)}× | ${seconds(ms.cpu.thisProcessSeconds)} | ${bytesOrNa(ms.peakRssBytes)} | ${bytesOrNa(ms.sampledPeakRssBytes)} | ${bytesOrNa(ms.rssAtStartBytes)} | ${ms.devServerPeakRssBytes === undefined ? '–' : bytesOrNa(ms.devServerPeakRssBytes)} | ${(ms.cpu.otherProcessesShare * 100).toFixed(0)}% |`,
      );
    }
  }
  lines.push(
    '',
    '"Worker peak RSS" is the peak resident memory of the process the work ran in: the suite\'s own process for the baselines and the in-process worker, a fresh worker process for the memory-budget sides. It is the kernel\'s high-water mark `VmHWM` from `/proc/<pid>/status`, reset at the start of each side by writing `5` to `/proc/<pid>/clear_refs`, so it includes what the process already held when the side started ("RSS at start": in the suite\'s process, mostly memory earlier sides freed but glibc malloc kept). The 200 ms column is the largest RSS sample, as a cross-check. "CPU time" is the CPU seconds (all threads) the benchmark used during the side: this process, plus the worker process for the budget sides, without the dev server; unlike wall time it hardly depends on what else runs on the machine. "Other processes\' CPU" is CPU time used by everything except this benchmark (its worker process included) and its dev server during the side, as a share of the whole machine (from `/proc/stat`): above a few percent, another workload competed for the cores.',
    '',
    ...againstDuckdb(results, runNo),
    '## Targets',
    '',
    '| target | measured | |',
    '| --- | --- | --- |',
    ...results
      .flatMap((r) => r.targets)
      .sort((a, b) => Number(a.target.startsWith('(supplementary')) - Number(b.target.startsWith('(supplementary')))
      .map((t) => `| ${t.target} | ${t.measured.replace(/\|/g, '/')} | ${mark(t.met)} |`),
    '',
    '## Conditions',
    '',
    ...results.map((r) => {
      const loads = r.sides.map(
        (s) => `${s.side} ${s.measurements?.loadAverage.start[0] ?? '?'}→${s.measurements?.loadAverage.end[0] ?? '?'}`,
      );
      const others = [...new Set(r.sides.flatMap((s) => s.measurements?.otherWorkSeen ?? []))];
      const busiest = Math.max(...r.sides.map((s) => s.measurements?.cpu.otherProcessesShare ?? 0));
      return `- ${r.scenario}: 1-minute load average at start→end of each side: ${loads.join(', ')}. Other processes took up to ${(busiest * 100).toFixed(0)}% of the machine's CPU during a side. ${others.length > 0 ? `Seen running meanwhile: ${others.map((o) => `\`${o}\``).join(', ')}.` : 'No test run (vitest/tsc) by anyone else was seen during it.'}`;
    }),
    '',
    ...results.flatMap((r) =>
      r.notes.length > 0 ? [`Notes on ${r.scenario}:`, '', ...r.notes.map((n) => `- ${n}`), ''] : [],
    ),
    `Raw figures: ${results.map((r) => `[${r.scenario}.json](${relResults}/${r.scenario}.json)`).join(', ')}; the incremental-run benchmark: [incremental.md](${relResults}/incremental.md).`,
    '',
    END,
  );
  return lines.join('\n');
}

/**
 * Tributary over each DuckDB side, scenario by scenario, and whether DuckDB's outputs equal
 * Tributary's (issue 14). Empty when no DuckDB side was measured.
 */
function againstDuckdb(results: ScenarioResult[], runNo: (r: ScenarioResult, s: SideResult) => string): string[] {
  const rows: string[] = [];
  for (const r of results) {
    for (const d of r.sides.filter((s) => s.side.startsWith('duckdb'))) {
      const vs = versusDuckdb(r, d.side);
      const t = r.sides.find((s) => s.side === 'tributary');
      const cpu = (s: SideResult | undefined) => (s && !s.error ? seconds(s.measurements.cpu.thisProcessSeconds) : '–');
      const wall = (s: SideResult | undefined) => (s && !s.error ? seconds(s.wallSeconds) : s?.error ? 'failed' : '–');
      const check = d.crossCheck;
      const worst = check ? largestDifference(check) : undefined;
      const outputs = !check
        ? 'not compared'
        : `${check.equal ? 'equal' : '**NOT equal**'} (${check.datasets} datasets; largest difference ${worst!.maxScaled.toExponential(1)})`;
      rows.push(
        `| ${r.scenario} | ${d.label}${runNo(r, d)} | ${wall(d)} | ${cpu(d)} | ${wall(t)}${t ? runNo(r, t) : ''} | ${cpu(t)} | ${vs ? `${vs.wall.toFixed(2)}×` : '–'} | ${vs ? `${vs.cpu.toFixed(2)}×` : '–'} | ${outputs} |`,
      );
    }
  }
  if (rows.length === 0) return [];
  return [
    '## Against DuckDB',
    '',
    'The same metrics written independently in DuckDB SQL (bench/duckdbSql.ts), run in this process over the same files, outputs compared with Tributary\'s (issue 14). "Tributary" is the `tributary` side of the scenario (batched for the many-small scenarios).',
    '',
    "| scenario | DuckDB side | DuckDB wall | DuckDB CPU | Tributary wall | Tributary CPU | Tributary / DuckDB wall | Tributary / DuckDB CPU | DuckDB outputs vs Tributary's |",
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    'Outputs compared per table, joined on the dataset and the table\'s key columns from the metric registry: the same columns and types, the same rows, and every numeric value a, b within abs(a − b) ≤ 1e-9 × max(1, abs(a), abs(b)); "largest difference" is the largest abs(a − b) / max(1, abs(a), abs(b)) over all numeric columns (the full comparison is under *Targets*).',
    '',
  ];
}

/** Replaces the generated block of BENCHMARKS.md (or creates the file), keeping text outside it. */
export async function writeBenchmarks(file: string, block: string): Promise<void> {
  const before = existsSync(file)
    ? await readFile(file, 'utf8')
    : '# Benchmarks\n\nMeasured by `npm run bench` (`bench/suite.ts`); see *Method* below. `npm run bench -- --only small1k,default` runs some scenarios; `--default`, `--large`, `--small1k`, `--small10k` take sizes as `DATASETSxSTORESxPRODUCTS[xDAYS]`.\n\n' +
      `${BEGIN}\n${END}\n`;
  const start = before.indexOf(BEGIN);
  const end = before.indexOf(END);
  const next =
    start >= 0 && end > start
      ? before.slice(0, start) + block + before.slice(end + END.length)
      : `${before.trimEnd()}\n\n${block}\n`;
  await writeFile(file, next);
}
