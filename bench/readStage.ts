/**
 * Benchmark: the read stage's cost per dataset (readDataset: schema, nulls, week rows, quality rules), on
 * many tiny datasets and on one default-size region, as wall and CPU time (process CPU: polars' threads
 * included). `--code DIR` times another checkout's readDataset (e.g. an older commit) on the same files,
 * in the same way, so two runs on a loaded machine compare by CPU time and by ratio.
 * `--crossover` times this checkout's two ways of checking a file (in memory, polars scan) on
 * datasets of growing size, to place SMALL_FILE_ROWS (activities/smallFile.ts).
 * Usage: npx tsx bench/readStage.ts [--code DIR] [--tiny 40] [--rounds 5] [--big-rounds 3] [--data DIR] [--no-big]
 *        npx tsx bench/readStage.ts --crossover [--data DIR]
 */
import { mkdtemp } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { inspectInput, openInput } from '../activities/inspect';
import { rulesOf } from '../activities/quality';
import type { DatasetRef } from '../common/types';
import { DATAGEN_DEFAULTS, datasetRefs, generateRetailWeek, type Manifest, TINY_DATASETS } from '../datagen';

const WEEK = '2026-11-16';
const TINY = { ...TINY_DATASETS, regions: 40, week: WEEK };

type ReadDataset = (dataset: DatasetRef, week: string) => Promise<unknown>;

async function data(dir: string, size: Omit<Parameters<typeof generateRetailWeek>[0], 'out'>): Promise<DatasetRef[]> {
  const manifestFile = path.join(dir, 'manifest.json');
  const manifest = existsSync(manifestFile)
    ? (JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(manifestFile, 'utf8'))) as Manifest)
    : await generateRetailWeek({ out: dir, ...size });
  return datasetRefs(dir, manifest);
}

interface Timing {
  wallMs: number;
  cpuMs: number;
}

/** Per-dataset wall and CPU time of reading `datasets` one after another, `rounds` times; the median round. */
async function timed(read: ReadDataset, datasets: DatasetRef[], rounds: number): Promise<Timing & { all: Timing[] }> {
  const all: Timing[] = [];
  for (let r = 0; r < rounds; r++) {
    global.gc?.();
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (const d of datasets) await read(d, WEEK);
    const wallMs = (performance.now() - start) / datasets.length;
    const used = process.cpuUsage(cpu);
    all.push({ wallMs, cpuMs: (used.user + used.system) / 1000 / datasets.length });
  }
  const byCpu = [...all].sort((a, b) => a.cpuMs - b.cpuMs);
  return { ...byCpu[Math.floor(byCpu.length / 2)]!, all };
}

/** Per-dataset cost of each way of checking its two files, on datasets of 1k to 100k stock rows. */
async function crossover(home: string, rounds: number): Promise<void> {
  const rules = rulesOf({});
  const sizes: [number, number][] = [
    [2, 4],
    [2, 15],
    [2, 36],
    [2, 72],
    [5, 60],
    [5, 143],
    [10, 143],
    [10, 286],
    [20, 715],
  ];
  for (const [stores, products] of sizes) {
    const dir = path.join(home, `crossover-${stores}x${products}`);
    const [dataset] = await data(dir, { ...TINY, regions: 1, stores, products });
    const line: string[] = [];
    for (const reading of ['memory', 'scan'] as const) {
      const check: ReadDataset = async (d) => {
        for (const [input, file] of [
          ['transactions', d.files.transactions],
          ['stock', d.files.stock],
        ] as const) {
          await inspectInput(await openInput(file, input, 'bench', reading), 'bench', WEEK, rules);
        }
      };
      await check(dataset!, WEEK);
      line.push(`${reading}: ${fmt(await timed(check, [dataset!], rounds))}`);
    }
    console.log(`${stores * products * 7} stock rows per dataset: ${line.join('; ')}`);
  }
}

const fmt = (t: Timing) => `wall ${t.wallMs.toFixed(1)} ms, CPU ${t.cpuMs.toFixed(1)} ms`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      code: { type: 'string', default: path.resolve(__dirname, '..') },
      tiny: { type: 'string', default: String(TINY.regions) },
      rounds: { type: 'string', default: '5' },
      'big-rounds': { type: 'string', default: '3' },
      data: { type: 'string' },
      'no-big': { type: 'boolean', default: false },
      crossover: { type: 'boolean', default: false },
    },
  });
  if (values.crossover) {
    const home = values.data ?? (await mkdtemp(path.join(tmpdir(), 'tributary-bench-read-')));
    await crossover(home, Number(values.rounds));
    return;
  }
  const code = path.resolve(values.code);
  const { readDataset } = (await import(path.join(code, 'activities', 'read.ts'))) as { readDataset: ReadDataset };
  const home = values.data ?? (await mkdtemp(path.join(tmpdir(), 'tributary-bench-read-')));
  const tiny = await data(path.join(home, 'tiny'), { ...TINY, regions: Number(values.tiny) });
  console.log(`code: ${code}; data: ${home}`);

  // Warm-up: module loading, polars' first plans, the page cache.
  for (const d of tiny.slice(0, 5)) await readDataset(d, WEEK);
  const small = await timed(readDataset, tiny, Number(values.rounds));
  console.log(`tiny (${tiny.length} datasets of 2 stores x 4 products x 7 days), per dataset: ${fmt(small)}`);
  console.log(`  rounds: ${small.all.map(fmt).join(' | ')}`);

  if (!values['no-big']) {
    const big = (await data(path.join(home, 'big'), { ...DATAGEN_DEFAULTS, regions: 1 }))[0]!;
    await readDataset(big, WEEK);
    const large = await timed(readDataset, [big], Number(values['big-rounds']));
    console.log(`big (1 region of 150 stores x 1500 products x 7 days, ~3.1M rows), per dataset: ${fmt(large)}`);
    console.log(`  rounds: ${large.all.map(fmt).join(' | ')}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
