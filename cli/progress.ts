/** A one-line progress bar fed by the run's `progress` query. */
import type { Progress } from '../common/types';

export function renderProgress(p: Progress, width = 30): string {
  const finished = p.succeeded + p.failed + p.late + p.skipped;
  const filled = p.total === 0 ? 0 : Math.round((finished / p.total) * width);
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const extra = `${p.late ? `  ${p.late} late` : ''}${p.skipped ? `  ${p.skipped} skipped` : ''}`;
  return `[${bar}] ${finished}/${p.total} datasets  ${p.running} running  ${p.failed} failed${extra}  (${p.phase})`;
}
