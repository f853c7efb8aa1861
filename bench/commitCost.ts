/**
 * What the commit protocol (issue 15) costs: the same weekly load timed with this checkout and with
 * the checkout of the commit before it (`--before DIR`, e.g. a `git worktree` of e1cb857 with the same
 * node_modules), on the same generated data and the same dev server, in turns (A B, B A, …) so that
 * a drift of the machine's speed falls on both. Each run is a fresh process (bench/commitCostSide.ts)
 * writing into a fresh output folder. Writes bench/results/commit-cost.md.
 *
 * Usage: npx tsx bench/commitCost.ts --before DIR [--only default,small10k (or small1k)] [--rounds 5] [--small10k-rounds 3]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DATAGEN_DEFAULTS, generateRetailWeek } from '../datagen';
import { SINGLE_PARTITION_ARGS } from '../runtime/devServer';
import { ensureTemporalCli } from '../runtime/temporalCli';

const WEEK = '2026-11-16';
const SCENARIOS = {
  default: { regions: 12, stores: 150, products: 1500, batch: undefined },
  small1k: { regions: 1_000, stores: 5, products: 60, batch: 250 },
  small10k: { regions: 10_000, stores: 5, products: 60, batch: 250 },
} as const;
type Scenario = keyof typeof SCENARIOS;

interface Timed {
  wallSeconds: number;
  cpuSeconds: number;
  status: string;
  succeeded: number;
  datasets: number;
}

const here = path.resolve(__dirname, '..');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const commitOf = (repo: string) => execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD']).toString().trim();

async function side(repo: string, address: string, data: string, scenario: Scenario): Promise<Timed> {
  const out = await mkdtemp(path.join(os.tmpdir(), 'commit-cost-out-'));
  const batch = SCENARIOS[scenario].batch;
  const args = ['--import', 'tsx', path.join(here, 'bench/commitCostSide.ts'), '--repo', repo, '--address', address];
  args.push('--data', data, '--out', out, '--week', WEEK, ...(batch ? ['--batch', String(batch)] : []));
  try {
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, args, { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`${repo}: exit code ${code}`))));
    });
    const timed = JSON.parse(stdout.trim().split('\n').pop()!) as Timed;
    if (timed.succeeded !== timed.datasets) throw new Error(`${repo}: ${timed.succeeded}/${timed.datasets} succeeded`);
    return timed;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      before: { type: 'string' },
      only: { type: 'string', default: 'default,small10k' },
      rounds: { type: 'string', default: '5' },
      'small10k-rounds': { type: 'string', default: '3' },
      markdown: { type: 'string', default: path.join(here, 'bench/results/commit-cost.md') },
    },
  });
  if (!values.before) throw new Error('--before DIR: a checkout of the commit to compare with');
  const before = path.resolve(values.before);
  const sides = { after: here, before };
  const scenarios = values.only.split(',') as Scenario[];
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: await ensureTemporalCli() },
      extraArgs: SINGLE_PARTITION_ARGS,
    },
  });
  const address = env.connection.options.address;
  const lines: string[] = [];
  try {
    for (const scenario of scenarios) {
      const size = SCENARIOS[scenario];
      const data = await mkdtemp(path.join(os.tmpdir(), `commit-cost-${scenario}-`));
      const { regions, stores, products } = size;
      await generateRetailWeek({ ...DATAGEN_DEFAULTS, out: data, regions, stores, products, week: WEEK });
      const rounds = Number(scenario === 'small10k' ? values['small10k-rounds'] : values.rounds);
      const runs: { after: Timed; before: Timed }[] = [];
      // One untimed run of each first: page cache, bundles, the server's first tasks.
      for (const repo of Object.values(sides)) await side(repo, address, data, scenario);
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? (['after', 'before'] as const) : (['before', 'after'] as const);
        const got: Partial<Record<'after' | 'before', Timed>> = {};
        for (const which of order) got[which] = await side(sides[which], address, data, scenario);
        runs.push(got as { after: Timed; before: Timed });
        console.error(
          `${scenario} round ${round + 1}: after ${got.after!.wallSeconds.toFixed(2)} s, before ${got.before!.wallSeconds.toFixed(2)} s`,
        );
      }
      await rm(data, { recursive: true, force: true });
      const wall = runs.map((r) => r.after.wallSeconds / r.before.wallSeconds);
      const cpu = runs.map((r) => r.after.cpuSeconds / r.before.cpuSeconds);
      lines.push(
        `## ${scenario} (${size.regions.toLocaleString('en-US')} datasets, ${size.stores} stores × ${size.products} products × 7 days${size.batch ? `, batches of ${size.batch}` : ''})`,
        '',
        '| round | before: wall | after: wall | wall after/before | before: CPU | after: CPU | CPU after/before |',
        '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...runs.map(
          (r, i) =>
            `| ${i + 1} | ${r.before.wallSeconds.toFixed(2)} s | ${r.after.wallSeconds.toFixed(2)} s | ${wall[i]!.toFixed(3)}× | ${r.before.cpuSeconds.toFixed(2)} s | ${r.after.cpuSeconds.toFixed(2)} s | ${cpu[i]!.toFixed(3)}× |`,
        ),
        `| **median** | ${median(runs.map((r) => r.before.wallSeconds)).toFixed(2)} s | ${median(runs.map((r) => r.after.wallSeconds)).toFixed(2)} s | **${median(wall).toFixed(3)}×** | ${median(runs.map((r) => r.before.cpuSeconds)).toFixed(2)} s | ${median(runs.map((r) => r.after.cpuSeconds)).toFixed(2)} s | **${median(cpu).toFixed(3)}×** |`,
        '',
      );
    }
  } finally {
    await env.teardown();
  }
  const cpus = os.cpus();
  const header = [
    '# What the commit protocol costs (issue 15)',
    '',
    `Measured ${new Date().toISOString()} by \`npx tsx bench/commitCost.ts --before <checkout of ${commitOf(before)}> --only ${values.only}\`: `,
    `after = ${commitOf(here)} (publish into run folders, pending records, hashes, the manifest commit and its cleanup), `,
    `before = ${commitOf(before)} (rename into place, fingerprint files). Machine: ${cpus.length} × ${cpus[0]?.model ?? '?'}, `,
    `${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, Linux ${os.release()}.`,
    '',
    'Method: the data generated once per scenario (seed 42, week 2026-11-16); one dev server (single task-queue partition) for all runs; ',
    "each run a fresh process with an in-process worker (4 activity slots, parallelism.datasets 4, default policies) on the checkout's own code, ",
    "timed from `workflow.start` to its result (wall; CPU of that process, polars' threads included, the dev server's not), ",
    'writing into a fresh output folder; one untimed run of each side first, then rounds in alternating order (after-before, before-after, …).',
    'The ratio is taken round by round; the median of the rounds is the figure to quote.',
    '',
  ];
  await writeFile(values.markdown, `${[...header, ...lines].join('\n')}`);
  console.error(`wrote ${values.markdown}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
