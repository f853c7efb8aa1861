/**
 * Benchmark suite (issues "Fast and bounded at any size" and 14): for each scenario, generate its data,
 * then time in this one process, side by side,
 *   baseline-sequential  the compute stage's per-dataset code in-process, one dataset at a time
 *   baseline-pool        the same in a promise pool of 4
 *   tributary            the weeklyLoad workflow on a Temporal dev server and an in-process worker
 *                        (at 10,000 it continues as new every 1,000 datasets by itself)
 *   tributary-parts      (small10k, only with --continue-as-new-after N) the batched run with that
 *                        continueAsNewAfter
 *   tributary-budget     (default, large) parallelism 8 and a 2 GiB worker memory budget, the worker
 *                        in a fresh process of its own (bench/workerProcess.ts), so that its peak
 *                        RSS is its own
 *   tributary-budget-roomy (large) the same with a 4 GiB budget: room for one dataset, not two
 *   duckdb               (default, large, small1k) the metrics in DuckDB SQL (bench/duckdbSql.ts), in
 *                        this process, one dataset after another, all cores
 *   duckdb-single-query  (default, small1k, small10k) the same SQL over every dataset at once, outputs
 *                        written by partitioned COPYs: the limit for many small datasets
 * After the sides, each DuckDB side's outputs are compared with Tributary's (bench/crossCheck.ts):
 * the tributary side's published outputs when it ran, else the compute code run in-process on a
 * sample of the datasets (untimed).
 * Scenarios: default (the demo's sample week), large (few datasets of 10M+ rows), small1k and
 * small10k (many datasets of a few thousand rows, batched). Writes bench/results/<scenario>.json
 * and the generated block of BENCHMARKS.md, then runs the incremental-run benchmark
 * (bench/incremental.ts) in a child process (it installs its own Temporal runtime).
 *
 * Usage: npm run bench [-- --only small1k,default] [--default 12x150x1500] [--large 4x500x3000x7]
 *   [--small1k 1000x5x60x7] [--small10k 10000x5x60x7] [--pool 4] [--parallelism 4] [--batch 250]
 *   [--budget-parallelism 8] [--memory-budget 2GiB] [--large-memory-budget 4GiB] [--results DIR] [--markdown FILE]
 *   [--data-dir DIR] [--keep-data] [--small10k-sequential]
 *   [--sides tributary,tributary-parts] (run only these sides, e.g. --sides duckdb,duckdb-single-query;
 *   the others are kept from the previous results of the same sizes; a scenario with none of them is
 *   left as it was) [--continue-as-new-after N] [--render-only] (rewrite BENCHMARKS.md
 *   from the results already in --results; measure nothing) [--side-timeout 90] (minutes; a
 *   Tributary side still running then is terminated and recorded as failed) [--duckdb-threads N]
 *   (default: every core)
 * Sizes are DATASETSxSTORESxPRODUCTS[xDAYS].
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { estimateFootprint, JOIN_FACTOR } from '../activities/admission';
import { parseBytes } from '../common/bytes';
import type { RunReport } from '../common/report';
import type { DatasetRef, DatasetSummary, ReferenceRef } from '../common/types';
import { DATAGEN_DEFAULTS, datasetRefs, generateRetailWeek, referenceRefs } from '../datagen';
import { OUTPUT_TABLES } from '../metrics';
import { ensureTemporalCli, TEMPORAL_CLI_VERSION } from '../runtime/temporalCli';
import { createWorker, WORKFLOWS_PATH } from '../workers/worker';
import { progressQuery, type weeklyLoad } from '../workflows';
import { baselineFiles, runBaseline } from './baseline';
import { crossCheck, type CrossCheck, describeCheck } from './crossCheck';
import { type DuckdbMode, type OutputFiles, runDuckdb } from './duckdbBaseline';
import { round, SideMonitor, type SideMeasurements } from './monitor';
import {
  bestBaseline,
  bytesOrNa,
  type Machine,
  readResults,
  renderBenchmarks,
  SCENARIOS,
  type ScenarioName,
  type ScenarioResult,
  scalingTarget,
  scenarioTargets,
  type SideResult,
  type Sizes,
  writeBenchmarks,
} from './results';

const METRICS = ['hierarchySales', 'lostSalesToSubstitutes'];
const WEEK = DATAGEN_DEFAULTS.week;
const ALL = [...SCENARIOS, 'incremental'] as const;
type Selectable = (typeof ALL)[number];

interface Size {
  datasets: number;
  stores: number;
  products: number;
  days: number;
}

type SideDef =
  | { id: 'baseline-sequential' | 'baseline-pool'; kind: 'baseline'; label: string; width: number }
  | { id: 'duckdb' | 'duckdb-single-query'; kind: 'duckdb'; label: string; mode: DuckdbMode; threads: number }
  | {
      id: 'tributary' | 'tributary-budget' | 'tributary-budget-roomy' | 'tributary-parts';
      kind: 'tributary';
      label: string;
      parallelism: number;
      activities: number;
      batching?: number;
      memoryBudget?: number;
      /** Run the worker in a fresh process of its own (bench/workerProcess.ts) rather than in this one. */
      separateProcess?: boolean;
      /** The spec's continueAsNewAfter (units per run part); default: the spec default. */
      continueAsNewAfter?: number;
    };

interface ScenarioDef {
  name: ScenarioName;
  title: string;
  size: Size;
  sides: SideDef[];
}

