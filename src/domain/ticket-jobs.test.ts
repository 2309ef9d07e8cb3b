import { describe, expect, it } from 'vitest';
import { defaultSettings, type InstanceSettings } from './instance.js';
import type { StoredTicket } from './ticket.js';
import { decideJob, JOB, jobChanges, wantedJobs } from './ticket-jobs.js';

const NOW = '2026-03-02T10:00:00.000Z';
const user = { id: 'u1', name: 'Jason Doe', email: 'jason@example.com' };

function ticket(overrides: Partial<StoredTicket> = {}): StoredTicket {
  return {
    id: 't1',
    ticketId: 1,
    title: 'Printer',
    description: '',
    status: 'Open',
    priority: 'Medium',
    requestor: user,
    assignee: null,
    customFields: {},
    tags: [],
    expectedDate: null,
    resolution: null,
    lastResolutionComment: null,
    firstResponseOn: null,
    firstResolutionOn: null,
    lastResolutionOn: null,
    createdOn: '2026-03-01T10:00:00.000Z',
    lastUpdatedOn: '2026-03-01T10:00:00.000Z',
    lastInteraction: '2026-03-01T10:00:00.000Z',
    isFrtEscalated: false,
    isRtEscalated: false,
    isFrtBreached: false,
    isRtBreached: false,
    origin: 'api',
    createdBy: user,
    lastUpdatedBy: user,
    rtStartedOn: '2026-03-01T10:00:00.000Z',
    frtDueOn: null,
    rtDueOn: null,
    ...overrides,
  };
}
const settings = (overrides: Partial<InstanceSettings> = {}): InstanceSettings => ({ ...defaultSettings(), ...overrides });

describe('wantedJobs', () => {
  it('wants nothing for a ticket with no due dates under default settings', () => {
    expect(wantedJobs(ticket(), settings(), NOW)).toEqual(new Map());
  });

  it('wants the SLA checks at the due dates until responded, resolved or escalated', () => {
    const due = { frtDueOn: '2026-03-01T12:00:00.000Z', rtDueOn: '2026-03-03T10:00:00.000Z' };
    expect(wantedJobs(ticket(due), settings(), NOW)).toEqual(
      new Map([
        [JOB.firstResponse, due.frtDueOn],
        [JOB.resolution, due.rtDueOn],
      ]),
    );
    expect([...wantedJobs(ticket({ ...due, firstResponseOn: NOW }), settings(), NOW).keys()]).toEqual([JOB.resolution]);
    expect([...wantedJobs(ticket({ ...due, isFrtEscalated: true, isRtEscalated: true }), settings(), NOW).keys()]).toEqual([]);
    expect([...wantedJobs(ticket({ ...due, firstResponseOn: NOW, status: 'Resolved' }), settings(), NOW).keys()]).toEqual([]);
  });

  it('wants the idle check the given days after the last interaction, only when idle tickets are acted on', () => {
    const idle = { dayBeforeTicketsIdle: 3 };
    expect(wantedJobs(ticket(), settings(idle), NOW)).toEqual(new Map());
    expect(wantedJobs(ticket(), settings({ ...idle, isNotifyIdleTicket: true }), NOW)).toEqual(new Map([[JOB.idle, '2026-03-04T10:00:00.000Z']]));
    expect(wantedJobs(ticket({ status: 'Closed' }), settings({ ...idle, isAutoAssignIdleTickets: true }), NOW)).toEqual(new Map());
  });

  it('wants due-date alerts only for times still ahead', () => {
    const alerts = settings({ alertNotification: { enabled: true, daysBeforeExpectedDate: 2, whenOverdue: true } });
    expect(wantedJobs(ticket({ expectedDate: '2026-03-10T00:00:00.000Z' }), alerts, NOW)).toEqual(
      new Map([
        [JOB.dueSoon, '2026-03-08T00:00:00.000Z'],
        [JOB.overdue, '2026-03-10T00:00:00.000Z'],
      ]),
    );
    // Two days before is already past: only the overdue alert is left.
    expect([...wantedJobs(ticket({ expectedDate: '2026-03-03T00:00:00.000Z' }), alerts, NOW).keys()]).toEqual([JOB.overdue]);
    expect(wantedJobs(ticket({ expectedDate: '2026-03-01T00:00:00.000Z' }), alerts, NOW)).toEqual(new Map());
    const off = settings({ alertNotification: { enabled: false, daysBeforeExpectedDate: 2, whenOverdue: true } });
    expect(wantedJobs(ticket({ expectedDate: '2026-03-10T00:00:00.000Z' }), off, NOW)).toEqual(new Map());
  });
});

