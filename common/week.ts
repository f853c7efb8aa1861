/**
 * Weeks as runs name them: the Monday that starts the week, YYYY-MM-DD, in UTC. A week becomes a
 * folder name and a date filter, so every place one comes in (the spec, `--week`, a workflow input
 * from any client, rerun, backfill) checks it here and refuses the same values in the same words.
 * Also which week a run takes when none is given (`lastWeek`, `SCHEDULED_START`). Pure string and date
 * arithmetic: workflows, the spec schema and the CLI all use it.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

const DAY_MS = 86_400_000;
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const HOW = 'give the Monday of the week as YYYY-MM-DD';

/** The value as a message shows it: quoted, escaped, and short even if the value is not. */
export function quoted(value: unknown, max = 200): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}

/** Midnight UTC of `date` in ms, if it is a real calendar date written YYYY-MM-DD; else undefined. */
export function dayOf(date: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March 2: a real date reads back unchanged.
  const same = back.getUTCFullYear() === year && back.getUTCMonth() === month - 1 && back.getUTCDate() === day;
  return same ? ms : undefined;
}

const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The Monday of the week holding `date` (a real YYYY-MM-DD date). */
export function mondayOf(date: string): string {
  const ms = dayOf(date);
  if (ms === undefined) throw new RangeError(`${quoted(date)} is not a real YYYY-MM-DD date`);
  return isoDay(ms - ((new Date(ms).getUTCDay() + 6) % 7) * DAY_MS);
}

/** What is wrong with `value` as a date (YYYY-MM-DD, real), or undefined. */
export function dateProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return `${quoted(value)} is not a date: ${HOW}, e.g. 2026-11-16`;
  }
  if (dayOf(value) === undefined) return `${quoted(value)} is not a real date: ${HOW}`;
  return undefined;
}

/**
 * What is wrong with `value` as a week, or undefined: e.g.
 * `"2026-11-18" is a Wednesday: weeks start on Monday; use 2026-11-16`.
 */
export function weekProblem(value: unknown): string | undefined {
  const problem = dateProblem(value);
  if (problem) return problem;
  const date = value as string;
  const weekday = new Date(dayOf(date)!).getUTCDay();
  if (weekday === 1) return undefined;
  return `${quoted(date)} is a ${DAY_NAMES[weekday]}: weeks start on Monday; use ${mondayOf(date)}`;
}

/** A week (or date) refused where it came in; `setting` names where, e.g. `--week` or `week`. */
export class InvalidWeekError extends Error {
  override name = 'InvalidWeek';
  constructor(
    readonly setting: string,
    readonly problem: string,
  ) {
    super(`${setting} ${problem}`);
  }
}

/** `value` if it is a week; else throws InvalidWeekError saying why, e.g. `--week "x" is not a date: …`. */
export function checkWeek(setting: string, value: unknown): string {
  const problem = weekProblem(value);
  if (problem) throw new InvalidWeekError(setting, problem);
  return value as string;
}

/** The week before `week` (a Monday). */
export function previousWeekOf(week: string): string {
  return isoDay(dayOf(checkWeek('week', week))! - 7 * DAY_MS);
}

/** Monday of the week before `now`, in UTC: the last complete week. */
export function lastWeek(now: Date): string {
  const monday = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  monday.setUTCDate(monday.getUTCDate() - ((monday.getUTCDay() + 6) % 7) - 7);
  return monday.toISOString().slice(0, 10);
}

/**
 * When a run is "now" for choosing its week (the week before it): a run started by a Schedule (or a
 * backfill) carries the time it was scheduled for in this search attribute, so a backfilled run of an
 * old Monday processes that Monday's previous week; any other run uses its start time.
 */
export const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);