const log = (line: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

function parseSize(text: string, flag: string): Size {
  const parts = text.split('x').map(Number);
  const [datasets, stores, products, days = 7] = parts;
  if (
    parts.length < 3 ||
    parts.length > 4 ||
    ![datasets, stores, products, days].every((n) => Number.isInteger(n) && n! > 0)
  ) {
    throw new Error(`--${flag} takes DATASETSxSTORESxPRODUCTS[xDAYS], e.g. 4x500x3000x7; got "${text}"`);
  }
  return { datasets: datasets!, stores: stores!, products: products!, days };
}

/** A full GC (twice: polars frames are freed by finalizers), then a moment for the allocator. */
const gc = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();
async function settle(): Promise<void> {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 500));
  gc();
  await new Promise((resolve) => setTimeout(resolve, 500));
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function machine(): Machine {
  const osRelease = (() => {
    try {
      return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
    } catch {
      return process.platform;
    }
  })();
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown CPU',
    cpus: cpus().length,
    ramBytes: totalmem(),
    os: osRelease,
    kernel: release(),
    node: process.version,
    polars: packageVersion('nodejs-polars'),
    temporalSdk: packageVersion('@temporalio/worker'),
    temporalCli: TEMPORAL_CLI_VERSION,
    duckdb: packageVersion('@duckdb/node-api'),
  };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Each stage's durations summed over the datasets of an unbatched run, seconds. */
function stageSeconds(datasets: DatasetSummary[]): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const d of datasets)
    for (const [stage, run] of Object.entries(d.stages))
      sums[stage] = (sums[stage] ?? 0) + (run?.durationMs ?? 0) / 1000;
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, round(v, 1)]));
}

/** The dev server and workflow bundle the Tributary sides run on. */
interface Temporal {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
  /** The same bundle's code in a file, for worker processes. */
  bundlePath: string;
}

interface Context {
  /** Started on first use: a run of DuckDB or baseline sides alone needs no server. */
  temporal: () => Promise<Temporal>;
  /** The pool width of the in-process baseline, also used for the cross-check's reference. */
  pool: number;
  suiteStartedAt: string;
  dataDir: string;
  keepData: boolean;
  memoryBudget: number;
  method: string[];
  machine: Machine;
  /** A Tributary side still running after this long is terminated and recorded as failed. */
  sideTimeoutSeconds: number;
  /** --sides: run only these side ids (the others are kept from the previous results). */
  onlySides?: Set<string>;
  resultsDir: string;
}

/** A side's progress callback: a line at most every 30 s with the datasets done and the time so far. */
function progress(id: string, total: number, started: number): (done: number) => void {
  let last = started;
  return (done) => {
    if (performance.now() - last < 30_000) return;
    last = performance.now();
    log(`  ${id}: ${done}/${total} datasets, ${((last - started) / 1000).toFixed(0)} s`);
  };
}

async function timeBaseline(
  side: Extract<SideDef, { kind: 'baseline' }>,
  datasets: DatasetRef[],
  reference: ReferenceRef,
  out: string,
) {
  const started = performance.now();
  const result = await runBaseline({
    datasets,
    reference,
    week: WEEK,
    metrics: METRICS,
    outRoot: out,
    width: side.width,
    onDone: progress(side.id, datasets.length, started),
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds,
    outcome: {
      datasets: datasets.length,
      succeeded: result.datasets,
      failed: datasets.length - result.datasets,
      tables: result.tables,
      rowsOut: result.rowsOut,
    },
  };
}

async function timeDuckdb(
  side: Extract<SideDef, { kind: 'duckdb' }>,
  datasets: DatasetRef[],
  reference: ReferenceRef,
  data: string,
  out: string,
) {
  const started = performance.now();
  const result = await runDuckdb({
    mode: side.mode,
    datasets,
    globs: {
      transactions: path.join(data, 'sales', '*', 'transactions.parquet'),
      stock: path.join(data, 'sales', '*', 'stock.parquet'),
    },
    reference,
    week: WEEK,
    metrics: METRICS,
    outRoot: out,
    threads: side.threads,
    onDone: progress(side.id, datasets.length, started),
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds,
    files: result.files,
    version: result.version,
    outcome: {
      datasets: datasets.length,
      succeeded: result.datasets,
      failed: datasets.length - result.datasets,
      tables: result.tables,
      rowsOut: result.rowsOut,
    },
  };
}

/** At most `count` datasets spread evenly over the list (all of them when there are fewer). */
function spread<T>(items: readonly T[], count: number): T[] {
  if (items.length <= count) return [...items];
  return Array.from({ length: count }, (_, i) => items[Math.floor((i * items.length) / count)]!);
}

const CROSS_CHECK_SAMPLE = 12;

/**
 * Tributary's outputs to compare the DuckDB sides with: the tributary side's published files when
 * it ran now and every dataset succeeded; otherwise the compute stage's code run in-process
 * (bench/baseline.ts, untimed) on up to CROSS_CHECK_SAMPLE datasets spread over the list.
 */
async function tributaryOutputs(
  ctx: Context,
  tributaryRun: { out: string; ok: boolean } | undefined,
  datasets: DatasetRef[],
  reference: ReferenceRef,
  base: string,
): Promise<{ files: OutputFiles; datasets: string[]; label: string }> {
  if (tributaryRun?.ok)
    return {
      files: (dataset, table) => [path.join(tributaryRun.out, WEEK, dataset, `${table}.parquet`)],
      datasets: datasets.map((d) => d.name),
      label: "the tributary side's published outputs (this run)",
    };
  const sample = spread(datasets, CROSS_CHECK_SAMPLE);
  const out = path.join(base, 'out-cross-check');
  log(`  cross-check: computing Tributary's tables in-process for ${sample.length} datasets (untimed)`);
  await runBaseline({ datasets: sample, reference, week: WEEK, metrics: METRICS, outRoot: out, width: ctx.pool });
  return {
    files: baselineFiles(out),
    datasets: sample.map((d) => d.name),
    label: `the compute stage's code run in-process (bench/baseline.ts) on ${sample.length} of ${datasets.length} datasets (the tributary side did not run)`,
  };
}

/** Compares each DuckDB side's outputs with Tributary's. */
async function crossCheckSides(
  ctx: Context,
  def: ScenarioDef,
  tributaryRun: { out: string; ok: boolean } | undefined,
  duckdbRuns: { side: string; files: OutputFiles }[],
  datasets: DatasetRef[],
  reference: ReferenceRef,
  base: string,
): Promise<Map<string, CrossCheck>> {
  const checks = new Map<string, CrossCheck>();
  const tributary = await tributaryOutputs(ctx, tributaryRun, datasets, reference, base);
  const tables = [...OUTPUT_TABLES.values()].filter((t) => METRICS.includes(t.metric.name)).map((t) => t.name);
  for (const run of duckdbRuns) {
    const started = performance.now();
    const check = await crossCheck({
      datasets: tributary.datasets,
      tables,
      reference: tributary.files,
      candidate: run.files,
      referenceLabel: tributary.label,
    });
    checks.set(run.side, check);
    log(
      `${def.name}: ${run.side} against Tributary (${((performance.now() - started) / 1000).toFixed(1)} s): ${describeCheck(check)}`,
    );
  }
  return checks;
}

/** Starts bench/workerProcess.ts on `taskQueue`; resolves once it polls. */
async function startWorkerProcess(
  ctx: Temporal,
  taskQueue: string,
  side: Extract<SideDef, { kind: 'tributary' }>,
): Promise<ChildProcess> {
  const options = {
    address: ctx.env.address,
    namespace: 'default',
    taskQueue,
    codePath: ctx.bundlePath,
    maxConcurrentActivities: side.activities,
    ...(side.memoryBudget !== undefined ? { memoryBudget: side.memoryBudget } : {}),
  };
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'workerProcess.ts'), JSON.stringify(options)],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`worker process exited with code ${code} before it was ready`)));
  });
  child.removeAllListeners('exit');
  return child;
}

