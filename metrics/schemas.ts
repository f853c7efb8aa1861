/**
 * Declared schemas of the metric inputs, checked on read (before any transform runs), and the
 * comparison that turns a file's actual schema into a list of problems naming each column.
 */

/** Kinds of column a metric relies on; each accepts the polars types listed in KIND_TYPES. */
export type ColumnKind = 'integer' | 'float' | 'string' | 'date' | 'boolean';

const INTEGERS = ['Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64'];
const KIND_TYPES: Record<ColumnKind, string[]> = {
  integer: INTEGERS,
  // A price or revenue written as whole numbers is still a number the metrics can sum.
  float: ['Float32', 'Float64', ...INTEGERS],
  string: ['String', 'Utf8', 'Categorical'],
  date: ['Date'],
  boolean: ['Bool', 'Boolean'],
};

export type TableSchema = Record<string, ColumnKind>;

export const INPUT_SCHEMAS = {
  transactions: { date: 'date', store_id: 'integer', product_id: 'integer', units: 'integer', revenue: 'float', promo: 'boolean' },
  stock: { date: 'date', store_id: 'integer', product_id: 'integer', in_stock: 'boolean' },
  products: { product_id: 'integer', name: 'string', category: 'string', subcategory: 'string', brand: 'string', price: 'float' },
  substitutes: { product_id: 'integer', substitute_id: 'integer', strength: 'float' },
} satisfies Record<string, TableSchema>;

export interface ColumnProblem {
  column: string;
  problem: string;
}

/** Every declared column that is missing or of the wrong type; extra columns are fine. */
export function schemaProblems(actual: Record<string, string>, declared: TableSchema): ColumnProblem[] {
  const problems: ColumnProblem[] = [];
  for (const [column, kind] of Object.entries(declared)) {
    const type = actual[column];
    if (type === undefined) problems.push({ column, problem: `missing (expected ${kind})` });
    else if (!KIND_TYPES[kind].some((t) => type === t || type.startsWith(`${t}(`)))
      problems.push({ column, problem: `has type ${type} (expected ${kind})` });
  }
  return problems;
}
