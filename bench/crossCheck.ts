/**
 * Compares two sets of output tables, Tributary's and another engine's, so that the bench also
 * checks correctness: per table, the rows joined on the dataset and the table's key columns from
 * the metric registry (metrics/index.ts); the same columns and types; the same rows on both sides;
 * per numeric column the largest absolute and relative difference, and how many values differ by
 * more than the float tolerance; other columns exactly equal. The comparison itself runs in DuckDB
 * (a full outer join over the parquet files), outside any timed side.
 */
import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { OUTPUT_TABLES } from '../metrics';
import type { OutputFiles } from './duckdbBaseline';
import { literal } from './duckdbSql';

/**
 * Two figures agree when |a - b| <= TOLERANCE x max(1, |a|, |b|): relative for figures above 1,
 * absolute below (an uplift summed from positive and negative days can land near 0). Sums over a
 * few million floats added in another order differ by about 1e-13 relatively.
 */
export const TOLERANCE = 1e-9;

export interface ColumnDifference {
  maxAbs: number;
  /** |a - b| / max(|a|, |b|), 0 where both are 0 (large for figures near 0: see maxScaled). */
  maxRel: number;
  /** |a - b| / max(1, |a|, |b|): what the tolerance bounds. */
  maxScaled: number;
  /** Matched rows whose values differ by more than the tolerance (or where only one is null). */
  outside: number;
}

export interface TableCheck {
  table: string;
  key: string[];
  rows: { reference: number; candidate: number; matched: number; onlyInReference: number; onlyInCandidate: number };
  /** Columns of each side's first file as `name TYPE`, in file order (DuckDB's names for the parquet types). */
  columns: { reference: string[]; candidate: string[] };
  /** Files whose columns are not the reference's first file's. */
  filesWithOtherColumns: { reference: number; candidate: number };
  numeric: Record<string, ColumnDifference>;
  /** Other non-key columns: matched rows whose values differ. */
  differing: Record<string, number>;
  /** Dataset tables with no file (a partitioned COPY writes none for a dataset without rows). */
  missingFiles: { reference: number; candidate: number };
  equal: boolean;
}

export interface CrossCheck {
  /** What the candidate was compared with, e.g. "the tributary side's published outputs". */
  reference: string;
  datasets: number;
  tolerance: string;
  tables: TableCheck[];
  equal: boolean;
}

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;
const quote = (column: string) => `"${column.replace(/"/g, '""')}"`;

async function rows(connection: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await connection.runAndReadAll(sql)).getRowObjectsJS();
}

/**
 * Loads one side's files of a table into a temp table with a `dataset` column. Returns the columns
 * (`name TYPE`) of each file, in file order.
 */
