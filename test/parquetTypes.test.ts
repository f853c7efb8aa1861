/**
 * Schemas and row counts from parquet footers, checked against polars' own answer on real files:
 * every column type polars writes, read as polars wrote it, as a writer without an Arrow schema
 * would have left it (Spark, parquet-mr), and as another Arrow writer's; the sample's own files;
 * and the footer read asks its byte source for the file's end only.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ByteSource } from '../activities/byteSource';
import { fileSchema, scanSummary } from '../activities/parquet';
import { footerSummary, storedFooter, nullCountsOf, readFooter } from '../activities/parquetFooter';
import { dtypeName } from '../activities/parquetTypes';
import { DATAGEN_DEFAULTS, generateRetailWeek } from '../datagen';
import { tempDir } from './helpers/parquet';

let dir: string;

beforeAll(async () => {
  dir = await tempDir('tributary-parquet-types-');
});

/** What polars itself says: the schema of an empty collect, and the row count. */
async function polarsSummary(file: string) {
  const lf = pl.scanParquet(file);
  const empty = await lf.head(0).collect();
  const rows = Number((await lf.select(pl.len().alias('n')).collect()).getColumn('n').get(0));
  return { rows, schema: Object.fromEntries(Object.entries(empty.schema).map(([c, t]) => [c, dtypeName(t)])) };
}

/** Replaces a same-length string inside the file's footer, as another writer would have written it. */
async function rewriteFooter(from: string, to: string, source: string, target: string): Promise<void> {
  const bytes = await readFile(source);
  const at = bytes.lastIndexOf(from);
  expect(at).toBeGreaterThan(0);
  bytes.write(to, at, 'latin1');
  await writeFile(target, bytes);
}

type Writer = 'polars' | 'noArrowSchema' | 'otherArrowWriter';
const WRITERS: Writer[] = ['polars', 'noArrowSchema', 'otherArrowWriter'];

const base = pl.DataFrame({
  n: pl.Series('n', [1, 2, null], pl.Int64),
  s: pl.Series('s', ['a', 'b', null], pl.Utf8),
  d: pl.Series('d', [new Date(0), new Date(86_400_000), null], pl.Date),
});
const n = pl.col('n');
const ms = n.cast(pl.Datetime('ms'));

/** One column per case, and the writers whose footer tells its polars type (the others fall back to polars). */
const CASES: [string, pl.Expr, Writer[]][] = [
  ['Int8', n.cast(pl.Int8), WRITERS],
  ['Int16', n.cast(pl.Int16), WRITERS],
  ['Int32', n.cast(pl.Int32), WRITERS],
  // Under an Arrow schema a plain INT64 may be a Duration: only the parquet types are sure.
  ['Int64', n, ['noArrowSchema']],
  ['UInt8', n.cast(pl.UInt8), WRITERS],
  ['UInt16', n.cast(pl.UInt16), WRITERS],
  ['UInt32', n.cast(pl.UInt32), WRITERS],
  ['UInt64', n.cast(pl.UInt64), WRITERS],
  ['Float32', n.cast(pl.Float32), WRITERS],
  ['Float64', n.cast(pl.Float64), WRITERS],
  ['Bool', n.gt(1), WRITERS],
  ['String', pl.col('s'), ['noArrowSchema']],
  ['Categorical', pl.col('s').cast(pl.Categorical), ['noArrowSchema']],
  ['Date', pl.col('d'), ['polars', 'noArrowSchema']],
  ['Datetime ms', ms, ['polars', 'noArrowSchema']],
  ['Datetime us', ms.cast(pl.Datetime('us')), ['polars', 'noArrowSchema']],
  ['Datetime ns', ms.cast(pl.Datetime('ns')), ['polars', 'noArrowSchema']],
  ['Datetime with a zone', ms.cast(pl.Datetime('ms', 'Europe/Paris')), ['noArrowSchema']],
  ['Duration', n.cast(pl.Duration('ms')), ['noArrowSchema']],
  ['Time', n.cast(pl.Time), []],
  ['List', pl.concatList([n]), []],
];

/** The case's column written by polars, then as the given writer would have left the footer. */
async function writeCase(name: string, column: pl.Expr, writer: Writer): Promise<string> {
  const slug = name.replace(/\W+/g, '-');
  const file = path.join(dir, `${slug}-polars.parquet`);
  base.select(column.alias('c')).writeParquet(file);
  if (writer === 'polars') return file;
  const target = path.join(dir, `${slug}-${writer}.parquet`);
  // Polars looks for the Arrow schema under exactly this key; the writer's name is in created_by.
  if (writer === 'noArrowSchema') await rewriteFooter('ARROW:schema', 'ARROW:schemX', file, target);
  else await rewriteFooter('Polars', 'Xolars', file, target);
  return target;
}

