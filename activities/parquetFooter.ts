/**
 * What a parquet file's footer answers without reading any rows: the row count, the column types
 * and the null counts of the column-chunk statistics writers put there (polars, Spark and pyarrow
 * do by default). A footer costs one small ranged read at the end of the file, where asking polars
 * means planning a scan, and counting nulls with it reads every value. hyparquet decodes the
 * footer; the bytes come from a ByteSource, so the same code serves a local file and an object
 * store's ranged GET. A footer that cannot be read gives no answer here: the caller asks polars,
 * which then says what is wrong with the file.
 */
import { type FileMetaData, parquetMetadataAsync } from 'hyparquet';
import { type ByteSource, withStoredFile } from './byteSource';
import { footerSchema } from './parquetTypes';

/**
 * The first read takes this much of the file's end: the footers of the sample's files are 1-3 KB,
 * so one read gets the whole footer; a longer footer costs a second read of the rest.
 */
const FOOTER_FIRST_READ = 64 * 1024;

/** The decoded footer (parquet-format's FileMetaData); throws when the source is not parquet. */
export async function readFooter(source: ByteSource): Promise<FileMetaData> {
  return parquetMetadataAsync(source, { initialFetchSize: FOOTER_FIRST_READ, geoparquet: false });
}

/** The footer of a stored file (local or `s3://`), or undefined when it is missing or cannot be decoded. */
export async function storedFooter(file: string): Promise<FileMetaData | undefined> {
  return withStoredFile(file, readFooter).catch(() => undefined);
}

/** Row count and polars schema, when the footer tells both (see footerSchema). */
export function footerSummary(meta: FileMetaData): { rows: number; schema: Record<string, string> } | undefined {
  const schema = footerSchema(meta);
  return schema && { rows: Number(meta.num_rows), schema };
}

/**
 * Nulls per top-level column over the whole file, for the columns every row group has a null
 * count for; undefined when the footer's column chunks carry no metadata to match them by.
 */
export function nullCountsOf(meta: FileMetaData): Map<string, number> | undefined {
  const counts = new Map<string, number>();
  const unknown = new Set<string>();
  for (const group of meta.row_groups) {
    for (const chunk of group.columns) {
      const name = chunk.meta_data?.path_in_schema[0];
      if (!chunk.meta_data || name === undefined) return undefined;
      // Nested columns (one leaf per path) are not split here: any leaf without a count makes the
      // whole top-level column unknown, and counts of a nested column's leaves are not its nulls.
      const nulls = chunk.meta_data.statistics?.null_count;
      if (chunk.meta_data.path_in_schema.length !== 1 || nulls === undefined || nulls < 0n) {
        unknown.add(name);
        continue;
      }
      counts.set(name, (counts.get(name) ?? 0) + Number(nulls));
    }
  }
  for (const name of unknown) counts.delete(name);
  return counts;
}

/**
 * Null counts of a stored file's footer (see nullCountsOf); undefined when the footer cannot be
 * read, and the caller then counts with polars.
 */
export async function footerNullCounts(file: string): Promise<Map<string, number> | undefined> {
  const meta = await storedFooter(file);
  return meta && nullCountsOf(meta);
}
