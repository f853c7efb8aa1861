/**
 * The bad-input corpus: damaged copies of generated data, each with the outcome it must have, run
 * through the real weeklyLoad on a real dev server. Dataset-level cases are folders side by side in
 * one run (with healthy datasets that must still succeed); run-level cases each get a run of their own.
 */
import { existsSync } from 'node:fs';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../common/report';
import type { DatasetStage } from '../common/types';
import { fileSchema } from '../activities/parquet';
import { generateRetailWeek, regionName, type Manifest } from '../datagen';
import { tempDir } from './helpers/parquet';
import { testEnvironment } from './helpers/temporal';
import { committedTable, expectConsistentSnapshot, readSnapshot } from './helpers/snapshot';
import { filesUnder, runWeekly, specFor } from './helpers/weekly';

const SIZE = {
  regions: 2,
  stores: 4,
  products: 40,
  days: 7,
  seed: 3,
  week: '2026-11-16',
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};
type Input = 'transactions' | 'stock';

// Damages, each applied to one file of a case's folder (a copy of a healthy region).
type Damage = (dir: string) => Promise<void>;
const fileOf = (dir: string, input: Input) => path.join(dir, `${input}.parquet`);
const rewrite =
  (input: Input, change: (df: pl.DataFrame) => pl.DataFrame): Damage =>
  async (dir) => {
    const file = fileOf(dir, input);
    change(pl.readParquet(file)).writeParquet(file);
  };
const garbage =
  (input: Input): Damage =>
  (dir) =>
    writeFile(fileOf(dir, input), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)));
const truncated =
  (input: Input): Damage =>
  async (dir) => {
    const bytes = await readFile(fileOf(dir, input));
    await writeFile(fileOf(dir, input), bytes.subarray(0, Math.floor(bytes.length / 2)));
  };
/** Keeps the footer (so the schema reads fine) but overwrites the first half, data pages included. */
const pagesOverwritten =
  (input: Input): Damage =>
  async (dir) => {
    const bytes = await readFile(fileOf(dir, input));
    for (let i = 4; i < bytes.length / 2; i++) bytes[i] = (i * 7919) % 251;
    await writeFile(fileOf(dir, input), bytes);
  };
const nullsIn = (input: Input, column: string, rows: number) =>
  rewrite(input, (df) => {
    const values = df
      .getColumn(column)
      .toArray()
      .map((v, i) => (i < rows ? null : v));
    return df.withColumn(pl.Series(column, values, df.getColumn(column).dtype));
  });
const both =
  (...damages: Damage[]): Damage =>
  async (dir) => {
    for (const d of damages) await d(dir);
  };

interface DatasetCase {
  name: string;
  damage: Damage;
  /** The read failure it must cause: error type, the file it names, and the problem stated; or success. */
  outcome: { fails: string; file: Input; problem: RegExp } | 'succeeds';
}

const DATASET_CASES: DatasetCase[] = [
  {
    name: 'corrupt-parquet',
    damage: garbage('transactions'),
    outcome: {
      fails: 'UnreadableParquet',
      file: 'transactions',
      problem: /Cannot read parquet file .*transactions\.parquet: \S/,
    },
  },
  {
    name: 'truncated-parquet',
    damage: truncated('stock'),
    outcome: { fails: 'UnreadableParquet', file: 'stock', problem: /Cannot read parquet file .*stock\.parquet: \S/ },
  },
  {
    name: 'corrupt-data-pages',
    damage: pagesOverwritten('transactions'),
    outcome: {
      fails: 'UnreadableParquet',
      file: 'transactions',
      problem: /Cannot read parquet file .*transactions\.parquet: \S/,
    },
  },
  {
    name: 'missing-column',
    damage: rewrite('transactions', (df) => df.drop('revenue')),
    outcome: { fails: 'SchemaMismatch', file: 'transactions', problem: /column "revenue" missing \(expected float\)/ },
  },
  {
    name: 'units-as-strings',
    damage: rewrite('transactions', (df) => df.withColumn(pl.col('units').cast(pl.Utf8))),
    outcome: {
      fails: 'SchemaMismatch',
      file: 'transactions',
      problem: /column "units" has type String \(expected integer\)/,
    },
  },
  {
    name: 'in-stock-as-int',
    damage: rewrite('stock', (df) => df.withColumn(pl.col('in_stock').cast(pl.Int32))),
    outcome: {
      fails: 'SchemaMismatch',
      file: 'stock',
      problem: /column "in_stock" has type Int32 \(expected boolean\)/,
    },
  },
  {
    name: 'null-units',
    damage: nullsIn('transactions', 'units', 7),
    outcome: { fails: 'NullValues', file: 'transactions', problem: /column "units" has 7 null rows \(not nullable\)/ },
  },
  {
    name: 'null-product-id',
    damage: nullsIn('stock', 'product_id', 3),
    outcome: { fails: 'NullValues', file: 'stock', problem: /column "product_id" has 3 null rows \(not nullable\)/ },
  },
  {
    name: 'missing-stock-file',
    damage: (dir) => rm(fileOf(dir, 'stock')),
    outcome: { fails: 'FileNotFound', file: 'stock', problem: /stock file .*stock\.parquet does not exist/ },
  },
  // Zero rows is a quiet week, not an error.
  {
    name: 'empty-inputs',
    damage: both(
      rewrite('transactions', (df) => df.head(0)),
      rewrite('stock', (df) => df.head(0)),
    ),
    outcome: 'succeeds',
  },
];

