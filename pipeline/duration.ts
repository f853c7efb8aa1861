/**
 * Durations in specs: "30s", "5 minutes", "1h", "2 weeks", or a number of milliseconds, normalised
 * to ms. Read by Temporal's own parser (the `ms` package behind every Duration its options take):
 * a spec's timeouts become activity options, so both accept the same strings.
 */
import { msToNumber } from '@temporalio/common/lib/time';

/** Milliseconds for a duration, or undefined when it is not one (or not above zero). */
export function parseDuration(value: string | number): number | undefined {
  let ms: number;
  try {
    ms = typeof value === 'number' ? value : msToNumber(value as Parameters<typeof msToNumber>[0]);
  } catch {
    return undefined; // msToNumber throws on what is not a duration
  }
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
