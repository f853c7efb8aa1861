/** Small values that cross workflow/activity boundaries. Plain JSON: no Dates, no frames. */

/** What one parquet file holds, without reading its rows into the orchestrator. */
export interface FileScan {
  file: string;
  rows: number;
  /** Column name to polars data type, e.g. `{ units: "Int32" }`. */
  schema: Record<string, string>;
}
