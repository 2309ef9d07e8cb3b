import { DateTime, IANAZone } from 'luxon';
import type { ITicket, IUser, Priority, StoredTicket } from './ticket.js';

/**
 * The SLA clock: working time in the instance's time zone, on working days, outside holidays.
 * Pure functions of their inputs (no clock is read here), so they are tested across weekends,
 * holidays, offsets and daylight-saving changes.
 */

export interface WorkingSchedule {
  /** IANA time zone name, e.g. Europe/Paris. */
  timeZone: string;
  /** ISO weekdays that are worked: 1 = Monday … 7 = Sunday. */
  workingDays: number[];
  /** Local start and end of the working day, `HH:mm` (end may be `24:00`). */
  workingHours: { start: string; end: string };
  /** Local dates (`YYYY-MM-DD`) that are not worked. */
  holidays: string[];
}

export interface SlaTarget {
  /** Working minutes from creation to the first response. */
  firstResponseMinutes?: number | null;
  /** Working minutes from creation (or the last reopening) to resolution. */
  resolutionMinutes?: number | null;
}

export interface SlaPolicy extends WorkingSchedule {
  enabled: boolean;
  targets: Partial<Record<Priority, SlaTarget>>;
  /** When set, a breached ticket is reassigned to these people in turn. */
  breachAssignees: IUser[];
}

const MAX_DAYS = 3700; // ten years of calendar: a schedule with no working time ends the search

function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** Why a schedule is unusable, or undefined when it is fine. */
export function scheduleProblem(schedule: WorkingSchedule): string | undefined {
  if (!IANAZone.isValidZone(schedule.timeZone)) return `unknown time zone "${schedule.timeZone}"`;
  const time = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
  const { start, end } = schedule.workingHours;
  if (!time.test(start) || !time.test(end)) return 'working hours are HH:mm';
  if (minutesOf(start) >= minutesOf(end)) return 'working hours must end after they start';
  if (schedule.workingDays.length === 0 || schedule.workingDays.some((d) => !Number.isInteger(d) || d < 1 || d > 7)) {
    return 'working days are ISO weekdays 1 (Monday) to 7 (Sunday), at least one';
  }
  if (schedule.holidays.some((d) => !DateTime.fromISO(d, { zone: 'UTC' }).isValid || !/^\d{4}-\d{2}-\d{2}$/.test(d))) {
    return 'holidays are dates YYYY-MM-DD';
  }
  return undefined;
}

/** The working intervals [open, close) in epoch ms, day by day from the day containing `from`. */
function* workingIntervals(from: number, schedule: WorkingSchedule): Generator<[number, number]> {
  const holidays = new Set(schedule.holidays);
  const start = minutesOf(schedule.workingHours.start);
  const end = minutesOf(schedule.workingHours.end);
  let day = DateTime.fromMillis(from, { zone: schedule.timeZone }).startOf('day');
  for (let i = 0; i < MAX_DAYS; i++, day = day.plus({ days: 1 })) {
    if (!schedule.workingDays.includes(day.weekday) || holidays.has(day.toISODate()!)) continue;
    // Local wall-clock times converted per day, so a DST change moves the UTC instants.
    const open = day.plus({ minutes: start }).toMillis();
    const close = end === 24 * 60 ? day.plus({ days: 1 }).toMillis() : day.plus({ minutes: end }).toMillis();
    if (close > open) yield [open, close];
  }
}

/** The instant when `durationMs` of working time has passed since `from`. */
export function addWorkingTime(from: number, durationMs: number, schedule: WorkingSchedule): number {
  if (durationMs <= 0) return from;
  let remaining = durationMs;
  for (const [open, close] of workingIntervals(from, schedule)) {
    const begin = Math.max(open, from);
    if (begin >= close) continue;
    if (close - begin >= remaining) return begin + remaining;
    remaining -= close - begin;
  }
  throw new Error('the working schedule has no working time in the next ten years');
}

/** Working time in ms between two instants (0 when `to` is not after `from`). */
export function workingTimeBetween(from: number, to: number, schedule: WorkingSchedule): number {
  let total = 0;
  for (const [open, close] of workingIntervals(from, schedule)) {
    if (open >= to) break;
    const begin = Math.max(open, from);
    const finish = Math.min(close, to);
    if (finish > begin) total += finish - begin;
  }
  return total;
}

const MINUTE = 60_000;
const isOpen = (ticket: Pick<ITicket, 'status'>) => ticket.status !== 'Resolved' && ticket.status !== 'Closed';

/**
 * When the first response is due: creation + the priority's target in working time; null when
 * there is no target or a response happened.
 */
export function firstResponseDue(policy: SlaPolicy | null, ticket: Pick<ITicket, 'priority' | 'createdOn' | 'firstResponseOn'>): string | null {
  const minutes = policy?.enabled ? policy.targets[ticket.priority]?.firstResponseMinutes : undefined;
  if (minutes === undefined || minutes === null || ticket.firstResponseOn) return null;
  return new Date(addWorkingTime(Date.parse(ticket.createdOn), minutes * MINUTE, policy!)).toISOString();
}

/**
 * When resolution is due: the resolution clock starts at creation and restarts when the
 * ticket is reopened; null while resolved or closed, or without a target.
 */
export function resolutionDue(policy: SlaPolicy | null, ticket: Pick<ITicket, 'priority' | 'status'>, clockStartedOn: string): string | null {
  const minutes = policy?.enabled ? policy.targets[ticket.priority]?.resolutionMinutes : undefined;
  if (minutes === undefined || minutes === null || !isOpen(ticket)) return null;
  return new Date(addWorkingTime(Date.parse(clockStartedOn), minutes * MINUTE, policy!)).toISOString();
}

type Progress = Pick<StoredTicket, 'status' | 'firstResponseOn' | 'frtDueOn' | 'rtDueOn'>;

/**
 * The targets a change of a ticket missed: its first response made after the first response was
 * due, or its resolution (or closing) after resolution was due. A target that passes with nothing
 * done is the escalation job's to mark (decideJob); this catches what happens in between, so a
 * breach is known even when it was never escalated.
 */
export function missedTargets(before: Progress, after: Progress, now: string): { firstResponse: boolean; resolution: boolean } {
  return {
    firstResponse: !before.firstResponseOn && !!after.firstResponseOn && !!before.frtDueOn && after.firstResponseOn > before.frtDueOn,
    resolution: isOpen(before) && !isOpen(after) && !!before.rtDueOn && now > before.rtDueOn,
  };
}
