/**
 * The report's per-dataset totals, read back from real output files: small files read eagerly and
 * summed in JS give the same figures as the polars query (queryTotals), and an unreadable output costs
 * only its own dataset's totals.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pl from 'nodejs-polars';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricTotalsOf, queryTotals } from '../activities/weekOverWeek';
import type { OutputFile } from '../common/types';
import { tempDir } from './helpers/parquet';

let dir: string;
const DATASETS = 320;

function outputsOf(i: number): OutputFile[] {
  const hierarchy = path.join(dir, `h-${i}.parquet`);
  const lost = path.join(dir, `l-${i}.parquet`);
  pl.DataFrame({
    level: ['category', 'category', 'brand'],
    key: ['a', 'b', 'x'],
    units: [i, 2 * i + 1, 1_000],
    revenue: [i * 1.5, 3.25, 99],
  }).writeParquet(hierarchy);
  pl.DataFrame({
    category: ['a', 'b'],
    expected_units: [i + 0.5, 2],
    substituted_units: [1, i / 4],
    lost_units: [i - 0.5, 2 - i / 4],
  }).writeParquet(lost);
  return [
    { table: 'hierarchy_sales', path: hierarchy, rows: 3 },
    { table: 'lost_sales_detail', path: path.join(dir, 'not-totalled.parquet'), rows: 0 },
    { table: 'lost_sales_by_category', path: lost, rows: 2 },
  ];
}

let datasets: { dataset: string; outputs: OutputFile[] }[];

beforeAll(async () => {
  dir = await tempDir('tributary-totals-');
  datasets = Array.from({ length: DATASETS }, (_, i) => ({ dataset: `d-${i}`, outputs: outputsOf(i) }));
});

describe('metricTotalsOf', () => {
  it('gives every dataset the totals the polars query gives', async () => {
    const all = await metricTotalsOf(datasets);
    expect(Object.keys(all)).toHaveLength(DATASETS);
    for (const i of [0, 1, 249, 250, 319]) {
      const d = datasets[i]!;
      const queried = await Promise.all(d.outputs.filter((o) => o.table !== 'lost_sales_detail').map(queryTotals));
      expect(all[d.dataset]).toEqual(Object.assign({}, ...queried));
      expect(all[d.dataset]).toMatchObject({ units: 3 * i + 1, expected_units: i + 2.5 }); // brand rows are not summed
    }
  });

  it('leaves out only the dataset whose output cannot be read back', async () => {
    const broken = path.join(dir, 'broken.parquet');
    await writeFile(broken, 'not parquet');
    const withBroken = datasets.map((d, i) =>
      i === 7
        ? { ...d, outputs: d.outputs.map((o) => (o.table === 'hierarchy_sales' ? { ...o, path: broken } : o)) }
        : d,
    );
    const all = await metricTotalsOf(withBroken);
    expect(all['d-7']).toEqual({});
    expect(all['d-6']).toMatchObject({ units: 19, lost_units: 6 });
    expect(all['d-8']).toMatchObject({ units: 25 });
  });
});
