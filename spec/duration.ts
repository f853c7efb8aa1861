/** Durations in specs: "30s", "5 minutes", "1h", or a number of milliseconds. Normalised to ms. */
const UNITS: Record<string, number> = {
  ms: 1, millisecond: 1, milliseconds: 1,
  s: 1_000, sec: 1_000, second: 1_000, seconds: 1_000,
  m: 60_000, min: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
};

/** Milliseconds for a duration, or undefined when it is not one. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$/i.exec(value);
  const factor = match && UNITS[match[2]!.toLowerCase()];
  if (!match || !factor) return undefined;
  const ms = Number(match[1]) * factor;
  return ms > 0 ? ms : undefined;
}
