/**
 * Declared schemas of the metric inputs, checked on read (before any transform runs), and the
 * comparisons that turn a file's actual schema and null counts into problems naming each column.
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

/**
 * A declared column: a bare kind is NOT nullable. The metrics silently skip nulls (a sum ignores a
 * null unit, a join drops a null key), so a null would bias the figures without any error;
 * a column must opt in to nulls explicitly.
 */
export type ColumnDecl = ColumnKind | { kind: ColumnKind; nullable: boolean };
export type TableSchema = Record<string, ColumnDecl>;

const kindOf = (decl: ColumnDecl): ColumnKind => (typeof decl === 'string' ? decl : decl.kind);
const isNullable = (decl: ColumnDecl): boolean => typeof decl !== 'string' && decl.nullable;

/**
 * A metric input: its columns, and its key, the columns whose values identify one row. The read
 * stage fails a file in which a key appears more than once (DuplicateKeys): every metric below
 * joins or sums on these columns, so a repeated key would be counted twice without any error.
 */
export interface InputTable<C extends TableSchema = TableSchema> {
  columns: C;
  /** Absent: rows are additive facts, and two rows with the same values are two facts. */
  key?: readonly (keyof C & string)[];
}
const table = <C extends TableSchema>(columns: C, key?: readonly (keyof C & string)[]): InputTable<C> =>
  key ? { columns, key } : { columns };

// No column below allows nulls: each is a key, a figure or a flag some metric or report relies on.
export const INPUT_TABLES = {
  // No key: sales are additive facts. Both metrics sum units and revenue per (date, store_id,
  // product_id) or per hierarchy level, so two lines of the same day, store and product (two
  // receipts, a promo and a full-price line) add up as they should; the generator happens to write
  // one line per day, store and product, a real till does not.
  transactions: table({
    date: 'date',
    store_id: 'integer',
    product_id: 'integer',
    units: 'integer',
    revenue: 'float',
    promo: 'boolean',
  }),
  // One stock state per day, store and product: lostSales counts each row as one stock-out day
  // and joins sales onto it, so a repeated row doubles the day and the units expected on it.
  stock: table({ date: 'date', store_id: 'integer', product_id: 'integer', in_stock: 'boolean' }, [
    'date',
    'store_id',
    'product_id',
  ]),
  // Joined onto every sale and stock-out: a repeated product doubles the rows it joins to.
  products: table(
    {
      product_id: 'integer',
      name: 'string',
      category: 'string',
      subcategory: 'string',
      brand: 'string',
      price: 'float',
    },
    ['product_id'],
  ),
  // A repeated pair doubles its strength and each stock-out's substitution rows.
  substitutes: table({ product_id: 'integer', substitute_id: 'integer', strength: 'float' }, [
    'product_id',
    'substitute_id',
  ]),
};

export type InputName = keyof typeof INPUT_TABLES;

/** The declared columns of each input, for the schema and null checks. */
export const INPUT_SCHEMAS = Object.fromEntries(Object.entries(INPUT_TABLES).map(([name, t]) => [name, t.columns])) as {
  [N in InputName]: (typeof INPUT_TABLES)[N]['columns'];
};

/** The key of an input: empty when its rows are additive facts. */
export const keyOf = (input: InputName): readonly string[] => INPUT_TABLES[input].key ?? [];

export interface ColumnProblem {
  column: string;
  problem: string;
}

/** Every declared column that is missing or of the wrong type; extra columns are fine. */
export function schemaProblems(actual: Record<string, string>, declared: TableSchema): ColumnProblem[] {
  const problems: ColumnProblem[] = [];
  for (const [column, decl] of Object.entries(declared)) {
    const kind = kindOf(decl);
    const type = actual[column];
    if (type === undefined) problems.push({ column, problem: `missing (expected ${kind})` });
    else if (!KIND_TYPES[kind].some((t) => type === t || type.startsWith(`${t}(`)))
      problems.push({ column, problem: `has type ${type} (expected ${kind})` });
  }
  return problems;
}

/** Declared columns that must hold no nulls: the ones whose nulls a reader has to count. */
export function nonNullableColumns(declared: TableSchema): string[] {
  return Object.entries(declared)
    .filter(([, decl]) => !isNullable(decl))
    .map(([column]) => column);
}

/** Every non-nullable declared column with nulls, given the null count per column (others are ignored). */
export function nullProblems(nullCounts: Record<string, number>, declared: TableSchema): ColumnProblem[] {
  return nonNullableColumns(declared)
    .filter((column) => (nullCounts[column] ?? 0) > 0)
    .map((column) => {
      const nulls = nullCounts[column] ?? 0;
      return { column, problem: `has ${nulls} null ${nulls === 1 ? 'row' : 'rows'} (not nullable)` };
    });
}
