/**
 * The optional `schedule` section of a pipeline spec: when Temporal starts the weekly load by
 * itself. Validated with the rest of the spec (pipeline/schema.ts), so every problem is listed by path;
 * its defaults are stated here and nowhere else.
 */
import { z } from 'zod';
import { parseDuration } from './duration';

export const SCHEDULE_DEFAULTS = {
  /** Used when neither `calendar` nor `cron` is given: Monday morning, after the week has closed. */
  calendar: { dayOfWeek: 'MONDAY', hour: 6, minute: 0 },
  timezone: 'UTC',
  overlap: 'SKIP',
  catchupWindow: '1 day',
  pauseOnFailure: false,
} as const;

export const OVERLAP_POLICIES = [
  'SKIP',
  'BUFFER_ONE',
  'BUFFER_ALL',
  'CANCEL_OTHER',
  'TERMINATE_OTHER',
  'ALLOW_ALL',
] as const;
export const DAYS_OF_WEEK = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'] as const;
export const MONTHS = [
  'JANUARY',
  'FEBRUARY',
  'MARCH',
  'APRIL',
  'MAY',
  'JUNE',
  'JULY',
  'AUGUST',
  'SEPTEMBER',
  'OCTOBER',
  'NOVEMBER',
  'DECEMBER',
] as const;

/** Temporal refuses catch-up windows under 10 s; saying so here beats a server error after validation. */
const MIN_CATCHUP_MS = 10_000;

const duration = (minMs = 1) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined)
      ctx.addIssue({ code: 'custom', message: `"${value}" is not a duration (e.g. "30s", "1 day")` });
    else if (ms < minMs) ctx.addIssue({ code: 'custom', message: `must be at least ${minMs / 1000}s` });
    return ms ?? 0;
  });

/** One value or several: `"MONDAY"` or `["MONDAY", "THURSDAY"]`. Ranges and steps are what `cron` is for. */
const oneOrMore = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);
const whole = (min: number, max: number) => z.number().int().min(min).max(max);

/** A subset of Temporal's CalendarSpec; unset hour/minute mean 0, unset day fields mean any. */
const calendar = z.strictObject({
  dayOfWeek: oneOrMore(z.enum(DAYS_OF_WEEK)).optional(),
  dayOfMonth: oneOrMore(whole(1, 31)).optional(),
  month: oneOrMore(z.enum(MONTHS)).optional(),
  hour: oneOrMore(whole(0, 23)).optional(),
  minute: oneOrMore(whole(0, 59)).optional(),
  comment: z.string().optional(),
});

/** 5-7 fields or a shorthand, as Temporal reads them; the time zone belongs in `timezone`, not in a CRON_TZ= prefix. */
const cron = z
  .string()
  .refine((c) => !/^\s*(CRON_)?TZ=/.test(c), { message: 'put the time zone in "timezone", not in the cron string' })
  .refine(
    (c) => /^\s*(@(yearly|annually|monthly|weekly|daily|hourly)|(\S+\s+){4,6}\S+)\s*$/.test(c.replace(/#.*$/, '')),
    {
      message: 'expected 5 fields (minute hour day-of-month month day-of-week), e.g. "0 6 * * MON", or @weekly/@daily',
    },
  );

/**
 * The server loads zones by exact name, so a name the JS runtime only accepts after fixing its
 * case ("europe/paris") is refused here with the right spelling.
 */
function timezoneProblem(tz: string): string | undefined {
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone;
  } catch {
    return `"${tz}" is not an IANA time zone (e.g. "UTC", "Europe/Paris", "America/New_York")`;
  }
  if (resolved !== tz && resolved.toLowerCase() === tz.toLowerCase()) return `"${tz}": write it "${resolved}"`;
  return undefined;
}

const timezone = z.string().superRefine((tz, ctx) => {
  const problem = timezoneProblem(tz);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const scheduleSchema = z
  .strictObject({
    calendar: calendar.optional(),
    cron: cron.optional(),
    timezone: timezone.default(SCHEDULE_DEFAULTS.timezone),
    overlap: z.enum(OVERLAP_POLICIES).default(SCHEDULE_DEFAULTS.overlap),
    catchupWindow: duration(MIN_CATCHUP_MS).prefault(SCHEDULE_DEFAULTS.catchupWindow),
    pauseOnFailure: z.boolean().default(SCHEDULE_DEFAULTS.pauseOnFailure),
    jitter: duration().optional(),
  })
  // `when`: checked even if another field of the section is wrong, so every problem is listed at once.
  .refine((s) => s.calendar === undefined || s.cron === undefined, {
    message: 'give either calendar or cron, not both',
    path: ['cron'],
    when: (payload) => typeof payload.value === 'object' && payload.value !== null,
  });

export type ScheduleSectionInput = z.input<typeof scheduleSchema>;
export type Calendar = z.output<typeof calendar>;

/** The schedule section with every default filled in; exactly one of calendar and cron is set. */
export type ScheduleSettings = Omit<z.output<typeof scheduleSchema>, 'catchupWindow' | 'jitter'> & {
  catchupWindowMs: number;
  jitterMs?: number;
};

/**
 * Validates a schedule section (absent: all defaults); throws with problems by path under `at`.
 * The spec's own parse already lists these problems; this gives the CLI the filled-in settings.
 */
export function parseSchedule(section: unknown, at = 'schedule'): ScheduleSettings {
  const parsed = scheduleSchema.safeParse(section ?? {});
  if (!parsed.success) {
    throw new ScheduleSectionError(parsed.error.issues.map((i) => `${[at, ...i.path].join('.')}: ${i.message}`));
  }
  const { catchupWindow, jitter, ...rest } = parsed.data;
  return {
    ...rest,
    ...(rest.cron === undefined && rest.calendar === undefined ? { calendar: { ...SCHEDULE_DEFAULTS.calendar } } : {}),
    catchupWindowMs: catchupWindow,
    ...(jitter !== undefined ? { jitterMs: jitter } : {}),
  };
}

export class ScheduleSectionError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid schedule:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}
