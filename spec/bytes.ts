/** Sizes as users write them: 1048576, "64MiB", "64 MB", "2GiB", "512k". Undefined if unreadable. */
const UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1024, kb: 1000, kib: 1024,
  m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3,
};

export function parseBytes(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const factor = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  return match && factor !== undefined ? Math.floor(Number(match[1]) * factor) : undefined;
}
