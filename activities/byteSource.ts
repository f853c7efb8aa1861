/**
 * Ranged reads of one stored object: all a parquet footer read needs from storage. A local file is
 * read through an fs handle; an object store answers the same two questions (size, bytes in a range)
 * with a HEAD and a ranged GET, so the footer code does not change when inputs move there.
 */
import { open } from 'node:fs/promises';
import type { AsyncBuffer } from 'hyparquet';

/** hyparquet's AsyncBuffer: the object's size, and the bytes of [start, end) on demand. */
export type ByteSource = AsyncBuffer;

/** Lends a local file as a ByteSource for the time of `use`, then closes it. */
export async function withLocalFile<T>(file: string, use: (source: ByteSource) => Promise<T>): Promise<T> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    return await use({
      byteLength: size,
      async slice(start: number, end = size) {
        const bytes = new Uint8Array(Math.max(0, Math.min(end, size) - start));
        const { bytesRead } = await handle.read(bytes, 0, bytes.length, start);
        if (bytesRead < bytes.length) throw new Error(`${file} ended at byte ${start + bytesRead}, expected ${end}`);
        return bytes.buffer;
      },
    });
  } finally {
    await handle.close();
  }
}
