/**
 * Test-only: `TRIBUTARY_TEST_KILL_AT=<step>[#n]` makes a worker SIGKILL itself at the n-th time (default
 * the first) it reaches that step of publish or commit (activities/commit.ts names the steps), so a
 * test can prove that a crash at every step leaves the old snapshot or the new one. Unset: no hook.
 */
import { appendFileSync } from 'node:fs';
import type { StepHook } from '../activities/commit';

export function killAtStep(spec: string, marker?: string): StepHook {
  const [step, nth] = spec.split('#');
  const target = Number(nth ?? 1);
  let seen = 0;
  return (reached) => {
    if (reached !== step || ++seen !== target) return;
    // The test reads this to know the kill happened where it asked, then the process dies at once.
    if (marker) appendFileSync(marker, `${reached}#${seen}\n`);
    process.kill(process.pid, 'SIGKILL');
  };
}
