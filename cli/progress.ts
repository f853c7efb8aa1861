/** A one-line progress bar fed by the run's `progress` query. */
import type { Progress } from '../common/types';

export function renderProgress(p: Progress, width = 30): string {
  const finished = p.succeeded + p.failed;
  const filled = p.total === 0 ? 0 : Math.round((finished / p.total) * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  return `[${bar}] ${finished}/${p.total} datasets  ${p.running} running  ${p.failed} failed  (${p.phase})`;
}