let env: TestWorkflowEnvironment;
let data: string;
let manifest: Manifest;

beforeAll(async () => {
  env = await testEnvironment();
  data = await tempDir('tributary-bad-inputs-');
  manifest = await generateRetailWeek({ out: data, ...SIZE });
});
afterAll(async () => {
  await env?.teardown();
});

/** A private copy of the generated data, for a run that damages it. */
async function copyOfData(): Promise<string> {
  const copy = await tempDir('tributary-bad-inputs-copy-');
  await cp(data, copy, { recursive: true });
  return copy;
}

/** Records every stage attempt the worker starts, per `stage/dataset`: retries show up here whatever the report says. */
function attemptLog() {
  const seen: Record<string, number[]> = {};
  const faults = (stage: string, dataset: string, attempt: number) => {
    (seen[`${stage}/${dataset}`] ??= []).push(attempt);
  };
  return { seen, faults };
}

const EXPECTED_TABLES = ['hierarchy_sales', 'lost_sales_by_category', 'lost_sales_detail'];

describe('bad datasets, one folder per case beside healthy ones, in one run', () => {
  let dataRoot: string;
  let out: string;
  let report: RunReport;
  let seen: Record<string, number[]>;

  beforeAll(async () => {
    dataRoot = await copyOfData();
    const healthy = path.join(dataRoot, 'sales', manifest.regions[0]!);
    for (const c of DATASET_CASES) {
      const dir = path.join(dataRoot, 'sales', c.name);
      await cp(healthy, dir, { recursive: true });
      await c.damage(dir);
    }
    out = path.join(await tempDir('tributary-bad-inputs-out-'), 'out');
    const log = attemptLog();
    seen = log.seen;
    ({ report } = await runWeekly(
      env,
      'bad dataset corpus',
      { spec: specFor(dataRoot, out), week: SIZE.week },
      log.faults,
    ));
  });

  const failing = DATASET_CASES.flatMap((c) => (c.outcome === 'succeeds' ? [] : [{ ...c, outcome: c.outcome }]));

  it.each(failing)(
    '$name: fails at read with $outcome.fails after one attempt, naming dataset, file and problem',
    (c) => {
      const summary = report.datasets.find((d) => d.dataset === c.name);
      expect(summary?.status).toBe('failed');
      expect(summary?.error).toMatchObject({ stage: 'read', type: c.outcome.fails });
      const message = summary?.error?.message ?? '';
      expect(message).toContain(`Dataset ${c.name}`);
      expect(message).toContain(path.join(dataRoot, 'sales', c.name, `${c.outcome.file}.parquet`));
      expect(message).toMatch(c.outcome.problem);
      expect(summary?.stages.read?.attempts).toBe(1);
      expect(seen[`read/${c.name}`]).toEqual([1]);
      expect(seen[`compute/${c.name}`]).toBeUndefined();
    },
  );

  it.each(failing)('$name: leaves no output', async (c) => {
    expect((await filesUnder(out)).filter((f) => f.split(path.sep).includes(c.name))).toEqual([]);
  });

  it('corrupt-data-pages: the footer still reads, so it is the row scan that fails, not the schema check', async () => {
    await expect(
      fileSchema(path.join(dataRoot, 'sales', 'corrupt-data-pages', 'transactions.parquet')),
    ).resolves.toHaveProperty('units');
  });

  it('empty-inputs: a week with zero rows succeeds with empty outputs', async () => {
    const summary = report.datasets.find((d) => d.dataset === 'empty-inputs');
    expect(summary).toMatchObject({ status: 'succeeded', rowsIn: { transactions: 0, stock: 0 } });
    expect(summary?.outputs.map((o) => o.table).sort()).toEqual(EXPECTED_TABLES);
    for (const output of summary?.outputs ?? []) {
      expect(output.path).toBe(await committedTable(out, SIZE.week, 'empty-inputs', output.table));
      expect(pl.readParquet(output.path).height).toBe(0);
      expect(output.rows).toBe(0);
    }
  });

  it('the healthy datasets succeed with every input row and every output table', async () => {
    for (const region of manifest.regions) {
      const summary = report.datasets.find((d) => d.dataset === region);
      expect(summary?.status).toBe('succeeded');
      expect(summary?.rowsIn).toEqual(manifest.rows[region]);
      for (const table of EXPECTED_TABLES)
        expect(existsSync(await committedTable(out, SIZE.week, region, table))).toBe(true);
    }
    // The failing datasets are not in the week's snapshot, and it says why.
    const snapshot = await expectConsistentSnapshot(out, SIZE.week);
    expect(snapshot.datasets.map((d) => d.dataset).sort()).toEqual([...manifest.regions, 'empty-inputs'].sort());
    expect(snapshot.notCommitted.map((n) => n.dataset).sort()).toEqual(failing.map((c) => c.name).sort());
    expect(report.status).toBe('partial');
    expect(report.totals).toMatchObject({ succeeded: manifest.regions.length + 1, failed: failing.length });
  });

  it('leaves nothing in the staging folder', async () => {
    expect(await filesUnder(path.join(out, '.staging'))).toEqual([]);
  });
});

