/**
 * Benchmark: what incremental runs save. On one generated week, in one process and one run:
 *   full      the weekly load on fresh outputs (every dataset computed)      <- the baseline
 *   unchanged the same week again (every dataset skipped: inputs unchanged)
 *   forced    the same week with force (every dataset recomputed)
 *   touched   one region's input touched (that region recomputed, the rest skipped)
 * all through a real Temporal dev server and an in-process worker. Writes bench/results/incremental.md.
 * Usage: npm run bench [-- --regions N --stores N --products N]
 */
import { cpus, freemem, platform, release, totalmem } from 'node:os';
import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { RunReport } from '../common/report';
import { DATAGEN_DEFAULTS, generateRetailWeek } from '../datagen';
import { ensureTemporalCli } from '../runtime/temporalCli';
import { createWorker } from '../workers/worker';
import type { weeklyLoad } from '../workflows';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      regions: { type: 'string', default: '8' },
      stores: { type: 'string', default: '100' },
      products: { type: 'string', default: '1000' },
    },
  });
  const size = {
    ...DATAGEN_DEFAULTS,
    regions: Number(values.regions),
    stores: Number(values.stores),
    products: Number(values.products),
  };
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const home = await mkdtemp(path.join(tmpdir(), 'tributary-bench-'));
  const data = path.join(home, 'data');
  const out = path.join(home, 'out');
  const manifest = await generateRetailWeek({ out: data, ...size });
  const rows = Object.values(manifest.rows).reduce((n, r) => n + r.transactions + r.stock, 0);

  const env = await TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: await ensureTemporalCli() } },
  });
  const taskQueue = 'bench-incremental';
  const worker = await createWorker({ connection: env.nativeConnection, taskQueue });
  const spec = {
    name: 'bench',
    dataRoot: data,
    datasets: { glob: 'sales/*' },
    reference: { products: 'reference/products.parquet', substitutes: 'reference/substitutes.parquet' },
    metrics: ['hierarchySales', 'lostSalesToSubstitutes'],
    output: { root: out },
  };
  const timed = async (name: string, force = false) => {
    const started = performance.now();
    const report = await env.client.workflow.execute<typeof weeklyLoad>('weeklyLoad', {
      taskQueue,
      workflowId: `bench-${name}-${Date.now()}`,
      args: [{ spec, week: size.week, ...(force ? { force } : {}) }],
    });
    const seconds = (performance.now() - started) / 1000;
    console.error(
      `${name}: ${seconds.toFixed(1)} s (${report.totals.succeeded} computed, ${report.totals.skipped} skipped)`,
    );
    return { name, seconds, report };
  };
  const results: { name: string; seconds: number; report: RunReport }[] = [];
  await worker.runUntil(async () => {
    results.push(await timed('full'));
    results.push(await timed('unchanged'));
    results.push(await timed('forced', true));
    const touched = path.join(data, 'sales', manifest.regions[0]!, 'stock.parquet');
    const later = new Date(Date.now() + 60_000);
    await utimes(touched, later, later);
    results.push(await timed('touched'));
  });
  await env.teardown();

  const baseline = results[0]!.seconds;
  const cpu = cpus();
  const lines = [
    '# Benchmark: incremental runs',
    '',
    `Measured ${new Date().toISOString()} by \`npm run bench\` (bench/incremental.ts).`,
    '',
    `Machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} GiB free at the end), ${platform()} ${release()}, Node ${process.version}.`,
    `Data: ${size.regions} regions × ${size.stores} stores × ${size.products} products × ${size.days} days = ${rows.toLocaleString('en')} input rows (transactions + stock).`,
    'Method: one Temporal dev server (Temporal CLI) and one in-process worker (4 activity slots), parallelism 4 datasets, default policies;',
    'each scenario is one `weeklyLoad` run, timed from start to result, in this order, in the same process. The baseline is the full run.',
    '',
    '| scenario | wall time | vs full run | datasets computed | datasets skipped |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.name} | ${r.seconds.toFixed(1)} s | ${(r.seconds / baseline).toFixed(2)}× | ${r.report.totals.succeeded} | ${r.report.totals.skipped} |`,
    ),
    '',
    'A skipped dataset still has its inputs checked (schema, nulls, row counts) and its fingerprint compared; only compute and write are saved.',
    '',
  ];
  await mkdir(path.join(__dirname, 'results'), { recursive: true });
  const file = path.join(__dirname, 'results', 'incremental.md');
  await writeFile(file, lines.join('\n'));
  console.log(lines.join('\n'));
  console.error(`Written to ${file}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