describe('schema from the footer', () => {
  for (const [name, column, known] of CASES) {
    it(`${name}: the footer's schema is polars' own, or the footer leaves it to polars`, async () => {
      for (const writer of WRITERS) {
        const file = await writeCase(name, column, writer);
        const polars = await polarsSummary(file);
        const meta = await storedFooter(file);
        expect(meta, writer).toBeDefined();
        const fromFooter = footerSummary(meta!);
        if (fromFooter) expect(fromFooter, `${name} written by ${writer}`).toEqual(polars);
        expect(fromFooter === undefined ? 'left to polars' : 'from the footer', `${name} written by ${writer}`).toBe(
          known.includes(writer) ? 'from the footer' : 'left to polars',
        );
        // Either way the read stage and admission see what polars sees.
        expect(await scanSummary(file)).toEqual(polars);
        expect(await fileSchema(file)).toEqual(polars.schema);
      }
    });
  }

  it('gives the sample’s sales files their schema and row count from the footer, equal to polars’', async () => {
    const out = await tempDir('tributary-parquet-types-sample-');
    const manifest = await generateRetailWeek({ ...DATAGEN_DEFAULTS, regions: 1, stores: 6, products: 40, out });
    const sales = manifest.files.sales[manifest.regions[0]!]!;
    for (const file of [sales.transactions, sales.stock, manifest.files.substitutes]) {
      const meta = await storedFooter(path.join(out, file));
      expect(footerSummary(meta!), file).toEqual(await polarsSummary(path.join(out, file)));
    }
    // Product names are strings under polars' Arrow schema (they could be Categorical): polars answers.
    const products = path.join(out, manifest.files.products);
    expect(footerSummary((await storedFooter(products))!)).toBeUndefined();
    expect(await scanSummary(products)).toEqual(await polarsSummary(products));
  });
});

describe('footer reads', () => {
  it('asks the byte source for the end of the file only, in one read when the footer is small', async () => {
    const file = path.join(dir, 'wide.parquet');
    const ids = Array.from({ length: 200_000 }, (_, i) => i);
    pl.DataFrame({ id: pl.Series('id', ids, pl.Int32), v: ids.map((i) => i * 0.5) }).writeParquet(file);
    const bytes = await readFile(file);
    const reads: [number, number][] = [];
    const source: ByteSource = {
      byteLength: bytes.length,
      slice(start, end = bytes.length) {
        reads.push([start, end]);
        return Uint8Array.from(bytes.subarray(start, end)).buffer;
      },
    };
    const meta = await readFooter(source);
    expect(Number(meta.num_rows)).toBe(200_000);
    expect(nullCountsOf(meta)).toEqual(
      new Map([
        ['id', 0],
        ['v', 0],
      ]),
    );
    expect(reads).toHaveLength(1);
    expect(reads[0]![1]).toBe(bytes.length);
    expect(bytes.length - reads[0]![0]).toBeLessThan(bytes.length / 4);
  });

  it('reads a footer longer than the first read in a second one', async () => {
    const file = path.join(dir, 'many-row-groups.parquet');
    const ids = Array.from({ length: 100_000 }, (_, i) => i);
    const frame = pl.DataFrame({ id: pl.Series('id', ids, pl.Int32), v: ids.map((i) => i * 0.5) });
    await frame.lazy().sinkParquet(file, { statistics: true, rowGroupSize: 100 }).collect();
    const meta = await storedFooter(file);
    expect(meta!.metadata_length).toBeGreaterThan(64 * 1024);
    expect(footerSummary(meta!)).toEqual(await polarsSummary(file));
    expect(meta!.row_groups.length).toBe(1_000);
  });

  it('gives no footer for a missing file, and scanSummary then fails as polars does', async () => {
    const missing = path.join(dir, 'missing.parquet');
    expect(await storedFooter(missing)).toBeUndefined();
    await expect(scanSummary(missing)).rejects.toMatchObject({ type: 'FileNotFound' });
    const text = path.join(dir, 'text.parquet');
    await writeFile(text, 'date,store_id\n2026-11-16,1\n');
    await expect(fileSchema(text)).rejects.toMatchObject({ type: 'UnreadableParquet' });
  });
});