async function load(
  connection: DuckDBConnection,
  name: string,
  files: [dataset: string, file: string][],
): Promise<Map<string, string[]>> {
  if (files.length === 0) return new Map();
  const list = `[${files.map(([, f]) => literal(f)).join(', ')}]`;
  const datasets = files.map(([d, f]) => `(${literal(f)}, ${literal(d)})`).join(', ');
  await connection.run(`CREATE OR REPLACE TEMP TABLE ${name}_files (file VARCHAR, dataset VARCHAR)`);
  await connection.run(`INSERT INTO ${name}_files VALUES ${datasets}`);
  const schemas = await rows(
    connection,
    `SELECT file_name AS file, list(name || ' ' || duckdb_type ORDER BY column_id) AS columns
     FROM parquet_schema(${list}) WHERE column_id > 0 GROUP BY file_name`,
  );
  // By name: a file whose types differ must not stop the values from being compared.
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${name} AS
     SELECT f.dataset, t.* EXCLUDE (filename), true AS __present
     FROM read_parquet(${list}, filename = true, hive_partitioning = false, union_by_name = true) t
     JOIN ${name}_files f ON f.file = t.filename`,
  );
  return new Map(schemas.map((s) => [String(s.file), (s.columns as string[]).map(String)]));
}

/** The columns of the first file, and how many files have others. */
function columnsOf(schemas: Map<string, string[]>, expected?: string[]): { columns: string[]; others: number } {
  const first = expected ?? [...schemas.values()][0] ?? [];
  return { columns: first, others: [...schemas.values()].filter((c) => c.join() !== first.join()).length };
}

async function checkTable(
  connection: DuckDBConnection,
  table: string,
  datasets: readonly string[],
  reference: OutputFiles,
  candidate: OutputFiles,
): Promise<TableCheck> {
  const declared = OUTPUT_TABLES.get(table);
  if (!declared) throw new Error(`Table ${table} is in no metric of the registry (metrics/index.ts)`);
  const key = [...declared.key];
  const filesOf = (side: OutputFiles) =>
    datasets.flatMap((d) => side(d, table).map((f): [string, string] => [d, f])).filter(([, f]) => existsSync(f));
  const [refFiles, candFiles] = [filesOf(reference), filesOf(candidate)];
  const missing = (files: [string, string][]) => datasets.filter((d) => !files.some(([x]) => x === d)).length;
  const schemas = {
    reference: await load(connection, 'r', refFiles),
    candidate: await load(connection, 'c', candFiles),
  };
  const ref = columnsOf(schemas.reference);
  const columns = { reference: ref.columns, candidate: columnsOf(schemas.candidate).columns };
  const result: TableCheck = {
    table,
    key,
    rows: { reference: 0, candidate: 0, matched: 0, onlyInReference: 0, onlyInCandidate: 0 },
    columns,
    // A mix of columns within one side counts too.
    filesWithOtherColumns: {
      reference: ref.others,
      candidate: columnsOf(schemas.candidate, ref.columns.length > 0 ? ref.columns : undefined).others,
    },
    numeric: {},
    differing: {},
    missingFiles: { reference: missing(refFiles), candidate: missing(candFiles) },
    equal: false,
  };
  const sameColumns =
    columns.reference.join() === columns.candidate.join() &&
    result.filesWithOtherColumns.reference === 0 &&
    result.filesWithOtherColumns.candidate === 0;
  // Values are compared whenever the names match, so a type difference still shows the figures.
  const names = (list: string[]) => list.map((c) => c.split(' ')[0]).join();
  if (names(columns.reference) !== names(columns.candidate) || refFiles.length === 0 || candFiles.length === 0) {
    result.rows.reference = refFiles.length > 0 ? await count(connection, 'r') : 0;
    result.rows.candidate = candFiles.length > 0 ? await count(connection, 'c') : 0;
    result.equal = sameColumns && result.rows.reference === 0 && result.rows.candidate === 0;
    return result;
  }
  const others = columns.reference.map((c) => c.split(' ')).filter(([name]) => !key.includes(name!));
  const matched = 'r.__present AND c.__present';
  const measures = others.flatMap(([name, type]) => {
    const [a, b] = [`r.${quote(name!)}`, `c.${quote(name!)}`];
    if (!NUMERIC.test(type!))
      return [`count(*) FILTER (WHERE ${matched} AND ${a} IS DISTINCT FROM ${b}) AS ${quote(`${name}:differing`)}`];
    const [x, y] = [`${a}::DOUBLE`, `${b}::DOUBLE`];
    const within = `(${a} IS NULL AND ${b} IS NULL) OR abs(${x} - ${y}) <= ${TOLERANCE} * greatest(1, abs(${x}), abs(${y}))`;
    return [
      `coalesce(max(abs(${x} - ${y})), 0) AS ${quote(`${name}:maxAbs`)}`,
      `coalesce(max(CASE WHEN greatest(abs(${x}), abs(${y})) > 0 THEN abs(${x} - ${y}) / greatest(abs(${x}), abs(${y})) ELSE 0 END), 0) AS ${quote(`${name}:maxRel`)}`,
      `coalesce(max(abs(${x} - ${y}) / greatest(1, abs(${x}), abs(${y}))), 0) AS ${quote(`${name}:maxScaled`)}`,
      `count(*) FILTER (WHERE ${matched} AND NOT coalesce(${within}, false)) AS ${quote(`${name}:outside`)}`,
    ];
  });
  const joinOn = ['dataset', ...key].map((k) => `r.${quote(k)} IS NOT DISTINCT FROM c.${quote(k)}`).join(' AND ');
  const [summary = {}] = await rows(
    connection,
    `SELECT count(*) FILTER (WHERE ${matched}) AS matched,
            count(*) FILTER (WHERE r.__present AND c.__present IS NULL) AS only_r,
            count(*) FILTER (WHERE c.__present AND r.__present IS NULL) AS only_c,
            ${measures.join(',\n')}
     FROM r FULL OUTER JOIN c ON ${joinOn}`,
  );
  const num = (k: string) => Number(summary[k] ?? 0);
  result.rows = {
    reference: await count(connection, 'r'),
    candidate: await count(connection, 'c'),
    matched: num('matched'),
    onlyInReference: num('only_r'),
    onlyInCandidate: num('only_c'),
  };
  for (const [name, type] of others) {
    if (NUMERIC.test(type!))
      result.numeric[name!] = {
        maxAbs: num(`${name}:maxAbs`),
        maxRel: num(`${name}:maxRel`),
        maxScaled: num(`${name}:maxScaled`),
        outside: num(`${name}:outside`),
      };
    else result.differing[name!] = num(`${name}:differing`);
  }
  const r = result.rows;
  result.equal =
    sameColumns &&
    r.onlyInReference === 0 &&
    r.onlyInCandidate === 0 &&
    r.matched === r.reference &&
    r.matched === r.candidate &&
    Object.values(result.numeric).every((d) => d.outside === 0) &&
    Object.values(result.differing).every((n) => n === 0);
  return result;
}

async function count(connection: DuckDBConnection, name: string): Promise<number> {
  const [row] = await rows(connection, `SELECT count(*) AS n FROM ${name}`);
  return Number(row?.n ?? 0);
}

/** Compares the candidate's tables with the reference's for the given datasets (see the top of this file). */
export async function crossCheck(input: {
  datasets: readonly string[];
  tables: readonly string[];
  reference: OutputFiles;
  candidate: OutputFiles;
  /** What the reference is, for the report. */
  referenceLabel: string;
}): Promise<CrossCheck> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const tables: TableCheck[] = [];
    for (const table of input.tables)
      tables.push(await checkTable(connection, table, input.datasets, input.reference, input.candidate));
    return {
      reference: input.referenceLabel,
      datasets: input.datasets.length,
      tolerance: `abs(a - b) <= ${TOLERANCE} x max(1, abs(a), abs(b))`,
      tables,
      equal: tables.every((t) => t.equal),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The largest difference over every numeric column (as the tolerance scales it), and where. */
export function largestDifference(check: CrossCheck): { table: string; column: string } & ColumnDifference {
  let worst = { table: '-', column: '-', maxAbs: 0, maxRel: 0, maxScaled: 0, outside: 0 };
  for (const t of check.tables)
    for (const [column, d] of Object.entries(t.numeric))
      if (d.maxScaled > worst.maxScaled) worst = { table: t.table, column, ...d };
  return worst;
}

/** One line for logs and BENCHMARKS.md: equal or not, rows, and the largest difference. */
export function describeCheck(check: CrossCheck): string {
  const worst = largestDifference(check);
  const rowsOf = (t: TableCheck) => `${t.table} ${t.rows.reference.toLocaleString('en')} rows`;
  const problems = check.tables
    .filter((t) => !t.equal)
    .map((t) => {
      const what: string[] = [];
      if (t.columns.reference.join() !== t.columns.candidate.join())
        what.push(`columns differ (${t.columns.reference.join(', ')} vs ${t.columns.candidate.join(', ')})`);
      const other = t.filesWithOtherColumns;
      if (other.reference || other.candidate)
        what.push(`files with other columns: ${other.reference} of the reference's, ${other.candidate} of DuckDB's`);
      if (t.rows.onlyInReference || t.rows.onlyInCandidate)
        what.push(`${t.rows.onlyInReference} rows only in the reference, ${t.rows.onlyInCandidate} only in DuckDB's`);
      if (t.rows.matched !== t.rows.reference || t.rows.matched !== t.rows.candidate)
        what.push(`${t.rows.reference} vs ${t.rows.candidate} rows, ${t.rows.matched} matched`);
      for (const [c, d] of Object.entries(t.numeric))
        if (d.outside)
          what.push(`${c}: ${d.outside} values outside the tolerance (up to ${d.maxScaled.toExponential(1)})`);
      for (const [c, n] of Object.entries(t.differing)) if (n) what.push(`${c}: ${n} values differ`);
      return `${t.table}: ${what.join('; ')}`;
    });
  const head = check.equal
    ? `equal within ${check.tolerance}`
    : `NOT equal (${check.tolerance}): ${problems.join(' / ')}`;
  const largest =
    worst.maxScaled > 0
      ? `largest difference ${worst.maxScaled.toExponential(1)} of max(1, abs(a), abs(b)) (${worst.table}.${worst.column}: ${worst.maxAbs.toExponential(1)} absolute)`
      : 'no difference at all';
  return `${head}; ${check.datasets} datasets, ${check.tables.map(rowsOf).join(', ')}; ${largest}; compared with ${check.reference}`;
}