async function stopWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

async function timeTributary(
  ctx: Context,
  scenario: ScenarioName,
  side: Extract<SideDef, { kind: 'tributary' }>,
  data: string,
  out: string,
  monitor: (workerPid?: number) => SideMonitor,
) {
  const temporal = await ctx.temporal();
  const taskQueue = `bench-${scenario}-${side.id}-${Date.now()}`;
  const spec = {
    name: `bench-${scenario}`,
    dataRoot: data,
    datasets: { glob: 'sales/*' },
    reference: { products: 'reference/products.parquet', substitutes: 'reference/substitutes.parquet' },
    metrics: METRICS,
    output: { root: out },
    parallelism: { datasets: side.parallelism },
    ...(side.batching !== undefined ? { batching: { maxDatasets: side.batching } } : {}),
    ...(side.continueAsNewAfter !== undefined ? { continueAsNewAfter: side.continueAsNewAfter } : {}),
  };
  let measurements: SideMeasurements | undefined;
  const run = async (workerPid?: number) => {
    const watch = monitor(workerPid);
    try {
      const started = performance.now();
      const handle = await temporal.env.client.workflow.start<typeof weeklyLoad>('weeklyLoad', {
        taskQueue,
        workflowId: taskQueue,
        args: [{ spec, week: WEEK }],
      });
      // A run whose workflow task keeps failing (e.g. a payload over the server's size limit) never
      // ends by itself: the watchdog terminates it, so the side is recorded as failed, with the
      // cause, and the suite goes on. Likewise a side that outlasts --side-timeout.
      let stuck: string | undefined;
      const watchdog = async () => {
        const seconds = (performance.now() - started) / 1000;
        const p = await handle.query(progressQuery).catch(() => undefined);
        if (p)
          log(
            `  ${side.id}: ${p.phase}, ${p.succeeded + p.failed + p.skipped}/${p.total} done, ${p.running} running, ${seconds.toFixed(0)} s`,
          );
        const description = await handle.describe().catch(() => undefined);
        const attempt = description?.raw.pendingWorkflowTask?.attempt ?? 0;
        if (attempt >= 3 || seconds > ctx.sideTimeoutSeconds) {
          const history = attempt >= 3 ? await handle.fetchHistory().catch(() => undefined) : undefined;
          const failedTask = [...(history?.events ?? [])]
            .reverse()
            .find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes;
          stuck =
            attempt >= 3
              ? `workflow task failing repeatedly (attempt ${attempt}): ${String(failedTask?.cause ?? '?')}: ${failedTask?.failure?.message ?? ''}`.slice(
                  0,
                  400,
                )
              : `did not finish within --side-timeout (${ctx.sideTimeoutSeconds / 60} min)`;
          log(`  ${side.id}: ${stuck}; terminating the run`);
          await handle.terminate(`bench: ${stuck}`).catch(() => undefined);
        }
      };
      const ticker = setInterval(() => void watchdog(), 30_000);
      try {
        const report: RunReport = await handle.result().catch((err: unknown) => {
          throw stuck ? new Error(stuck) : err;
        });
        return { seconds: (performance.now() - started) / 1000, report };
      } finally {
        clearInterval(ticker);
      }
    } finally {
      measurements = watch.stop();
    }
  };
  let timed: Awaited<ReturnType<typeof run>>;
  if (side.separateProcess) {
    const child = await startWorkerProcess(temporal, taskQueue, side);
    try {
      timed = await run(child.pid);
    } finally {
      await stopWorkerProcess(child);
    }
  } else {
    const worker = await createWorker({
      connection: temporal.env.nativeConnection,
      taskQueue,
      workflowBundle: temporal.bundle,
      maxConcurrentActivities: side.activities,
      ...(side.memoryBudget !== undefined ? { memoryBudget: side.memoryBudget } : {}),
    });
    timed = await worker.runUntil(() => run());
  }
  const t = timed.report.totals;
  return {
    seconds: timed.seconds,
    measurements: measurements!,
    outcome: {
      status: timed.report.status,
      datasets: t.datasets,
      succeeded: t.succeeded,
      failed: t.failed,
      cancelled: t.cancelled,
      skipped: t.skipped,
      rowsIn: t.rowsIn,
      rowsOut: t.rowsOut,
    },
    stageSeconds:
      side.batching === undefined && timed.report.datasets.length > 0 ? stageSeconds(timed.report.datasets) : undefined,
    firstError: timed.report.datasets.find((d) => d.error)?.error,
  };
}

