/** Real parquet files for tests, written with nodejs-polars into a fresh temporary folder. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pl from 'nodejs-polars';

export async function tempDir(prefix = 'tributary-test-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** Writes one file per entry of `rowCounts`, each with columns id and value (both Float64: polars reads JS numbers as Float64). */
export async function writeNumberedFiles(dir: string, rowCounts: readonly number[]): Promise<string[]> {
  return rowCounts.map((rows, i) => {
    const file = path.join(dir, `file-${i}.parquet`);
    const ids = Array.from({ length: rows }, (_, r) => r);
    pl.DataFrame({ id: ids, value: ids.map((r) => r * 0.5) }).writeParquet(file);
    return file;
  });
}
