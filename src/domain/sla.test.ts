import { describe, expect, it } from 'vitest';
import { addWorkingTime, firstResponseDue, resolutionDue, scheduleProblem, workingTimeBetween, type SlaPolicy, type WorkingSchedule } from './sla.js';

const H = 3_600_000;
const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

const paris: WorkingSchedule = {
  timeZone: 'Europe/Paris',
  workingDays: [1, 2, 3, 4, 5],
  workingHours: { start: '09:00', end: '17:00' },
  holidays: ['2026-12-25'],
};

describe('working-time clock', () => {
  it('counts only working hours within a day', () => {
    // Monday 2026-11-23 10:00 Paris = 09:00Z (UTC+1 in winter); +3h -> 13:00 Paris = 12:00Z
    expect(iso(addWorkingTime(at('2026-11-23T09:00:00Z'), 3 * H, paris))).toBe('2026-11-23T12:00:00.000Z');
  });

  it('starts the clock at opening time when a ticket arrives before hours', () => {
    // 06:00 Paris -> work starts 09:00 Paris (08:00Z); +1h -> 09:00Z
    expect(iso(addWorkingTime(at('2026-11-23T05:00:00Z'), 1 * H, paris))).toBe('2026-11-23T09:00:00.000Z');
  });

  it('skips the weekend', () => {
    // Friday 2026-11-27 16:00 Paris (15:00Z) + 2h: 1h on Friday, 1h on Monday -> Monday 10:00 Paris
    expect(iso(addWorkingTime(at('2026-11-27T15:00:00Z'), 2 * H, paris))).toBe('2026-11-30T09:00:00.000Z');
  });

  it('skips holidays', () => {
    // Thursday 2026-12-24 16:00 Paris + 2h: 1h on the 24th; Friday the 25th is a holiday and
    // the 26th-27th a weekend, so the second hour ends Monday 2026-12-28 10:00 Paris.
    expect(iso(addWorkingTime(at('2026-12-24T15:00:00Z'), 2 * H, paris))).toBe('2026-12-28T09:00:00.000Z');
  });

  it('follows the time-zone offset', () => {
    const tokyo: WorkingSchedule = { ...paris, timeZone: 'Asia/Tokyo', holidays: [] };
    // Monday 2026-11-23 09:00 Tokyo = 00:00Z; +8h -> 17:00 Tokyo = 08:00Z
    expect(iso(addWorkingTime(at('2026-11-23T00:00:00Z'), 8 * H, tokyo))).toBe('2026-11-23T08:00:00.000Z');
    const newYork: WorkingSchedule = { ...paris, timeZone: 'America/New_York', holidays: [] };
    // Monday 2026-11-23 09:00 New York = 14:00Z
    expect(iso(addWorkingTime(at('2026-11-23T12:00:00Z'), 1 * H, newYork))).toBe('2026-11-23T15:00:00.000Z');
  });

  it('keeps local working hours across the spring daylight-saving change', () => {
    // Paris moves to UTC+2 on Sunday 2026-03-29. Friday 2026-03-27 16:00 Paris (15:00Z) + 2h
    // -> Monday 2026-03-30 10:00 Paris = 08:00Z (not 09:00Z).
    expect(iso(addWorkingTime(at('2026-03-27T15:00:00Z'), 2 * H, paris))).toBe('2026-03-30T08:00:00.000Z');
  });

  it('keeps local working hours across the autumn daylight-saving change', () => {
    // Paris moves back to UTC+1 on Sunday 2026-10-25. Friday 16:00 Paris (14:00Z) + 2h -> Monday 10:00 Paris = 09:00Z.
    expect(iso(addWorkingTime(at('2026-10-23T14:00:00Z'), 2 * H, paris))).toBe('2026-10-26T09:00:00.000Z');
  });

  it('counts a 24-hour day correctly on the day the clocks change', () => {
    const always: WorkingSchedule = {
      timeZone: 'Europe/Paris',
      workingDays: [1, 2, 3, 4, 5, 6, 7],
      workingHours: { start: '00:00', end: '24:00' },
      holidays: [],
    };
    // The spring day has 23 hours: from local midnight to the next local midnight.
    expect(workingTimeBetween(at('2026-03-28T23:00:00Z'), at('2026-03-29T22:00:00Z'), always)).toBe(23 * H);
    expect(iso(addWorkingTime(at('2026-03-28T23:00:00Z'), 24 * H, always))).toBe('2026-03-29T23:00:00.000Z');
  });

  it('measures working time between two instants, the inverse of adding it', () => {
    const from = at('2026-11-27T15:00:00Z');
    for (const hours of [0.5, 1, 2, 9, 17, 41]) {
      const due = addWorkingTime(from, hours * H, paris);
      expect(workingTimeBetween(from, due, paris)).toBe(hours * H);
    }
  });

  it('reports unusable schedules', () => {
    expect(scheduleProblem(paris)).toBeUndefined();
    expect(scheduleProblem({ ...paris, timeZone: 'Mars/Olympus' })).toMatch(/time zone/);
    expect(scheduleProblem({ ...paris, workingHours: { start: '17:00', end: '09:00' } })).toMatch(/end after/);
    expect(scheduleProblem({ ...paris, workingDays: [] })).toMatch(/working days/);
    expect(scheduleProblem({ ...paris, holidays: ['25/12/2026'] })).toMatch(/holidays/);
  });
});

describe('due dates of a ticket', () => {
  const policy: SlaPolicy = { ...paris, enabled: true, targets: { Urgent: { firstResponseMinutes: 60, resolutionMinutes: 240 } }, breachAssignees: [] };
  const ticket = { priority: 'Urgent' as const, status: 'Open' as const, createdOn: '2026-11-23T09:00:00.000Z', firstResponseOn: null };

  it('computes first-response and resolution due dates from the priority target', () => {
    expect(firstResponseDue(policy, ticket)).toBe('2026-11-23T10:00:00.000Z');
    expect(resolutionDue(policy, ticket, ticket.createdOn)).toBe('2026-11-23T13:00:00.000Z');
  });

  it('has no due date without a target, once responded, when resolved, or when disabled', () => {
    expect(firstResponseDue(policy, { ...ticket, priority: 'Low' })).toBeNull();
    expect(firstResponseDue(policy, { ...ticket, firstResponseOn: '2026-11-23T09:30:00.000Z' })).toBeNull();
    expect(resolutionDue(policy, { ...ticket, status: 'Resolved' }, ticket.createdOn)).toBeNull();
    expect(firstResponseDue({ ...policy, enabled: false }, ticket)).toBeNull();
  });

  it('restarts the resolution clock from a reopening', () => {
    expect(resolutionDue(policy, { ...ticket, status: 'Reopened' }, '2026-11-24T14:00:00.000Z')).toBe('2026-11-25T10:00:00.000Z');
  });
});
