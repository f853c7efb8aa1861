/**
 * `tributary schedule` as a user runs it (the CLI as a subprocess), against the suite's dev server, with
 * a real worker serving the schedule's runs: create, trigger, describe, pause, backfill, delete.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ScheduleNotFoundError } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../common/report';
import { DATAGEN_DEFAULTS, generateRetailWeek, type Manifest } from '../datagen';
import { parseSchedule } from '../pipeline/schedule';
import { lastWeek } from '../common/week';
import { tributary } from './helpers/cli';
import { tempDir } from './helpers/parquet';
import { waitFor } from './helpers/processes';
import { taskQueueFor, testEnvironment, withWorker } from './helpers/temporal';
import { filesUnder, specFor } from './helpers/weekly';

const SIZE = { ...DATAGEN_DEFAULTS, regions: 2, stores: 3, products: 20 };
const DAY_MS = 86_400_000;
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
const addDays = (week: string, days: number) =>
  new Date(Date.parse(`${week}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);

let home: string;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  home = await tempDir('tributary-schedule-');
  env = await testEnvironment();
});

afterAll(async () => {
  await env?.teardown();
});

/** The CLI on the test's task queue; a worker in this process (`withWorker`) serves the schedule's runs. */
const cli = (args: string[], taskQueue: string) =>
  tributary(args, { TEMPORAL_ADDRESS: env.address, TRIBUTARY_TASK_QUEUE: taskQueue, TRIBUTARY_HOME: home });
const served = <T>(taskQueue: string, fn: () => Promise<T>) =>
  withWorker({ connection: env.nativeConnection, taskQueue }, fn);

async function writeSpec(name: string, spec: Record<string, unknown>): Promise<string> {
  const file = path.join(home, `${name}.json`);
  await writeFile(file, JSON.stringify(spec));
  return file;
}

describe('the schedule section', () => {
  it('fills its defaults from one place: Monday 06:00 UTC, SKIP, a day of catch-up', () => {
    expect(parseSchedule(undefined)).toEqual({
      calendar: { dayOfWeek: 'MONDAY', hour: 6, minute: 0 },
      timezone: 'UTC',
      overlap: 'SKIP',
      catchupWindowMs: DAY_MS,
      pauseOnFailure: false,
    });
    expect(parseSchedule({ cron: '0 7 * * TUE', jitter: '5 minutes' })).toMatchObject({
      cron: '0 7 * * TUE',
      jitterMs: 300_000,
    });
    expect(() => parseSchedule({ timezone: 'europe/paris' })).toThrow(
      'schedule.timezone: "europe/paris": write it "Europe/Paris"',
    );
  });
});

