/**
 * The polars type of a parquet column, told from the footer alone, named as polars names it
 * (`Int32`, `Float64`, `Date`, `String`, `Bool`, ...): the schema checks and the memory estimate
 * compare against those names. Polars takes a file's types from the Arrow schema its writer stored
 * in the footer (key `ARROW:schema`) when there is one, else from the parquet types; the Arrow schema
 * can make the same parquet type a different polars type (an INT64 a Duration, a string a
 * Categorical). Where that can happen, no name is given and the caller asks polars.
 */
import type { FileMetaData, SchemaElement } from 'hyparquet';
import pl, { type DataType } from 'nodejs-polars';

/** `DataType(Float64)` -> `Float64`: the name users see in polars' docs. */
export function dtypeName(dtype: unknown): string {
  return String(dtype).replace(/^DataType\((.*)\)$/, '$1');
}

/** Who decided the types polars will see: the parquet schema, polars' own Arrow schema, another writer's. */
type TypeSource = 'parquet' | 'polarsArrow' | 'otherArrow';

function typeSourceOf(meta: FileMetaData): TypeSource {
  if (!meta.key_value_metadata?.some((kv) => kv.key === 'ARROW:schema')) return 'parquet';
  return /^polars\b/i.test(meta.created_by ?? '') ? 'polarsArrow' : 'otherArrow';
}

const INTEGERS: Record<string, DataType> = {
  '8true': pl.Int8,
  '16true': pl.Int16,
  '32true': pl.Int32,
  '64true': pl.Int64,
  '8false': pl.UInt8,
  '16false': pl.UInt16,
  '32false': pl.UInt32,
  '64false': pl.UInt64,
};
const TIME_UNITS = { MILLIS: 'ms', MICROS: 'us', NANOS: 'ns' } as const;

/** The polars type of one top-level leaf column, or undefined when the footer cannot tell it for sure. */
function polarsType(column: SchemaElement, source: TypeSource): DataType | undefined {
  const logical = column.logical_type;
  if (column.num_children !== undefined || column.repetition_type === 'REPEATED') return undefined;
  switch (column.type) {
    case 'BOOLEAN':
      return logical ? undefined : pl.Bool;
    case 'FLOAT':
      return logical ? undefined : pl.Float32;
    case 'DOUBLE':
      return logical ? undefined : pl.Float64;
    case 'INT32':
    case 'INT64': {
      const bits = column.type === 'INT32' ? 32 : 64;
      if (logical?.type === 'INTEGER') {
        return (logical.bitWidth === 64) === (bits === 64)
          ? INTEGERS[`${logical.bitWidth}${logical.isSigned}`]
          : undefined;
      }
      // polars never writes an Arrow Date64; other Arrow writers store it as a parquet DATE too.
      if (logical?.type === 'DATE' && bits === 32) return source === 'otherArrow' ? undefined : pl.Date;
      if (logical?.type === 'TIMESTAMP' && bits === 64) {
        // With an Arrow schema the zone of a UTC-adjusted timestamp is the writer's; without, polars says UTC.
        const unit = TIME_UNITS[logical.unit];
        if (logical.isAdjustedToUTC) return source === 'parquet' ? pl.Datetime(unit, 'UTC') : undefined;
        return source === 'otherArrow' ? undefined : pl.Datetime(unit);
      }
      if (logical || column.converted_type) return undefined;
      // A plain INT64 under an Arrow schema may be a Duration (or, from older writers, a UInt32).
      if (bits === 64) return source === 'parquet' ? pl.Int64 : undefined;
      return pl.Int32;
    }
    case 'BYTE_ARRAY':
      // Under an Arrow schema a string column may be read as Categorical or Enum.
      if (logical?.type === 'STRING' || (!logical && column.converted_type === 'UTF8')) {
        return source === 'parquet' ? pl.String : undefined;
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Column name -> polars type name, in file order, from the footer; undefined when any column's
 * type is one polars may read differently from what the footer says (nested, decimal, a string or
 * plain INT64 under an Arrow schema, ...).
 */
export function footerSchema(meta: FileMetaData): Record<string, string> | undefined {
  const [root, ...elements] = meta.schema;
  if (!root || root.num_children !== elements.length) return undefined;
  const source = typeSourceOf(meta);
  const schema: Record<string, string> = {};
  for (const column of elements) {
    const dtype = polarsType(column, source);
    if (!dtype || Object.hasOwn(schema, column.name)) return undefined;
    schema[column.name] = dtypeName(dtype);
  }
  return schema;
}
