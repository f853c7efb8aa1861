/**
 * Sizes as users write them and as messages show them, in one place: the spec (`batching.maxBytes`),
 * worker flags and variables (`--memory-budget`, TRIBUTARY_REFERENCE_CACHE_BYTES), doctor and the
 * benchmarks all read and print bytes the same way. Pure.
 */
export const KiB = 2 ** 10;
export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
export const TiB = 2 ** 40;

/** A bare `k`, `m`, `g`, `t` is binary, as in `--memory-budget 8g`; `kb`, `mb`... are decimal. */
const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: KiB,
  kib: KiB,
  kb: 1e3,
  m: MiB,
  mib: MiB,
  mb: 1e6,
  g: GiB,
  gib: GiB,
  gb: 1e9,
  t: TiB,
  tib: TiB,
  tb: 1e12,
};

/** `512MiB`, `2 GiB`, `1.5GB`, `8g`, `1048576` or a number of bytes -> bytes; undefined when it is not a size. */
export function parseBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const suffix = match?.[2]?.toLowerCase() ?? '';
  const unit = match && Object.hasOwn(UNITS, suffix) ? UNITS[suffix] : undefined;
  return match && unit !== undefined ? Math.floor(Number(match[1]) * unit) : undefined;
}

const NAMES = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes for people, in binary units with at most one decimal: `512 MiB`, `1.5 GiB`, `69.1 MiB`, `800 B`. */
export function formatBytes(bytes: number): string {
  let n = bytes;
  let i = 0;
  while (Math.abs(n) >= 1024 && i < NAMES.length - 1) [n, i] = [n / 1024, i + 1];
  return `${Number(n.toFixed(1))} ${NAMES[i]}`;
}
