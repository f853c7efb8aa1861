/**
 * The order test files start in. Three run at a time: the suite ends when its last file does, so the
 * longest files must start first, not be handed out late and run on alone. Vitest orders by the
 * durations it kept from an earlier run; a fresh clone has none, and vitest then starts the largest
 * files first, which are not the slowest. SLOWEST lists the files that took longest (seconds in a
 * suite run on a busy 2-core machine): a fresh clone starts them first, the others by vitest's order.
 * An outdated list only makes the order worse, never a result different.
 */
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const SLOWEST = [
  'durability.workflow', // 85
  'largeRun.workflow', // 68
  'trust.runs', // 48
  'schedule', // 46
  'weeklyLoad.workflow', // 41
  'rerun', // 18
  'trust.failures.workflow', // 17
  'faults.workflow', // 17
  'trust.devServer', // 17
  'doctor', // 15
  'eventLoop.activity', // 14
  'connection', // 14
  'trust.crashes.workflow', // 14
  'htmlReport', // 13
  'trust.failures.cli', // 13
  'arrival.workflow', // 11
  'reportOnce.workflow', // 11
  'badInputs.workflow', // 11
  'trust.quality.workflow', // 11
  'trust.paths.cli', // 11
  'trust.links', // 9
  'orchestration.workflow', // 9
].map((name) => `test/${name}.test.ts`);

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const relative = (file: TestSpecification) =>
      path.relative(this.ctx.config.root, file.moduleId).split(path.sep).join('/');
    const timed = (file: TestSpecification) =>
      this.ctx.cache.getFileTestResults(`${file.project.name}:${relative(file)}`) !== undefined;
    if (sorted.every(timed)) return sorted; // vitest's own timings, from an earlier run here
    const rank = (file: TestSpecification) => {
      const at = SLOWEST.indexOf(relative(file));
      return at === -1 ? SLOWEST.length : at;
    };
    // Array.prototype.sort is stable: files off the list keep vitest's order.
    return [...sorted].sort((a, b) => rank(a) - rank(b));
  }
}