describe('tributary schedule', () => {
  it('creates a schedule from the spec; trigger runs it on the worker; describe, pause, unpause and delete work', async () => {
    const taskQueue = taskQueueFor('schedule lifecycle');
    const week = lastWeek(new Date()); // a triggered run processes the last complete week
    const data = path.join(home, 'lifecycle-data');
    const out = path.join(home, 'lifecycle-out');
    await generateRetailWeek({ ...SIZE, out: data, week });
    const schedule = { calendar: { dayOfWeek: 'MONDAY', hour: 6, minute: 0 }, timezone: 'Europe/Paris' };
    const spec = await writeSpec('lifecycle', specFor(data, out, { name: 'sched-life', schedule }));

    const created = await cli(['schedule', 'create', spec], taskQueue);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout.trim()).toBe('sched-life');
    expect(created.stderr).toContain(
      `http://localhost:${Number(env.address.split(':')[1]) + 1000}/namespaces/default/schedules/sched-life`,
    );

    const handle = env.client.schedule.getHandle('sched-life');
    const described = await handle.describe();
    expect(described.action).toMatchObject({ workflowType: 'weeklyLoad', taskQueue, workflowId: 'sched-life' });
    const input = described.action.args?.[0] as { spec: { name: string; dataRoot: string }; week?: string };
    expect(input.spec).toMatchObject({ name: 'sched-life', dataRoot: data });
    expect(input).not.toHaveProperty('week'); // the workflow takes the week from the scheduled time
    expect(described.spec.timezone).toBe('Europe/Paris');
    expect(described.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: DAY_MS, pauseOnFailure: false });
    const next = described.info.nextActionTimes[0]!;
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Paris',
      weekday: 'long',
      hour: '2-digit',
      minute: '2-digit',
    });
    expect(local.format(next)).toBe('Monday 06:00');

    const again = await cli(['schedule', 'create', spec], taskQueue);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('A schedule sched-life already exists');

    const { triggered, report } = await served(taskQueue, async () => {
      const triggered = await cli(['schedule', 'trigger', spec], taskQueue);
      expect(triggered.code, triggered.stderr).toBe(0);
      const report = (await env.client.workflow.getHandle(triggered.stdout.trim()).result()) as RunReport;
      return { triggered, report };
    });
    const workflowId = triggered.stdout.trim();
    expect(workflowId).toMatch(/^sched-life-\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(report.status).toBe('succeeded');
    expect(report.week).toBe(week);
    expect(report.datasets.map((d) => d.dataset).sort()).toEqual(['north', 'south']);
    for (const d of report.datasets) {
      expect(d.outputs.length).toBeGreaterThan(0);
      for (const o of d.outputs) {
        expect(o.path.startsWith(path.join(out, week, d.dataset))).toBe(true);
        expect(existsSync(o.path)).toBe(true);
      }
    }
    expect(existsSync(path.join(out, week, '_report.json'))).toBe(true);

    const shown = await cli(['schedule', 'describe', spec], taskQueue);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('Schedule sched-life: ACTIVE');
    expect(shown.stdout).toContain('dayOfWeek=MONDAY hour=6 minute=0 (Europe/Paris)');
    expect(shown.stdout).toMatch(new RegExp(`week of ${week}\\s+${workflowId}\\s+COMPLETED`));

    expect((await cli(['schedule', 'pause', '--id', 'sched-life'], taskQueue)).code).toBe(0);
    expect((await handle.describe()).state.paused).toBe(true);
    expect((await cli(['schedule', 'describe', '--id', 'sched-life'], taskQueue)).stdout).toContain(
      'Schedule sched-life: PAUSED',
    );
    expect((await cli(['schedule', 'unpause', spec], taskQueue)).code).toBe(0);
    expect((await handle.describe()).state.paused).toBe(false);

    const deleted = await cli(['schedule', 'delete', spec], taskQueue);
    expect(deleted.code, deleted.stderr).toBe(0);
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    const gone = await cli(['schedule', 'describe', '--id', 'sched-life'], taskQueue);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toContain('No schedule sched-life');
  });

  it('backfills three past weeks: one run per week, one after another, each writing its own week', async () => {
    const taskQueue = taskQueueFor('schedule backfill');
    // Three weeks of data in one set of files, a different number of days in each, so every
    // week's row counts tell which week a run really read.
    const last = lastWeek(new Date());
    const weeks = [addDays(last, -21), addDays(last, -14), addDays(last, -7)];
    const days = [7, 5, 3];
    const data = path.join(home, 'backfill-data');
    const manifests: Manifest[] = [];
    for (const [i, week] of weeks.entries())
      manifests.push(
        await generateRetailWeek({ ...SIZE, out: path.join(home, `backfill-${i}`), week, days: days[i]! }),
      );
    await generateRetailWeek({ ...SIZE, out: data, week: weeks[0]!, days: 1 }); // reference files and folders
    for (const region of manifests[0]!.regions) {
      for (const file of ['transactions.parquet', 'stock.parquet']) {
        const parts = weeks.map((_, i) => pl.readParquet(path.join(home, `backfill-${i}`, 'sales', region, file)));
        pl.concat(parts).writeParquet(path.join(data, 'sales', region, file));
      }
    }
    const out = path.join(home, 'backfill-out');
    const spec = await writeSpec('backfill', specFor(data, out, { name: 'sched-backfill' })); // no section: the defaults

    expect((await cli(['schedule', 'create', spec], taskQueue)).code).toBe(0);
    const reports = await served(taskQueue, async () => {
      // --to may be any day of the last week: weeks are named by their Monday.
      const backfilled = await cli(
        ['schedule', 'backfill', spec, '--from', weeks[0]!, '--to', addDays(weeks[2]!, 2)],
        taskQueue,
      );
      expect(backfilled.code, backfilled.stderr).toBe(0);
      const ids = backfilled.stdout.trim().split('\n');
      expect(ids).toEqual(weeks.map((w) => `sched-backfill-${addDays(w, 7)}T06:00:00Z`));
      const done: { report: RunReport; start: Date; close: Date; scheduled: unknown }[] = [];
      for (const id of ids) {
        const handle = env.client.workflow.getHandle(id);
        await waitFor(
          `${id} to start`,
          () =>
            handle.describe().then(
              () => true,
              () => false,
            ),
          90_000,
        );
        const report = (await handle.result()) as RunReport;
        const d = await handle.describe();
        done.push({
          report,
          start: d.startTime,
          close: d.closeTime!,
          scheduled: d.typedSearchAttributes.get(SCHEDULED_START),
        });
      }
      return done;
    });

    expect(reports.map((r) => r.report.week)).toEqual(weeks);
    expect(reports.map((r) => r.scheduled)).toEqual(weeks.map((w) => new Date(`${addDays(w, 7)}T06:00:00Z`)));
    for (let i = 1; i < reports.length; i++)
      expect(reports[i]!.start.getTime()).toBeGreaterThanOrEqual(reports[i - 1]!.close.getTime());
    for (const [i, { report }] of reports.entries()) {
      expect(report.status).toBe('succeeded');
      for (const d of report.datasets) {
        expect(d.rowsIn).toEqual(manifests[i]!.rows[d.dataset]);
        expect(d.rowsIn?.stock).toBe(days[i]! * SIZE.stores * SIZE.products);
      }
      const onDisk = JSON.parse(await readFile(path.join(out, weeks[i]!, '_report.json'), 'utf8')) as RunReport;
      expect(onDisk.workflowId).toBe(report.workflowId);
    }
    // Dot-folders are bookkeeping (staging, pending records), not weekly outputs.
    const folders = new Set(
      (await filesUnder(out)).map((f) => f.split(path.sep)[0]!).filter((f) => !f.startsWith('.')),
    );
    expect([...folders].sort()).toEqual(weeks);
    await env.client.schedule.getHandle('sched-backfill').delete();
  });

  it('refuses a bad schedule section with every problem by path, and creates nothing', async () => {
    const taskQueue = taskQueueFor('schedule bad section');
    const schedule = {
      calendar: { dayOfWeek: 'MONDAY', hour: 25 },
      cron: '0 6 * * MON',
      timezone: 'Mars/Olympus_Mons',
      overlap: 'SOMETIMES',
      catchupWindow: 'soon',
      surprise: true,
    };
    const spec = await writeSpec(
      'bad-schedule',
      specFor(path.join(home, 'nowhere'), path.join(home, 'never'), { name: 'sched-bad', schedule }),
    );

    const result = await cli(['schedule', 'create', spec], taskQueue);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Invalid pipeline spec ${spec}:`);
    for (const where of [
      'schedule: Unrecognized key: "surprise"',
      'schedule.calendar.hour:',
      'schedule.cron: give either calendar or cron, not both',
      'schedule.timezone: "Mars/Olympus_Mons" is not an IANA time zone',
      'schedule.overlap:',
      'schedule.catchupWindow: "soon" is not a duration',
    ]) {
      expect(result.stderr).toContain(`  - ${where}`);
    }
    expect(result.stderr).toContain('Nothing was created.');
    await expect(env.client.schedule.getHandle('sched-bad').describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);

    const goodSpec = await writeSpec(
      'cron-flag',
      specFor(path.join(home, 'nowhere'), path.join(home, 'never'), { name: 'sched-flag' }),
    );
    const badFlag = await cli(['schedule', 'create', goodSpec, '--cron', 'every monday'], taskQueue);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('  - --cron: expected 5 fields');
    await expect(env.client.schedule.getHandle('sched-flag').describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });
});
