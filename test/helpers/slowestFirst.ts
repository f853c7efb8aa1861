/**
 * The order test files start in. Three run at a time: the suite ends when its last file does, so the
 * longest files must start first, not be handed out late and run on alone. Vitest orders by the
 * durations it kept from an earlier run; a fresh clone has none, and vitest then starts the largest
 * files first, which are not the slowest. SLOWEST lists the files that took longest (seconds in a
 * suite run on a 2-core machine, CI): a fresh clone starts them first, the others by vitest's order.
 * An outdated list only makes the order worse, never a result different.
 */
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

export const SLOWEST = [
  'trust.runs', // 50
  'durability.workflow', // 45
  'schedule', // 30
  'largeRun.workflow', // 30
  'weeklyLoad.workflow', // 29
  'trust.failures.workflow', // 19
  'trust.devServer', // 17
  'eventLoop.activity', // 15
  'rerun', // 14
  'connection', // 14
  'htmlReport', // 14
  'faults.workflow', // 13
  'doctor', // 12
  'cli.run', // 12
  'trust.failures.cli', // 11
  'arrival.workflow', // 11
  'trust.crashes.workflow', // 10
  'orchestration.workflow', // 10
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
