/**
 * The metrics a pipeline spec can ask for, by name. Each maps the inputs of one dataset's week
 * to named output tables, all lazy: nothing runs until the compute stage sinks them.
 */
import type pl from 'nodejs-polars';
import { hierarchySales } from './hierarchySales';
import { lostSalesByCategory, lostSalesDetail } from './lostSales';

export interface MetricInputs {
  transactions: pl.LazyDataFrame;
  stock: pl.LazyDataFrame;
  products: pl.LazyDataFrame;
  substitutes: pl.LazyDataFrame;
}

export const METRICS = {
  hierarchySales: (inputs: MetricInputs) => ({ hierarchy_sales: hierarchySales(inputs.transactions, inputs.products) }),
  lostSalesToSubstitutes: (inputs: MetricInputs) => {
    const detail = lostSalesDetail(inputs);
    return { lost_sales_detail: detail, lost_sales_by_category: lostSalesByCategory(detail) };
  },
} satisfies Record<string, (inputs: MetricInputs) => Record<string, pl.LazyDataFrame>>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as [MetricName, ...MetricName[]];
