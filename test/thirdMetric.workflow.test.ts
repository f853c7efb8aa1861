/**
 * A third metric, on-shelf availability, added as its own file and one registry line, flows through
 * everything on a real dev server and real parquet: the child path (week one), the batch path (week
 * two, equal to the child's), the report's totals, week over week, and the run page.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inWeek } from '../activities/parquet';
import { writeRunPage } from '../cli/htmlReport/load';
import type { RunReport } from '../common/report';
import { generateRetailWeek, type Manifest } from '../datagen';
import { tempDir } from './helpers/parquet';
import { startTestServer } from './helpers/temporal';
import { runWeekly, specFor } from './helpers/weekly';
import { committedTable } from './helpers/snapshot';

const WEEK = '2026-11-16';
const NEXT = '2026-11-23';
const SIZE = { regions: 3, stores: 4, products: 40, days: 7, seed: 23, substitutionShare: 0.6 };
const METRICS = ['hierarchySales', 'lostSalesToSubstitutes', 'shelfAvailability'];
const SHELF_TABLES = ['shelf_availability_by_category', 'shelf_availability_by_store'];
let env: TestWorkflowEnvironment;
let weekOne: string;
let weekTwo: string;
let manifest: Manifest;

beforeAll(async () => {
  env = await startTestServer();
  [weekOne, weekTwo] = await Promise.all([tempDir('tributary-osa-one-'), tempDir('tributary-osa-two-')]);
  // The second week has four times the stock-outs: availability falls, lost sales days jump.
  [manifest] = await Promise.all([
    generateRetailWeek({ out: weekOne, ...SIZE, week: WEEK, stockoutRate: 0.1 }),
    generateRetailWeek({ out: weekTwo, ...SIZE, week: NEXT, stockoutRate: 0.4 }),
  ]);
});
afterAll(async () => {
  await env?.teardown();
});

const reportOf = async (out: string, week: string) =>
  JSON.parse(await readFile(path.join(out, week, '_report.json'), 'utf8')) as RunReport;

/** Store-product-days of the week and those in stock, straight from a region's stock file. */
async function stockDays(dataRoot: string, region: string, week: string) {
  const file = path.join(dataRoot, 'sales', region, 'stock.parquet');
  const stock = await pl.scanParquet(file).filter(inWeek(week)).collect();
  return { days: stock.height, inStock: Number(stock.getColumn('in_stock').cast(pl.Int64).sum()) };
}

describe('a third metric (on-shelf availability)', () => {
  it('flows through the child, the batch, the report totals, week over week and the run page', async () => {
    const out = await tempDir('tributary-osa-out-');

    // Week one: a child workflow per dataset.
    const one = await runWeekly(env, 'osa child', { spec: specFor(weekOne, out, { metrics: METRICS }), week: WEEK });
    expect(one.report.status).toBe('succeeded');
    for (const d of one.report.datasets) {
      expect(d.stages.read, d.dataset).toBeDefined(); // the child's stages
      expect(d.outputs.map((o) => o.table)).toEqual(expect.arrayContaining(SHELF_TABLES));
    }
    const totalsOne = (await reportOf(out, WEEK)).metricTotals!;
    for (const region of manifest.regions) {
      const { days, inStock } = await stockDays(weekOne, region, WEEK);
      expect(totalsOne[region]).toMatchObject({ shelf_days: days, in_stock_days: inStock });
      expect(totalsOne[region]!.availability).toBeCloseTo(inStock / days, 9);
      expect(totalsOne[region]!.lost_sales_days).toBeGreaterThan(0);
      expect(totalsOne[region]!.lost_sales_days).toBeLessThanOrEqual(days - inStock);
      const byStore = pl.readParquet(await committedTable(out, WEEK, region, 'shelf_availability_by_store'));
      expect(Number(byStore.getColumn('shelf_days').sum())).toBe(days);
    }

    // Week two: batched, into the same output root, so it is compared with week one.
    const batching = { maxDatasets: 50 };
    const batched = specFor(weekTwo, out, { metrics: METRICS, batching });
    const two = await runWeekly(env, 'osa batch', { spec: batched, week: NEXT });
    expect(two.report.status).toBe('succeeded');
    for (const d of two.report.datasets) expect(Object.keys(d.stages), d.dataset).toEqual(['compute']); // the batch's
    const report = await reportOf(out, NEXT);
    const change = (region: string, total: string) =>
      report.weekOverWeek?.changes.find((c) => c.dataset === region && c.metric === total);
    for (const region of manifest.regions) {
      const { days, inStock } = await stockDays(weekTwo, region, NEXT);
      expect(report.metricTotals![region]).toMatchObject({ shelf_days: days, in_stock_days: inStock });
      expect(change(region, 'availability')!.change).toBeLessThan(0);
      const previous = totalsOne[region]!.lost_sales_days;
      expect(change(region, 'lost_sales_days')).toMatchObject({ flagged: true, previous });
      expect(change(region, 'lost_sales_days')!.change).toBeGreaterThan(1);
    }

    // The batch's tables are the child's, computed apart.
    const apart = await tempDir('tributary-osa-apart-');
    await runWeekly(env, 'osa child two', { spec: specFor(weekTwo, apart, { metrics: METRICS }), week: NEXT });
    for (const region of manifest.regions) {
      for (const table of SHELF_TABLES) {
        const batched = pl.readParquet(await committedTable(out, NEXT, region, table));
        const alone = pl.readParquet(await committedTable(apart, NEXT, region, table));
        expect(batched.toRecords(), `${region} ${table}`).toEqual(alone.toRecords());
      }
    }

    // The run page of week two: the metric's totals under its title, and its flagged change.
    const page = path.join(out, 'page.html');
    await writeRunPage(env.client, { uiUrl: 'http://ui.test', namespace: 'default' }, two.handle.workflowId, page);
    const html = await readFile(page, 'utf8');
    expect(html).toContain('<th colspan="4" data-metric="shelfAvailability">On-shelf availability</th>');
    for (const region of manifest.regions) {
      const availability = `${(report.metricTotals![region]!.availability! * 100).toFixed(1)}%`;
      const cell = `<td class="num" data-total="availability">${availability}</td>`;
      expect(html).toMatch(new RegExp(`<tr data-dataset="${region}">.*?${cell.replace(/[.%]/g, '\\$&')}`));
      expect(html).toContain(`<li>${region} lost_sales_days: `);
    }
  });
});
