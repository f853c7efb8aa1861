/**
 * The shared reference data: a product catalogue (category > subcategory > brand) and, for each
 * product, one or two substitutes from its own subcategory with a strength in 0.2..1.
 */
import { between, pick, type Random } from './random';

const HIERARCHY: Record<string, string[]> = {
  Beverages: ['Soft drinks', 'Juice', 'Water', 'Coffee'],
  Snacks: ['Crisps', 'Biscuits', 'Chocolate'],
  Dairy: ['Milk', 'Yoghurt', 'Cheese'],
  Bakery: ['Bread', 'Cakes'],
  Produce: ['Fruit', 'Vegetables', 'Salad'],
  Household: ['Cleaning', 'Paper'],
  'Personal care': ['Shampoo', 'Soap', 'Toothpaste'],
  Frozen: ['Ice cream', 'Ready meals', 'Frozen vegetables'],
};
const BRANDS = [
  'Northwind',
  'Acme',
  'Bluebird',
  'Fjord',
  'Harvest',
  'Lumen',
  'Meadow',
  'Oakridge',
  'Pioneer',
  'Summit',
];
const SUBCATEGORIES = Object.entries(HIERARCHY).flatMap(([category, subs]) =>
  subs.map((subcategory) => ({ category, subcategory })),
);

export interface Catalog {
  products: {
    product_id: number[];
    name: string[];
    category: string[];
    subcategory: string[];
    brand: string[];
    price: number[];
  };
  substitutes: { product_id: number[]; substitute_id: number[]; strength: number[] };
  /** For each product index, its substitutes' indexes and normalised weights (strength / sum). */
  weights: { substitute: number; weight: number }[][];
}

export function makeCatalog(random: Random, count: number): Catalog {
  const products: Catalog['products'] = {
    product_id: [],
    name: [],
    category: [],
    subcategory: [],
    brand: [],
    price: [],
  };
  const bySubcategory = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const sub = i % SUBCATEGORIES.length;
    const { category, subcategory } = SUBCATEGORIES[sub]!;
    const brand = pick(random, BRANDS);
    products.product_id.push(i + 1);
    products.name.push(`${brand} ${subcategory.toLowerCase()} ${i + 1}`);
    products.category.push(category);
    products.subcategory.push(subcategory);
    products.brand.push(brand);
    products.price.push(Math.round((0.5 + random() * 19.5) * 100) / 100);
    bySubcategory.set(sub, [...(bySubcategory.get(sub) ?? []), i]);
  }
  const substitutes: Catalog['substitutes'] = { product_id: [], substitute_id: [], strength: [] };
  const weights: Catalog['weights'] = [];
  for (let i = 0; i < count; i++) {
    const siblings = (bySubcategory.get(i % SUBCATEGORIES.length) ?? []).filter((j) => j !== i);
    const chosen: { substitute: number; strength: number }[] = [];
    const wanted = Math.min(siblings.length, between(random, 1, 2));
    while (chosen.length < wanted) {
      const j = pick(random, siblings);
      if (!chosen.some((c) => c.substitute === j))
        chosen.push({ substitute: j, strength: Math.round((0.2 + random() * 0.8) * 100) / 100 });
    }
    const total = chosen.reduce((sum, c) => sum + c.strength, 0);
    weights.push(chosen.map((c) => ({ substitute: c.substitute, weight: c.strength / total })));
    for (const c of chosen) {
      substitutes.product_id.push(i + 1);
      substitutes.substitute_id.push(c.substitute + 1);
      substitutes.strength.push(c.strength);
    }
  }
  return { products, substitutes, weights };
}
