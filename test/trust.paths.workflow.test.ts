/**
 * Issue 12, class 1 past the command line: a `weeklyLoad` started by any client (here the SDK
 * client, as `temporal workflow start` would) with a week that is not a Monday's date fails at
 * planning, non-retryable, with the spec's words, and writes nothing anywhere.
 */
import path from 'node:path';
import { ActivityFailure, ApplicationFailure, WorkflowFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRetailWeek } from '../datagen';
import type { weeklyLoad } from '../workflows';
import { tempDir } from './helpers/parquet';
import { testEnvironment, taskQueueFor, startWorker } from './helpers/temporal';
import { filesUnder, runWeekly, specFor } from './helpers/weekly';

const SIZE = {
  regions: 1,
  stores: 2,
  products: 10,
  days: 7,
  seed: 9,
  week: '2026-11-16',
  substitutionShare: 0.6,
  stockoutRate: 0.15,
};
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await testEnvironment();
});
afterAll(async () => {
  await env?.teardown();
});

const CASES = [
  { week: '../../x', says: 'week "../../x" is not a date: give the Monday of the week as YYYY-MM-DD' },
  { week: '2026-13-45', says: 'week "2026-13-45" is not a real date' },
  { week: '2026-11-18', says: 'week "2026-11-18" is a Wednesday: weeks start on Monday; use 2026-11-16' },
];

describe('weeklyLoad started directly with a bad week', () => {
  it.each(CASES)('week $week: fails at planning with InvalidSpec and writes nothing', async ({ week, says }) => {
    const base = await tempDir('tributary-trust-wf-');
    await generateRetailWeek({ out: path.join(base, 'data'), ...SIZE });
    const before = await filesUnder(base);
    const out = path.join(base, 'a', 'b', 'out');
    // Few, quick retries: without the check the report of "2026-13-45" crashes and would be retried for long.
    const spec = specFor(path.join(base, 'data'), out, {
      stages: { write: { retry: { maximumAttempts: 2, initialInterval: '100ms' } } },
    });
    const stages: string[] = [];

    const err = await runWeekly(env, `bad week ${week}`, { spec, week }, (stage) => {
      stages.push(stage);
    }).then(
      () => undefined,
      (e: unknown) => e,
    );

    const after = await filesUnder(base);
    expect(after.filter((f) => !f.startsWith(path.join('a', 'b', 'out')))).toEqual(before); // nothing outside the output root
    expect(after).toEqual(before); // nor inside it
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    const failure = cause instanceof ActivityFailure ? cause.cause : cause;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('InvalidSpec');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).message).toContain(says);
    expect(stages).toEqual(['resolve']);
  });
});

it('a run whose workflow id would name its folder ".." (the output root itself) fails at planning', async () => {
  const base = await tempDir('tributary-trust-wf-id-');
  await generateRetailWeek({ out: path.join(base, 'data'), ...SIZE });
  const before = await filesUnder(base);
  const taskQueue = taskQueueFor('workflow id dot dot');
  const worker = await startWorker({ connection: env.nativeConnection, taskQueue });
  const spec = specFor(path.join(base, 'data'), path.join(base, 'out'));

  const err = await worker
    .runUntil(
      env.client.workflow.execute<typeof weeklyLoad>('weeklyLoad', {
        taskQueue,
        workflowId: '..',
        args: [{ spec, week: SIZE.week }],
      }),
    )
    .then(
      () => undefined,
      (e: unknown) => e,
    );

  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  const failure = cause instanceof ActivityFailure ? cause.cause : cause;
  expect(failure).toMatchObject({
    type: 'InvalidName',
    nonRetryable: true,
    message: 'Run folder ".." (from workflow id "..") is not a name: start the run with another workflow id',
  });
  expect(await filesUnder(base)).toEqual(before);
});