describe('jobChanges', () => {
  it('deletes what is no longer wanted, and writes only the jobs that are new or moved', () => {
    const existing = new Map([
      [JOB.firstResponse, '2026-03-02T12:00:00.000Z'],
      [JOB.resolution, '2026-03-05T00:00:00.000Z'],
    ]);
    const wanted = new Map([
      [JOB.resolution, '2026-03-06T00:00:00.000Z'],
      [JOB.idle, '2026-03-04T10:00:00.000Z'],
    ]);
    expect(jobChanges(existing, wanted, NOW)).toEqual({
      remove: [JOB.firstResponse],
      upsert: [
        [JOB.resolution, '2026-03-06T00:00:00.000Z'],
        [JOB.idle, '2026-03-04T10:00:00.000Z'],
      ],
    });
    expect(jobChanges(wanted, wanted, NOW)).toEqual({ remove: [], upsert: [] });
  });

  it('keeps a due alert whose time has come for the scheduler to run, and drops one still ahead', () => {
    const existing = new Map([
      [JOB.dueSoon, '2026-03-02T09:00:00.000Z'],
      [JOB.overdue, '2026-03-09T00:00:00.000Z'],
    ]);
    expect(jobChanges(existing, new Map(), NOW)).toEqual({ remove: [JOB.overdue], upsert: [] });
  });
});

describe('decideJob', () => {
  const frtDueOn = '2026-03-02T09:00:00.000Z';

  it('escalates an SLA breach once: not when responded, resolved or escalated already', () => {
    expect(decideJob(JOB.firstResponse, ticket({ frtDueOn }), settings(), NOW)).toEqual({ do: 'escalate', escalation: 'firstResponse', dueOn: frtDueOn });
    expect(decideJob(JOB.firstResponse, ticket({ frtDueOn, firstResponseOn: NOW }), settings(), NOW)).toEqual({ do: 'nothing' });
    expect(decideJob(JOB.firstResponse, ticket({ frtDueOn, isFrtEscalated: true }), settings(), NOW)).toEqual({ do: 'nothing' });
    expect(decideJob(JOB.resolution, ticket({ rtDueOn: frtDueOn, status: 'Resolved' }), settings(), NOW)).toEqual({ do: 'nothing' });
    expect(decideJob(JOB.resolution, ticket({ rtDueOn: frtDueOn }), settings(), NOW)).toEqual({ do: 'escalate', escalation: 'resolution', dueOn: frtDueOn });
  });

  it('postpones a job whose date moved later meanwhile', () => {
    const later = '2026-03-05T00:00:00.000Z';
    expect(decideJob(JOB.firstResponse, ticket({ frtDueOn: later }), settings(), NOW)).toEqual({ do: 'postpone', runAt: later });
    const idle = settings({ dayBeforeTicketsIdle: 3, isNotifyIdleTicket: true });
    expect(decideJob(JOB.idle, ticket({ lastInteraction: '2026-03-01T10:00:00.000Z' }), idle, NOW)).toEqual({
      do: 'postpone',
      runAt: '2026-03-04T10:00:00.000Z',
    });
  });

  it('marks a ticket idle after the given days, unless idle tickets are no longer acted on', () => {
    const lastInteraction = '2026-02-20T10:00:00.000Z';
    expect(decideJob(JOB.idle, ticket({ lastInteraction }), settings({ dayBeforeTicketsIdle: 3, isNotifyIdleTicket: true }), NOW)).toEqual({
      do: 'markIdle',
      days: 3,
    });
    expect(decideJob(JOB.idle, ticket({ lastInteraction }), settings({ dayBeforeTicketsIdle: 3 }), NOW)).toEqual({ do: 'nothing' });
  });

  it('alerts on an expected date while alerts are on and the ticket is open', () => {
    const on = settings({ alertNotification: { enabled: true, daysBeforeExpectedDate: 2, whenOverdue: true } });
    const expectedDate = '2026-03-02T00:00:00.000Z';
    expect(decideJob(JOB.overdue, ticket({ expectedDate }), on, NOW)).toEqual({ do: 'alert', event: 'ticket.overdue' });
    expect(decideJob(JOB.dueSoon, ticket({ expectedDate }), on, NOW)).toEqual({ do: 'alert', event: 'ticket.dueSoon' });
    expect(decideJob(JOB.overdue, ticket({ expectedDate, status: 'Closed' }), on, NOW)).toEqual({ do: 'nothing' });
    expect(decideJob(JOB.overdue, ticket({ expectedDate }), settings(), NOW)).toEqual({ do: 'nothing' });
  });

  it('does nothing for a kind it does not know', () => {
    expect(decideJob('something.else', ticket(), settings(), NOW)).toEqual({ do: 'nothing' });
  });
});