/** The failure a run ended with, down to the activity's own error. */
function failureOf(err: unknown): ApplicationFailure | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const cause = err.cause instanceof ActivityFailure ? err.cause.cause : err.cause;
  return cause instanceof ApplicationFailure ? cause : undefined;
}

interface RunCase {
  name: string;
  /** The spec of the run, given the data root (a healthy copy) and a place outside it. */
  spec: (dataRoot: string, out: string, elsewhere: string) => Record<string, unknown>;
  fails: string;
  /** Damage to do to the data root first, if any. */
  prepare?: (dataRoot: string, elsewhere: string) => Promise<void>;
  /** What the message must state, given the same paths. */
  message: (dataRoot: string, elsewhere: string) => (string | RegExp)[];
}

const RUN_CASES: RunCase[] = [
  {
    name: 'glob matching nothing',
    spec: (root, out) => specFor(root, out, { datasets: { glob: 'nowhere/*' } }),
    fails: 'NoDatasets',
    message: (root) => [`glob "nowhere/*" matched no folders under ${root}`],
  },
  {
    // The spec itself forbids "..", so this never reaches the data root check.
    name: 'list entry with ..',
    spec: (root, out) => specFor(root, out, { datasets: { list: [`sales/${regionName(0)}`, '../elsewhere'] } }),
    fails: 'InvalidSpec',
    message: () => ['datasets.list.1: must not contain ".."'],
  },
  {
    name: 'list entry with an absolute path outside the data root',
    spec: (root, out, elsewhere) => specFor(root, out, { datasets: { list: [`sales/${regionName(0)}`, elsewhere] } }),
    fails: 'PathOutsideDataRoot',
    message: (root, elsewhere) => [`Dataset "${elsewhere}" is outside the data root ${root}`],
  },
  {
    name: 'unknown field and negative parallelism',
    spec: (root, out) => specFor(root, out, { colour: 'blue', parallelism: { datasets: -1 } }),
    fails: 'InvalidSpec',
    message: () => [
      '(spec): Unrecognized key: "colour"',
      /parallelism\.datasets: Too small: expected number to be >=1/,
    ],
  },
  {
    name: 'impossible timeouts',
    spec: (root, out) =>
      specFor(root, out, {
        stages: {
          read: { startToCloseTimeout: '10s', heartbeatTimeout: '1 minute' },
          compute: { startToCloseTimeout: '10 minutes', scheduleToCloseTimeout: '1 minute' },
        },
      }),
    fails: 'InvalidSpec',
    message: () => [
      'stages.read.heartbeatTimeout: must be shorter than startToCloseTimeout (10000 ms)',
      'stages.compute.scheduleToCloseTimeout: must be at least startToCloseTimeout (600000 ms)',
    ],
  },
];

