/**
 * Benchmark: what a user waits for `tributary run` beyond the run itself (node and tsx start, the
 * workflow bundle, connecting, finding no worker, starting one in the process, the report), with a
 * dev server already up. Each measured command runs a one-dataset week (a tiny dataset: the run
 * itself is about a second) with a fresh workflow id and --force; overhead = the command's wall time
 * minus the run's own time on the server (first workflow task picked up, to close; from its history). Two sides, paired,
 * in one process and run:
 *   uncached  the sources run through tsx (TRIBUTARY_NO_CLI_BUNDLE=1) and the workflow bundle cache
 *             emptied before each command: what every run paid before both caches (the baseline)
 *   cached    the command compiled once (bin/cliBundle.cjs) and the workflow bundle cached by content
 *             (workers/bundle.ts), as every run after the first
 * Writes bench/results/run-overhead.md.
 * Usage: npx tsx bench/runOverhead.ts [--rounds 3]
 */
import { execFile } from 'node:child_process';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { generateRetailWeek, TINY_DATASETS } from '../datagen';
import { SINGLE_PARTITION_ARGS } from '../runtime/devServer';
import { ensureTemporalCli } from '../runtime/temporalCli';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

interface Sample {
  wallMs: number;
  workflowMs: number;
  overheadMs: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
  const rounds = Number(values.rounds);
  const home = await mkdtemp(path.join(tmpdir(), 'tributary-bench-overhead-'));
  const data = path.join(home, 'data');
  await generateRetailWeek({ out: data, ...TINY_DATASETS, regions: 1 });
  const specFile = path.join(home, 'spec.json');
  const spec = {
    name: 'overhead',
    dataRoot: data,
    datasets: { glob: 'sales/*' },
    reference: { products: 'reference/products.parquet', substitutes: 'reference/substitutes.parquet' },
    metrics: ['hierarchySales', 'lostSalesToSubstitutes'],
    output: { root: path.join(home, 'out') },
  };
  await writeFile(specFile, JSON.stringify(spec));
  // Started as Tributary starts its embedded dev server (one partition per task queue).
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: await ensureTemporalCli() },
      extraArgs: SINGLE_PARTITION_ARGS,
    },
  });
  const address = env.connection.options.address;
  const tributaryHome = path.join(home, 'tributary');
  const cache = path.join(tributaryHome, 'cache');
  let n = 0;
  const command = async (extra: Record<string, string> = {}): Promise<Sample> => {
    const workflowId = `overhead-${++n}`;
    const started = performance.now();
    await run(
      process.execPath,
      [
        path.join(ROOT, 'bin', 'tributary.cjs'),
        'run',
        specFile,
        '--week',
        TINY_DATASETS.week,
        '--force',
        '--workflow-id',
        workflowId,
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: address,
          TRIBUTARY_HOME: tributaryHome,
          TRIBUTARY_TASK_QUEUE: `overhead-${n}`,
          ...extra,
        },
      },
    );
    const wallMs = performance.now() - started;
    // The run itself: from its first workflow task picked up by a worker to its close. (From its start
    // would count the in-process worker's own start-up, which the command pays after starting the run.)
    const handle = env.client.workflow.getHandle(workflowId);
    const [info, history] = await Promise.all([handle.describe(), handle.fetchHistory()]);
    const firstTask = history.events!.find((e) => e.workflowTaskStartedEventAttributes)!;
    const pickedUp = Number(firstTask.eventTime!.seconds) * 1000 + Math.floor((firstTask.eventTime!.nanos ?? 0) / 1e6);
    const workflowMs = info.closeTime!.getTime() - pickedUp;
    return { wallMs, workflowMs, overheadMs: wallMs - workflowMs };
  };
  await command(); // warm-up: tsx's transform cache, the OS file cache
  const sides: Record<'uncached' | 'cached', Sample[]> = { uncached: [], cached: [] };
  for (let r = 0; r < rounds; r++) {
    await rm(cache, { recursive: true, force: true });
    sides.uncached.push(await command({ TRIBUTARY_NO_CLI_BUNDLE: '1' }));
    sides.cached.push(await command()); // the workflow bundle the other side just cached
  }
  await env.teardown();
  await rm(home, { recursive: true, force: true });

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const row = (name: string, xs: Sample[]) =>
    `| ${name} | ${seconds(median(xs.map((s) => s.wallMs)))} | ${seconds(median(xs.map((s) => s.workflowMs)))} | ${seconds(median(xs.map((s) => s.overheadMs)))} | ${xs.map((s) => seconds(s.overheadMs)).join(', ')} |`;
  const cpu = cpus();
  const lines = [
    '# Benchmark: the `tributary run` command beyond the run',
    '',
    `Measured ${new Date().toISOString()} by \`npx tsx bench/runOverhead.ts\` (load average ${loadavg()[0]!.toFixed(1)} at the end).`,
    '',
    `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${platform()} ${release()}, Node ${process.version}.`,
    'Method: a dev server already up (Temporal CLI); each command is `node bin/tributary.cjs run <spec> --force` on one tiny dataset',
    `(${TINY_DATASETS.stores} stores × ${TINY_DATASETS.products} products), with no worker polling its task queue, so it hosts one; overhead = the command's wall time`,
    `minus the run's own time on the server (its first workflow task picked up by a worker, to its close). ${rounds} rounds, each an uncached command (sources through tsx, workflow bundle cache emptied) then a cached one, after one warm-up; medians.`,
    '',
    '| side | command wall | workflow | overhead | overhead, each round |',
    '| --- | ---: | ---: | ---: | --- |',
    row('uncached (baseline: before the caches)', sides.uncached),
    row('cached', sides.cached),
    '',
  ];
  await mkdir(path.join(__dirname, 'results'), { recursive: true });
  const file = path.join(__dirname, 'results', 'run-overhead.md');
  await writeFile(file, lines.join('\n'));
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
