/**
 * Null counts from a parquet file's footer: the column-chunk statistics writers put there (polars,
 * Spark and pyarrow do by default). Reading them costs one small read at the end of the file, where
 * counting nulls with polars reads every column of every row. A column whose statistics are
 * missing in any row group is left out, so the caller counts it the slow way; a footer this reader
 * cannot parse gives no counts at all (and polars then reports what is wrong with the file).
 *
 * The footer is Thrift's compact protocol (parquet-format's FileMetaData); only the fields needed
 * are decoded: row_groups(4) -> columns(1) -> meta_data(3) -> path_in_schema(3), statistics(12)
 * -> null_count(3). Everything else is skipped by type.
 */
import { open } from 'node:fs/promises';

const MAGIC = 'PAR1';

/** A decoded compact-protocol value: structs become field-id maps, binaries stay buffers. */
type Value = number | bigint | boolean | Buffer | Value[] | Struct | undefined;
type Struct = Map<number, Value>;

class CompactReader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}

  private byte(): number {
    if (this.pos >= this.buf.length) throw new Error('parquet footer ends early');
    return this.buf[this.pos++]!;
  }

  private varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('parquet footer has a malformed varint');
    }
  }

  private zigzag(): bigint {
    const n = this.varint();
    return (n >> 1n) ^ -(n & 1n);
  }

  private value(type: number): Value {
    switch (type) {
      case 1: return true;
      case 2: return false;
      case 3: return (this.byte() << 24) >> 24;
      case 4: case 5: return Number(this.zigzag());
      case 6: return this.zigzag();
      case 7: { this.pos += 8; return undefined; }
      case 8: {
        const length = Number(this.varint());
        if (this.pos + length > this.buf.length) throw new Error('parquet footer ends early');
        const bytes = this.buf.subarray(this.pos, this.pos + length);
        this.pos += length;
        return bytes;
      }
      case 9: case 10: return this.list();
      case 11: return this.map();
      case 12: return this.struct();
      default: throw new Error(`parquet footer has an unknown thrift type ${type}`);
    }
  }

  private list(): Value[] {
    const header = this.byte();
    const size = (header >> 4) === 15 ? Number(this.varint()) : header >> 4;
    const type = header & 0x0f;
    const items: Value[] = [];
    // In a list, a boolean is one byte of its own (1 true, else false), not folded into a header.
    for (let i = 0; i < size; i++) items.push(type === 1 || type === 2 ? this.byte() === 1 : this.value(type));
    return items;
  }

  private map(): Value[] {
    const size = Number(this.varint());
    if (size === 0) return [];
    const types = this.byte();
    const items: Value[] = [];
    for (let i = 0; i < size; i++) items.push([this.value(types >> 4), this.value(types & 0x0f)]);
    return items;
  }

  struct(): Struct {
    const fields: Struct = new Map();
    let id = 0;
    for (;;) {
      const header = this.byte();
      if (header === 0) return fields;
      const delta = header >> 4;
      id = delta === 0 ? Number(this.zigzag()) : id + delta;
      fields.set(id, this.value(header & 0x0f));
    }
  }
}

async function readFooter(file: string): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    if (size < 12) throw new Error('too small to be parquet');
    const tail = Buffer.alloc(8);
    await handle.read(tail, 0, 8, size - 8);
    if (tail.toString('latin1', 4) !== MAGIC) throw new Error('no parquet magic at the end');
    const length = tail.readUInt32LE(0);
    if (length + 12 > size) throw new Error('footer longer than the file');
    const footer = Buffer.alloc(length);
    await handle.read(footer, 0, length, size - 8 - length);
    return footer;
  } finally {
    await handle.close();
  }
}

/**
 * Nulls per top-level column over the whole file, for the columns every row group has a null
 * count for; undefined when the footer cannot be read (the caller then scans the file).
 */
export async function footerNullCounts(file: string): Promise<Map<string, number> | undefined> {
  let meta: Struct;
  try {
    meta = new CompactReader(await readFooter(file)).struct();
  } catch {
    return undefined;
  }
  const rowGroups = meta.get(4);
  if (!Array.isArray(rowGroups)) return undefined;
  const counts = new Map<string, number>();
  const unknown = new Set<string>();
  for (const group of rowGroups) {
    const columns = group instanceof Map ? group.get(1) : undefined;
    if (!Array.isArray(columns)) return undefined;
    for (const chunk of columns) {
      const data = chunk instanceof Map ? chunk.get(3) : undefined;
      const path = data instanceof Map ? data.get(3) : undefined;
      if (!(data instanceof Map) || !Array.isArray(path) || !Buffer.isBuffer(path[0])) return undefined;
      // Nested columns (one leaf per path) are not split here: any leaf without a count makes the
      // whole top-level column unknown, and counts of a nested column's leaves are not its nulls.
      const name = path[0].toString('utf8');
      const stats = data.get(12);
      const nulls = stats instanceof Map ? stats.get(3) : undefined;
      if (path.length !== 1 || typeof nulls !== 'bigint' || nulls < 0n) {
        unknown.add(name);
        continue;
      }
      counts.set(name, (counts.get(name) ?? 0) + Number(nulls));
    }
  }
  for (const name of unknown) counts.delete(name);
  return counts;
}