describe('bad runs fail in planning, without retries, and write nothing', () => {
  it.each(RUN_CASES)('$name: $fails', async (c) => {
    const root = await copyOfData();
    const elsewhere = await tempDir('tributary-elsewhere-');
    await cp(path.join(root, 'sales', manifest.regions[0]!), elsewhere, { recursive: true });
    const out = path.join(await tempDir('tributary-bad-inputs-out-'), 'out');
    const log = attemptLog();
    await c.prepare?.(root, elsewhere);

    const run = runWeekly(
      env,
      `bad run ${c.name}`,
      { spec: c.spec(root, out, elsewhere), week: SIZE.week },
      log.faults,
    );

    const err = await run.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const failure = failureOf(err);
    expect(failure?.type).toBe(c.fails);
    expect(failure?.nonRetryable).toBe(true);
    for (const part of c.message(root, elsewhere)) {
      if (typeof part === 'string') expect(failure?.message).toContain(part);
      else expect(failure?.message).toMatch(part);
    }
    expect(log.seen).toEqual({ 'resolve/*': [1] });
    expect(existsSync(out)).toBe(false);
  });
});

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

interface ReferenceCase {
  name: string;
  damage: (products: string) => Promise<void>;
  fails: string;
  /** What each dataset's error must state, given the products file. */
  problem: (products: string) => RegExp;
}

const REFERENCE_CASES: ReferenceCase[] = [
  {
    name: 'products reference missing',
    damage: (file) => rm(file),
    fails: 'FileNotFound',
    problem: (file) => new RegExp(`^Reference data, products file ${literal(file)} does not exist`),
  },
  {
    name: 'duplicate product keys',
    damage: async (file) => {
      const products = pl.readParquet(file);
      pl.concat([products, products.head(1)]).writeParquet(file);
    },
    fails: 'DuplicateKeys',
    problem: (file) =>
      new RegExp(
        `^Reference data, file ${literal(file)} \\(products\\): column "product_id" has 2 rows with duplicate keys`,
      ),
  },
  {
    name: 'null categories in products',
    damage: async (file) => {
      const products = pl.readParquet(file);
      const category = products
        .getColumn('category')
        .toArray()
        .map((v, i) => (i < 2 ? null : v));
      products.withColumn(pl.Series('category', category, pl.Utf8)).writeParquet(file);
    },
    fails: 'NullValues',
    problem: (file) =>
      new RegExp(`^Reference data, file ${literal(file)} \\(products\\): column "category" has 2 null rows`),
  },
];

describe('bad reference data fails every dataset at readReference, without retries', () => {
  it.each(REFERENCE_CASES)('$name: $fails', async (c) => {
    const root = await copyOfData();
    const products = path.join(root, 'reference', 'products.parquet');
    await c.damage(products);
    const out = path.join(await tempDir('tributary-bad-inputs-out-'), 'out');
    const log = attemptLog();

    const { report } = await runWeekly(
      env,
      `bad reference ${c.name}`,
      { spec: specFor(root, out), week: SIZE.week },
      log.faults,
    );

    expect(report.status).toBe('failed');
    expect(report.datasets.map((d) => d.dataset).sort()).toEqual([...manifest.regions].sort());
    for (const summary of report.datasets) {
      expect(summary.error).toMatchObject({ stage: 'readReference' satisfies DatasetStage, type: c.fails });
      expect(summary.error?.message).toMatch(c.problem(products));
      expect(summary.stages.readReference?.attempts).toBe(1);
      expect(log.seen[`readReference/${summary.dataset}`]).toEqual([1]);
    }
    expect(await filesUnder(out)).toEqual([
      path.join(SIZE.week, '_manifests', '0000000001.json'),
      path.join(SIZE.week, '_report.json'),
      path.join(SIZE.week, '_report.md'),
    ]);
    // The snapshot committed says nothing is current, and why.
    const snapshot = await readSnapshot(out, SIZE.week);
    expect(snapshot.datasets).toEqual([]);
    expect(snapshot.notCommitted.map((n) => n.dataset)).toEqual([...manifest.regions].sort());
  });
});
