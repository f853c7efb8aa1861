/**
 * One region's week, as typed arrays (so tens of millions of rows fit): each store and product has a
 * daily demand rate; demand varies ±10% a day. With probability `stockoutRate` a product runs out
 * in a store for one run of 1–3 days: it sells nothing, `substitutionShare` of its demand moves to
 * its in-stock substitutes (split by normalised strength), the rest is lost. The planted figures
 * are summed as the data is made, so tests can check what the metrics recover.
 */
import type { Catalog } from './catalog';
import { between, type Random } from './random';

export interface RegionOptions {
  stores: number;
  days: number;
  substitutionShare: number;
  stockoutRate: number;
}

export interface Planted {
  /** True demand of products on their stock-out days. */
  expectedUnits: number;
  /** Units of that demand that went to in-stock substitutes. */
  substitutedUnits: number;
  /** expectedUnits - substitutedUnits. */
  lostUnits: number;
  stockoutDays: number;
  totalUnits: number;
  totalRevenue: number;
}

export interface RegionSales {
  /** Index of (day, store, product) is (day * stores + store) * products + product. */
  units: Int32Array;
  inStock: Uint8Array;
  promo: Uint8Array;
  planted: Planted;
}

export function makeRegion(random: Random, catalog: Catalog, options: RegionOptions): RegionSales {
  const { stores, days, substitutionShare, stockoutRate } = options;
  const products = catalog.products.product_id.length;
  const cells = days * stores * products;
  const at = (day: number, store: number, product: number) => (day * stores + store) * products + product;
  const demand = new Int32Array(cells);
  const inStock = new Uint8Array(cells).fill(1);
  const promo = new Uint8Array(cells);
  for (let store = 0; store < stores; store++) {
    for (let product = 0; product < products; product++) {
      const rate = 2 + random() * 18;
      for (let day = 0; day < days; day++) {
        const i = at(day, store, product);
        demand[i] = Math.max(1, Math.round(rate * (0.9 + random() * 0.2)));
        promo[i] = random() < 0.1 ? 1 : 0;
      }
      if (random() < stockoutRate) {
        const length = Math.min(days, between(random, 1, 3));
        const first = between(random, 0, days - length);
        for (let day = first; day < first + length; day++) inStock[at(day, store, product)] = 0;
      }
    }
  }
  const units = new Int32Array(cells);
  for (let i = 0; i < cells; i++) units[i] = inStock[i] ? demand[i]! : 0;
  const planted: Planted = {
    expectedUnits: 0,
    substitutedUnits: 0,
    lostUnits: 0,
    stockoutDays: 0,
    totalUnits: 0,
    totalRevenue: 0,
  };
  for (let day = 0; day < days; day++) {
    for (let store = 0; store < stores; store++) {
      for (let product = 0; product < products; product++) {
        const i = at(day, store, product);
        if (inStock[i]) continue;
        planted.stockoutDays += 1;
        planted.expectedUnits += demand[i]!;
        for (const { substitute, weight } of catalog.weights[product] ?? []) {
          const j = at(day, store, substitute);
          if (!inStock[j]) continue;
          const moved = Math.round(substitutionShare * demand[i]! * weight);
          units[j] = units[j]! + moved;
          planted.substitutedUnits += moved;
        }
      }
    }
  }
  planted.lostUnits = planted.expectedUnits - planted.substitutedUnits;
  for (let i = 0; i < cells; i++) planted.totalUnits += units[i]!;
  return { units, inStock, promo, planted };
}

/** Revenue of one row: units at the product's price, 10% off on promotion, in cents. */
export function revenueOf(units: number, price: number, promo: boolean): number {
  return Math.round(units * price * (promo ? 0.9 : 1) * 100) / 100;
}
