/**
 * Ranged reads of one stored object: all a parquet footer read needs from storage. The object's
 * size comes from `stat` (a HEAD on object storage) and each slice from `readRange` (a ranged GET),
 * through the storage interface, so the footer code is the same for a local file and an `s3://`
 * object, and never downloads a whole object to read its end.
 */
import type { AsyncBuffer } from 'hyparquet';
import { storageFor } from '../storage';

/** hyparquet's AsyncBuffer: the object's size, and the bytes of [start, end) on demand. */
export type ByteSource = AsyncBuffer;

/** Lends a stored file (local or `s3://`) as a ByteSource for the time of `use`; throws when it is missing. */
export async function withStoredFile<T>(file: string, use: (source: ByteSource) => Promise<T>): Promise<T> {
  const storage = storageFor(file);
  const info = await storage.stat(file);
  if (!info) throw new Error(`${file} does not exist`);
  const size = info.size;
  return use({
    byteLength: size,
    async slice(start: number, end = size) {
      const length = Math.max(0, Math.min(end, size) - start);
      const bytes = await storage.readRange(file, start, length);
      if (bytes.length < length) throw new Error(`${file} ended at byte ${start + bytes.length}, expected ${end}`);
      // A copy of exactly these bytes: a Buffer may be a view into a larger pooled ArrayBuffer.
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    },
  });
}