/** Measures the scenario's sides selected by --sides; undefined when none is (the scenario is left as it was). */
async function runScenario(ctx: Context, def: ScenarioDef): Promise<ScenarioResult | undefined> {
  const selected = def.sides.filter((d) => !ctx.onlySides || ctx.onlySides.has(d.id));
  if (selected.length === 0) {
    log(`${def.name}: none of its sides (${def.sides.map((d) => d.id).join(', ')}) is in --sides; left as it was`);
    return undefined;
  }
  await mkdir(ctx.dataDir, { recursive: true });
  const base = await mkdtemp(path.join(ctx.dataDir, `tributary-bench-${def.name}-`));
  const data = path.join(base, 'data');
  const { size } = def;
  log(
    `${def.name}: generating ${size.datasets} datasets of ${size.stores} stores x ${size.products} products x ${size.days} days into ${data}`,
  );
  const genStarted = performance.now();
  const manifest = await generateRetailWeek(
    {
      ...DATAGEN_DEFAULTS,
      out: data,
      regions: size.datasets,
      stores: size.stores,
      products: size.products,
      days: size.days,
    },
    size.datasets <= 12 ? (line) => log(line) : undefined,
  );
  const genSeconds = (performance.now() - genStarted) / 1000;
  const generated = await filesUnder(data);
  const salesFiles = generated.filter((f) => f.includes(`${path.sep}sales${path.sep}`));
  const inputBytes = (await Promise.all(salesFiles.map((f) => stat(f).then((s) => s.size)))).reduce((a, b) => a + b, 0);
  const rows = Object.values(manifest.rows).reduce(
    (n, r) => ({ transactions: n.transactions + r.transactions, stock: n.stock + r.stock }),
    { transactions: 0, stock: 0 },
  );
  const sizes: Sizes = {
    datasets: size.datasets,
    stores: size.stores,
    products: size.products,
    days: size.days,
    rows: { ...rows, total: rows.transactions + rows.stock },
    inputBytes,
    files: generated.length,
  };
  log(
    `${def.name}: generated ${generated.length} files (${bytesOrNa(inputBytes)} of inputs, ${sizes.rows.total.toLocaleString('en')} rows) in ${genSeconds.toFixed(1)} s`,
  );

  const datasets = datasetRefs(data, manifest);
  const reference = referenceRefs(data, manifest);
  const budgetSide = def.sides.find((s) => s.id === 'tributary-budget');
  const footprints = budgetSide
    ? await Promise.all(datasets.map((d) => estimateFootprint([d.files.transactions, d.files.stock])))
    : undefined;

  const sides: SideResult[] = [];
  // Outputs kept for the cross-check after the sides: Tributary's and DuckDB's.
  const crossChecked = selected.some((d) => d.kind === 'duckdb');
  let tributaryRun: { out: string; ok: boolean } | undefined;
  const duckdbRuns: { side: string; files: OutputFiles }[] = [];
  for (const side of selected) {
    await settle();
    const out = path.join(base, `out-${side.id}`);
    log(`${def.name}: ${side.label} ...`);
    let monitor: SideMonitor | undefined;
    const startMonitor = (workerPid?: number) =>
      (monitor = new SideMonitor({
        devServer: side.kind === 'tributary',
        ...(workerPid !== undefined ? { workerPid } : {}),
      }));
    let result: Omit<SideResult, 'ratioToBestBaseline'>;
    const sideStarted = performance.now();
    const common = {
      side: side.id,
      label: side.label,
      measuredAt: new Date().toISOString(),
      suiteStartedAt: ctx.suiteStartedAt,
      settings: { ...side } as Record<string, unknown>,
    };
    try {
      if (side.kind === 'baseline') {
        startMonitor();
        const timed = await timeBaseline(side, datasets, reference, out);
        const measurements = monitor!.stop();
        result = { ...common, ...rates(timed.seconds, sizes), outcome: timed.outcome, measurements };
      } else if (side.kind === 'duckdb') {
        startMonitor();
        const timed = await timeDuckdb(side, datasets, reference, data, out);
        const measurements = monitor!.stop();
        result = {
          ...common,
          settings: { ...common.settings, duckdb: timed.version },
          ...rates(timed.seconds, sizes),
          outcome: timed.outcome,
          measurements,
        };
        duckdbRuns.push({ side: side.id, files: timed.files });
      } else {
        const timed = await timeTributary(ctx, def.name, side, data, out, startMonitor);
        result = {
          ...common,
          ...rates(timed.seconds, sizes),
          outcome: timed.outcome,
          measurements: timed.measurements,
          ...(timed.stageSeconds ? { stageSeconds: timed.stageSeconds } : {}),
          ...(timed.outcome.failed > 0
            ? {
                error: `${timed.outcome.failed} datasets failed; first: ${timed.firstError?.type}: ${timed.firstError?.message}`,
              }
            : {}),
        };
      }
    } catch (err) {
      const measurements = monitor?.stop();
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      log(`${def.name}: ${side.label} FAILED: ${message}`);
      const failedAfter = round((performance.now() - sideStarted) / 1000, 1);
      result = {
        ...common,
        wallSeconds: 0,
        datasetsPerSecond: 0,
        rowsPerSecond: 0,
        msPerDataset: 0,
        outcome: {},
        measurements: measurements!,
        failedAfterSeconds: failedAfter,
        error: message.slice(0, 500),
      };
    }
    const r = result as SideResult;
    log(
      `${def.name}: ${side.label}: ${r.wallSeconds.toFixed(1)} s, ${r.msPerDataset.toFixed(1)} ms/dataset, peak RSS ${bytesOrNa(r.measurements?.peakRssBytes)}, others' CPU ${((r.measurements?.cpu.otherProcessesShare ?? 0) * 100).toFixed(0)}%`,
    );
    sides.push({ ...result, ratioToBestBaseline: 0 });
    if (side.id === 'tributary') tributaryRun = { out, ok: !result.error && result.outcome.failed === 0 };
    const kept = crossChecked && (side.id === 'tributary' || side.kind === 'duckdb');
    if (!kept) await rm(out, { recursive: true, force: true });
  }
  if (duckdbRuns.length > 0) {
    // A comparison that cannot run leaves the sides' figures standing, marked "not compared".
    const checked = await crossCheckSides(ctx, def, tributaryRun, duckdbRuns, datasets, reference, base).catch(
      (err: unknown) => {
        log(`${def.name}: cross-check FAILED: ${err instanceof Error ? err.message : String(err)}`);
        return new Map<string, CrossCheck>();
      },
    );
    for (const side of sides) {
      const check = checked.get(side.side);
      if (check) side.crossCheck = check;
    }
  }
  for (const dir of ['out-tributary', 'out-cross-check', ...selected.map((d) => `out-${d.id}`)])
    await rm(path.join(base, dir), { recursive: true, force: true });
  // Sides not run this time (--sides) are kept from the previous results of the same sizes.
  const previous = ctx.onlySides ? (await readResults(ctx.resultsDir)).find((r) => r.scenario === def.name) : undefined;
  if (previous && sameSizes(previous.sizes, sizes)) {
    for (const old of previous.sides) {
      if (!sides.some((s) => s.side === old.side))
        sides.push({
          ...old,
          measuredAt: old.measuredAt ?? previous.measuredAt,
          suiteStartedAt: old.suiteStartedAt ?? previous.suiteStartedAt,
        });
    }
    const order = def.sides.map((d) => d.id as string);
    sides.sort((a, b) => order.indexOf(a.side) - order.indexOf(b.side));
  }
  const best = bestBaseline(sides);
  for (const s of sides) s.ratioToBestBaseline = best && !s.error ? round(s.wallSeconds / best.wallSeconds, 3) : 0;
  if (!ctx.keepData) await rm(base, { recursive: true, force: true });

  const parallel = budgetSide?.kind === 'tributary' ? budgetSide.parallelism : 1;
  const footprint = footprints
    ? {
        parallelism: Math.min(parallel, size.datasets),
        concurrentBytes: [...footprints]
          .sort((a, b) => b - a)
          .slice(0, parallel)
          .reduce((a, b) => a + b, 0),
        largestDatasetBytes: Math.max(...footprints),
      }
    : undefined;
  const notes: string[] = [];
  if (footprint) {
    notes.push(
      `Estimated compute footprint (estimateFootprint in activities/admission.ts: rows x bytes per value x JOIN_FACTOR ${JOIN_FACTOR}): ${bytesOrNa(footprint.largestDatasetBytes)} for the largest dataset; ${bytesOrNa(footprint.concurrentBytes)} for ${Math.min(parallel, size.datasets)} at once. The admission lets a compute start only when its estimate fits in what is left of the ${bytesOrNa(ctx.memoryBudget)} budget; a dataset estimated above the whole budget is charged all of it and runs alone.`,
    );
    if (size.datasets < parallel)
      notes.push(`With ${size.datasets} datasets, parallelism ${parallel} puts at most ${size.datasets} in flight.`);
  }
  const partial: ScenarioResult = {
    scenario: def.name,
    title: def.title,
    measuredAt: new Date().toISOString(),
    suiteStartedAt: ctx.suiteStartedAt,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine: ctx.machine,
    method: ctx.method,
    sizes,
    datagen: {
      seconds: round(genSeconds, 1),
      files: generated.length,
      note: 'generateRetailWeek (datagen/index.ts), timed on its own before the sides; not part of any side',
    },
    sides,
    targets: [],
    ...(footprint ? { footprint } : {}),
    notes,
  };
  partial.targets = scenarioTargets(partial, ctx.memoryBudget);
  return partial;
}

