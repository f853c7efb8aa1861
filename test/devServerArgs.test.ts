/**
 * How the embedded dev server is started. One partition per task queue: with the dev server's
 * default four, a run whose worker starts after it (every `tributary run` that hosts its worker) was
 * picked up 2 s late about one time in two, the partition hand-over's wait (bench/runOverhead.ts).
 */
import { describe, expect, it } from 'vitest';
import { SINGLE_PARTITION_ARGS, startDevArgs } from '../runtime/devServer';
import { loadSettings } from '../runtime/settings';

describe('the embedded dev server', () => {
  it('has one partition per task queue, on the configured port, with its state in the given file', () => {
    const settings = loadSettings({ TEMPORAL_ADDRESS: '127.0.0.1:7311' }, '/tmp');
    const args = startDevArgs(settings, '/tmp/x/temporal.db');
    expect(args.join(' ')).toContain(SINGLE_PARTITION_ARGS.join(' '));
    expect(SINGLE_PARTITION_ARGS).toEqual([
      '--dynamic-config-value',
      'matching.numTaskqueueReadPartitions=1',
      '--dynamic-config-value',
      'matching.numTaskqueueWritePartitions=1',
    ]);
    expect(args).toEqual(expect.arrayContaining(['--port', '7311', '--db-filename', '/tmp/x/temporal.db']));
  });
});
