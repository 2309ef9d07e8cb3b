import { describe, expect, it } from 'vitest';
import { defaultSettings, EARLIER_SLA_POLICIES_MAX, earlierSlaPoliciesAfter, slaPolicyFor, type InstanceSettings } from './instance.js';
import type { SlaPolicy } from './sla.js';

const policy = (minutes: number): SlaPolicy => ({
  enabled: true,
  timeZone: 'UTC',
  workingDays: [1, 2, 3, 4, 5],
  workingHours: { start: '09:00', end: '17:00' },
  holidays: [],
  targets: { Urgent: { firstResponseMinutes: minutes } },
  breachAssignees: [],
});

/** Settings after saving `policies` one by one, at the given times, for new tickets only. */
function savedForNewTickets(steps: [string, SlaPolicy][]): InstanceSettings {
  let settings: InstanceSettings = { ...defaultSettings(), sla: policy(60) };
  for (const [at, sla] of steps) settings = { ...settings, earlierSlaPolicies: earlierSlaPoliciesAfter(settings, 'newTickets', at), sla };
  return settings;
}

describe('the SLA policy a ticket follows', () => {
  it('is the one in force when the ticket was created, when later policies were saved for new tickets only', () => {
    const settings = savedForNewTickets([
      ['2026-01-10T00:00:00.000Z', policy(120)],
      ['2026-02-10T00:00:00.000Z', policy(240)],
    ]);
    expect(slaPolicyFor(settings, '2026-01-01T00:00:00.000Z')?.targets.Urgent?.firstResponseMinutes).toBe(60);
    expect(slaPolicyFor(settings, '2026-01-10T00:00:00.000Z')?.targets.Urgent?.firstResponseMinutes).toBe(120);
    expect(slaPolicyFor(settings, '2026-02-01T00:00:00.000Z')?.targets.Urgent?.firstResponseMinutes).toBe(120);
    expect(slaPolicyFor(settings, '2026-03-01T00:00:00.000Z')?.targets.Urgent?.firstResponseMinutes).toBe(240);
  });

  it('is the current one for every ticket once a policy is saved for open tickets, and none before any policy', () => {
    const settings = savedForNewTickets([['2026-01-10T00:00:00.000Z', policy(120)]]);
    const all = { ...settings, earlierSlaPolicies: earlierSlaPoliciesAfter(settings, 'openTickets', '2026-02-01T00:00:00.000Z'), sla: policy(30) };
    expect(all.earlierSlaPolicies).toEqual([]);
    expect(slaPolicyFor(all, '2025-01-01T00:00:00.000Z')?.targets.Urgent?.firstResponseMinutes).toBe(30);
    // A policy saved for new tickets on an instance that had none: older tickets have none.
    const first = {
      ...defaultSettings(),
      earlierSlaPolicies: earlierSlaPoliciesAfter(defaultSettings(), 'newTickets', '2026-01-10T00:00:00.000Z'),
      sla: policy(30),
    };
    expect(slaPolicyFor(first, '2026-01-01T00:00:00.000Z')).toBeNull();
  });

  it(`keeps the last ${EARLIER_SLA_POLICIES_MAX} earlier policies; older tickets then follow the oldest kept`, () => {
    const steps: [string, SlaPolicy][] = Array.from({ length: EARLIER_SLA_POLICIES_MAX + 5 }, (_, i) => [
      new Date(Date.UTC(2026, 0, 10 + i)).toISOString(),
      policy(100 + i),
    ]);
    const settings = savedForNewTickets(steps);
    expect(settings.earlierSlaPolicies).toHaveLength(EARLIER_SLA_POLICIES_MAX);
    // The first five (60 and 100..103) went: a ticket from before them follows the oldest kept, 104.
    expect(slaPolicyFor(settings, '2025-12-01T00:00:00.000Z')?.targets.Urgent?.firstResponseMinutes).toBe(104);
    expect(slaPolicyFor(settings, '2027-01-01T00:00:00.000Z')?.targets.Urgent?.firstResponseMinutes).toBe(100 + EARLIER_SLA_POLICIES_MAX + 4);
  });
});