function sameSizes(a: Sizes, b: Sizes): boolean {
  return (
    a.datasets === b.datasets &&
    a.stores === b.stores &&
    a.products === b.products &&
    a.days === b.days &&
    a.rows.total === b.rows.total
  );
}

function rates(seconds: number, sizes: Sizes) {
  return {
    wallSeconds: round(seconds, 2),
    datasetsPerSecond: round(sizes.datasets / seconds, 2),
    rowsPerSecond: Math.round(sizes.rows.total / seconds),
    msPerDataset: round((seconds * 1000) / sizes.datasets, 2),
  };
}

async function runIncremental(): Promise<number> {
  const started = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'incremental.ts')], {
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (c) => resolve(c ?? 1));
  });
  log(`incremental: exit code ${code}, ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return code;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string', default: ALL.join(',') },
      default: {
        type: 'string',
        default: `${DATAGEN_DEFAULTS.regions}x${DATAGEN_DEFAULTS.stores}x${DATAGEN_DEFAULTS.products}x${DATAGEN_DEFAULTS.days}`,
      },
      large: { type: 'string', default: '4x500x3000x7' },
      small1k: { type: 'string', default: '1000x5x60x7' },
      small10k: { type: 'string', default: '10000x5x60x7' },
      pool: { type: 'string', default: '4' },
      parallelism: { type: 'string', default: '4' },
      batch: { type: 'string', default: '250' },
      'budget-parallelism': { type: 'string', default: '8' },
      'memory-budget': { type: 'string', default: '2GiB' },
      'large-memory-budget': { type: 'string', default: '4GiB' },
      results: { type: 'string', default: path.join(__dirname, 'results') },
      markdown: { type: 'string', default: path.join(__dirname, '..', 'BENCHMARKS.md') },
      'data-dir': { type: 'string', default: tmpdir() },
      'keep-data': { type: 'boolean', default: false },
      'small10k-sequential': { type: 'boolean', default: false },
      'render-only': { type: 'boolean', default: false },
      sides: { type: 'string' },
      'continue-as-new-after': { type: 'string' },
      'side-timeout': { type: 'string', default: '90' },
      'duckdb-threads': { type: 'string' },
    },
  });
  const only = values.only
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = only.filter((s) => !(ALL as readonly string[]).includes(s));
  if (unknown.length > 0)
    throw new Error(`--only: unknown scenario ${unknown.join(', ')}; choose from ${ALL.join(', ')}`);
  const selected = new Set(only as Selectable[]);
  const whole = (name: string, text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number >= 1, got "${text}"`);
    return n;
  };
  const pool = whole('pool', values.pool);
  const parallelism = whole('parallelism', values.parallelism);
  const batch = whole('batch', values.batch);
  const budgetParallelism = whole('budget-parallelism', values['budget-parallelism']);
  const memoryBudget = parseBytes(values['memory-budget']);
  if (!memoryBudget) throw new Error(`--memory-budget must be a size such as 2GiB, got "${values['memory-budget']}"`);

  const baselines: SideDef[] = [
    { id: 'baseline-sequential', kind: 'baseline', label: 'in-process, sequential', width: 1 },
    { id: 'baseline-pool', kind: 'baseline', label: `in-process, pool of ${pool}`, width: pool },
  ];
  const duckdbThreads = whole('duckdb-threads', values['duckdb-threads'] ?? String(cpus().length));
  const duckdb: SideDef = {
    id: 'duckdb',
    kind: 'duckdb',
    label: `DuckDB SQL, one dataset after another, ${duckdbThreads} threads`,
    mode: 'per-dataset',
    threads: duckdbThreads,
  };
  const duckdbSingle: SideDef = {
    id: 'duckdb-single-query',
    kind: 'duckdb',
    label: `DuckDB SQL, all datasets in one query, partitioned COPY, ${duckdbThreads} threads`,
    mode: 'single-query',
    threads: duckdbThreads,
  };
  const tributary: SideDef = {
    id: 'tributary',
    kind: 'tributary',
    label: `Tributary, parallelism ${parallelism}`,
    parallelism,
    activities: parallelism,
  };
  const batched: SideDef = {
    ...tributary,
    label: `Tributary, parallelism ${parallelism}, batches of ${batch}`,
    batching: batch,
  };
  const budget: SideDef = {
    id: 'tributary-budget',
    kind: 'tributary',
    label: `Tributary, parallelism ${budgetParallelism}, memory budget ${bytesOrNa(memoryBudget)} (worker process of its own)`,
    parallelism: budgetParallelism,
    activities: budgetParallelism,
    memoryBudget,
    separateProcess: true,
  };
  const roomyBudget = parseBytes(values['large-memory-budget']);
  if (!roomyBudget)
    throw new Error(`--large-memory-budget must be a size such as 4GiB, got "${values['large-memory-budget']}"`);
  const roomy: SideDef = {
    ...budget,
    id: 'tributary-budget-roomy',
    memoryBudget: roomyBudget,
    label: `Tributary, parallelism ${budgetParallelism}, memory budget ${bytesOrNa(roomyBudget)} (worker process of its own)`,
  };
  const continueAsNewAfter =
    values['continue-as-new-after'] === undefined
      ? undefined
      : whole('continue-as-new-after', values['continue-as-new-after']);
  const parts: SideDef[] =
    continueAsNewAfter === undefined
      ? []
      : [
          {
            ...batched,
            id: 'tributary-parts',
            label: `${batched.label}, continueAsNewAfter ${continueAsNewAfter}`,
            continueAsNewAfter,
          },
        ];
  const defs: ScenarioDef[] = [
    {
      name: 'default',
      title: 'default sample (the demo week)',
      size: parseSize(values.default, 'default'),
      sides: [...baselines, duckdb, duckdbSingle, tributary, budget],
    },
    {
      name: 'small1k',
      title: '1,000 small datasets',
      size: parseSize(values.small1k, 'small1k'),
      sides: [...baselines, duckdb, duckdbSingle, batched],
    },
    // The sequential baseline is left out at 10,000 unless asked for: a small dataset's compute is
    // main-thread bound (building the polars plan), so it takes as long as the pool (compare them
    // at 1,000) and would add the better part of an hour.
    {
      name: 'small10k',
      title: '10,000 small datasets',
      size: parseSize(values.small10k, 'small10k'),
      sides: [...(values['small10k-sequential'] ? baselines : baselines.slice(1)), duckdbSingle, batched, ...parts],
    },
    {
      name: 'large',
      title: 'few large datasets',
      size: parseSize(values.large, 'large'),
      sides: [...baselines, duckdb, tributary, budget, roomy],
    },
  ];
  const onlySides = values.sides ? new Set(values.sides.split(',').map((x) => x.trim())) : undefined;
  const sideIds = new Set(defs.flatMap((d) => d.sides.map((x) => x.id as string)));
  const unknownSides = [...(onlySides ?? [])].filter((x) => !sideIds.has(x));
  if (unknownSides.length > 0)
    throw new Error(`--sides: unknown side ${unknownSides.join(', ')}; choose from ${[...sideIds].join(', ')}`);
  const chosen = values['render-only'] ? [] : defs.filter((d) => selected.has(d.name));
  if (values['render-only']) selected.delete('incremental');

  const suiteStartedAt = new Date().toISOString();
  const loadAtStart = loadavg();
  log(`suite started; load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}; scenarios: ${only.join(', ')}`);
  const method = [
    'Each scenario first generates its data with datagen (`generateRetailWeek`, seed 42, week 2026-11-16) into a fresh temporary folder on the local disk; that is timed on its own (the *Sizes* table) and is not part of any side. The files are then in the OS page cache for every side.',
    'The sides of a scenario run one after another in one Node process (`tsx bench/suite.ts`), in the order listed, each after a full GC and writing into its own fresh output folder (removed afterwards, untimed).',
    `In-process baselines (no Temporal): \`computeMetrics\` from activities/compute.ts, the compute stage's own code (lazy \`scanParquet\` filtered to the week, the two metrics' three tables, each streamed to parquet by an async \`sinkParquet\`, then its rows counted), called directly for each dataset under \`MockActivityEnvironment\` from @temporalio/testing, the reference data loaded once per side. "sequential": one dataset at a time; "pool of ${pool}": a promise pool of ${pool}. They skip what Tributary adds around compute: input checks, fingerprints, publish (rename), reports, orchestration.`,
    `Tributary: the \`weeklyLoad\` workflow on a Temporal dev server (\`TestWorkflowEnvironment.createLocal\` with the Temporal CLI from runtime/temporalCli.ts, one server for the whole run) and an in-process worker (\`createWorker\` from workers/worker.ts; workflow bundle built once, a fresh worker and task queue per side, created before the clock starts). Timed from \`workflow.start\` to its result: planning, the read stage (schema checks, null counts from the parquet footers, the week's rows counted from the \`date\` column), fingerprints, compute, publish and the run report. Default stage policies; \`parallelism.datasets\` ${parallelism} with ${parallelism} activity slots; the many-small scenarios with \`batching: { maxDatasets: ${batch} }\`. The worker's memory admission is at its default (half the RAM) except on the budget side.`,
    `DuckDB sides (issue 14): the two metrics written again, independently, in DuckDB SQL from their definitions (bench/duckdbSql.ts), run in this process by @duckdb/node-api ${packageVersion('@duckdb/node-api')} with ${duckdbThreads} threads (\`--duckdb-threads\`, default: every core), an in-memory database per side, the reference tables read once per side; every table written to zstd parquet (polars' default codec). "One dataset after another" (\`duckdb\`): each dataset's week read straight from its two files, lost sales' daily table, baselines and detail made once as temp tables, each output table written by its own COPY to <week>/<dataset>/<table>.parquet, as Tributary publishes them. "All datasets in one query" (\`duckdb-single-query\`): every dataset's files read through one glob (the dataset named by its folder), the same statements over all datasets at once, each table written for every dataset by one \`COPY ... (PARTITION_BY (dataset))\`. CPU time is this process's, DuckDB's threads included. After the sides, each DuckDB side's tables are compared with Tributary's (bench/crossCheck.ts, untimed): with the \`tributary\` side's published outputs when that side ran in the same invocation, else with the compute stage's code run in-process on up to ${CROSS_CHECK_SAMPLE} datasets.`,
    `Memory-budget sides (default and large scenarios): \`parallelism.datasets\` ${budgetParallelism}, ${budgetParallelism} activity slots, \`memoryBudget: ${memoryBudget}\` (${bytesOrNa(memoryBudget)}) passed to createWorker (the large scenario also runs one with \`memoryBudget\` ${bytesOrNa(roomyBudget)}, \`--large-memory-budget\`: room for one large dataset, not two); that worker runs in a fresh process of its own (bench/workerProcess.ts, same bundle, same dev server), started before the clock, so its peak RSS is the worker's alone: polars frees memory through glibc malloc, which keeps much of it in its arenas, so the suite's own process still holds the earlier sides' peaks (see "RSS at start" in the JSON).`,
    'datasets/s = datasets / wall time; rows/s = input rows (transactions + stock) / wall time; ms per dataset = wall time / datasets; "vs best baseline" = wall time / the faster baseline\'s wall time in the same scenario. One run per side: no repetitions, so differences of a few percent are within noise.',
    'Peak RSS: see below the results table. polars uses its default thread pool (all cores; POLARS_MAX_THREADS unset).',
  ];

  await mkdir(values.results, { recursive: true });
  const results: ScenarioResult[] = [];
  if (chosen.length > 0) {
    let temporal: Promise<Temporal> | undefined;
    let bundleDir: string | undefined;
    const startTemporal = async (): Promise<Temporal> => {
      Runtime.install({ logger: new DefaultLogger('WARN') });
      const env = await TestWorkflowEnvironment.createLocal({
        server: { executable: { type: 'existing-path', path: await ensureTemporalCli() } },
      });
      const quiet = () => undefined;
      const bundle = await bundleWorkflowCode({
        workflowsPath: WORKFLOWS_PATH,
        logger: { log: quiet, trace: quiet, debug: quiet, info: quiet, warn: quiet, error: console.error },
      });
      await mkdir(values['data-dir'], { recursive: true });
      bundleDir = await mkdtemp(path.join(values['data-dir'], 'tributary-bench-bundle-'));
      const bundlePath = path.join(bundleDir, 'workflow-bundle.js');
      await writeFile(bundlePath, bundle.code);
      return { env, bundle, bundlePath };
    };
    const ctx: Context = {
      temporal: () => (temporal ??= startTemporal()),
      pool,
      resultsDir: values.results,
      sideTimeoutSeconds: whole('side-timeout', values['side-timeout']) * 60,
      ...(onlySides ? { onlySides } : {}),
      suiteStartedAt,
      dataDir: values['data-dir'],
      keepData: values['keep-data'],
      memoryBudget,
      method,
      machine: machine(),
    };
    try {
      for (const def of chosen) {
        const result = await runScenario(ctx, def);
        if (!result) continue;
        if (def.name === 'small10k') {
          const small1k =
            results.find((r) => r.scenario === 'small1k') ??
            (await readResults(values.results)).find((r) => r.scenario === 'small1k');
          result.targets.push(
            scalingTarget(result, small1k),
            ...(result.sides.some((x) => x.side === 'tributary-parts')
              ? [scalingTarget(result, small1k, 'tributary-parts')]
              : []),
          );
        }
        results.push(result);
        await writeFile(path.join(values.results, `${def.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
        log(`${def.name}: written ${path.join(values.results, `${def.name}.json`)}`);
      }
    } finally {
      if (temporal) await (await temporal.catch(() => undefined))?.env.teardown();
      if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
    }
  }
  let incrementalCode = 0;
  if (selected.has('incremental')) incrementalCode = await runIncremental();

  const all = await readResults(values.results);
  // Targets are re-derived from the recorded figures (the same functions as above), so that the
  // JSON files and BENCHMARKS.md agree even when scenarios come from different runs.
  for (const r of all) {
    const budgetSide = r.sides.find((s) => s.side === 'tributary-budget');
    const budgetBytes =
      typeof budgetSide?.settings.memoryBudget === 'number' ? budgetSide.settings.memoryBudget : memoryBudget;
    r.targets = scenarioTargets(r, budgetBytes);
    if (r.scenario === 'small10k') {
      const small1k = all.find((x) => x.scenario === 'small1k');
      r.targets.push(
        scalingTarget(r, small1k),
        ...(r.sides.some((x) => x.side === 'tributary-parts') ? [scalingTarget(r, small1k, 'tributary-parts')] : []),
      );
    }
    await writeFile(path.join(values.results, `${r.scenario}.json`), `${JSON.stringify(r, null, 2)}\n`);
  }
  if (all.length > 0) {
    const rel = path.relative(path.dirname(values.markdown), values.results).split(path.sep).join('/') || '.';
    await writeBenchmarks(values.markdown, renderBenchmarks(all, rel));
    log(`written ${values.markdown}`);
  }
  for (const r of results) {
    console.log(
      `\n${r.scenario} (${r.sizes.datasets} datasets, ${r.sizes.rows.total.toLocaleString('en')} rows; datagen ${r.datagen.seconds} s)`,
    );
    for (const s of r.sides)
      console.log(
        `  ${s.label.padEnd(60)} ${s.error ? `FAILED ${s.error}` : `${s.wallSeconds.toFixed(1).padStart(8)} s  ${s.ratioToBestBaseline.toFixed(2)}x  ${bytesOrNa(s.measurements.peakRssBytes)}`}`,
      );
    for (const t of r.targets)
      console.log(`  [${t.met === null ? 'n/a' : t.met ? 'met' : 'NOT met'}] ${t.target}: ${t.measured}`);
  }
  log(
    `suite done; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (at start ${loadAtStart.map((l) => l.toFixed(2)).join(' ')})`,
  );
  if (incrementalCode !== 0) process.exitCode = incrementalCode;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
