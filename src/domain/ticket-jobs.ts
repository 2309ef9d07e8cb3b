import type { InstanceSettings } from './instance.js';
import type { StoredTicket } from './ticket.js';

/*
 * Which timed jobs a ticket needs, decided from the ticket and its instance's settings alone:
 * the engine (src/services/engine.ts) stores the due times, so the scheduler never scans
 * tickets, and these functions say what to store.
 */

const DAY = 86_400_000;

/** The kinds of job; a ticket has at most one pending job of each kind. */
export const JOB = {
  firstResponse: 'sla.frt',
  resolution: 'sla.rt',
  idle: 'idle',
  dueSoon: 'due.soon',
  overdue: 'due.overdue',
  reschedule: 'instance.reschedule',
} as const;

export const isOpen = (t: Pick<StoredTicket, 'status'>) => t.status !== 'Resolved' && t.status !== 'Closed';

/** When the ticket falls idle: `days` after its last interaction. */
export const idleAt = (lastInteraction: string, days: number): string => new Date(Date.parse(lastInteraction) + days * DAY).toISOString();

/**
 * The jobs the ticket should have pending, kind to run time. Alerts on past dates are not
 * scheduled (they fired, or were set late).
 */
export function wantedJobs(ticket: StoredTicket, settings: InstanceSettings, now: string): Map<string, string> {
  const wanted = new Map<string, string>();
  if (ticket.frtDueOn && !ticket.firstResponseOn && !ticket.isFrtEscalated) wanted.set(JOB.firstResponse, ticket.frtDueOn);
  if (ticket.rtDueOn && isOpen(ticket) && !ticket.isRtEscalated) wanted.set(JOB.resolution, ticket.rtDueOn);
  const idleDays = settings.dayBeforeTicketsIdle;
  if (isOpen(ticket) && idleDays && (settings.isAutoAssignIdleTickets || settings.isNotifyIdleTicket)) {
    wanted.set(JOB.idle, idleAt(ticket.lastInteraction, idleDays));
  }
  const alerts = settings.alertNotification;
  if (alerts?.enabled && ticket.expectedDate && isOpen(ticket)) {
    const due = Date.parse(ticket.expectedDate);
    const nowMs = Date.parse(now);
    if (alerts.daysBeforeExpectedDate) {
      const soon = due - alerts.daysBeforeExpectedDate * DAY;
      if (soon > nowMs) wanted.set(JOB.dueSoon, new Date(soon).toISOString());
    }
    if (alerts.whenOverdue && due > nowMs) wanted.set(JOB.overdue, ticket.expectedDate);
  }
  return wanted;
}

/**
 * What to change so the pending jobs (`existing`, kind to run time) become `wanted`: the kinds
 * to delete, and the jobs to insert or move. An alert whose time has come stays until the
 * scheduler runs it (which re-checks it), even when no longer wanted.
 */
export function jobChanges(
  existing: ReadonlyMap<string, string>,
  wanted: ReadonlyMap<string, string>,
  now: string,
): { remove: string[]; upsert: [kind: string, runAt: string][] } {
  const pendingAlert = (kind: string) => (kind === JOB.dueSoon || kind === JOB.overdue) && existing.get(kind)! <= now;
  return {
    remove: [...existing.keys()].filter((kind) => !wanted.has(kind) && !pendingAlert(kind)),
    upsert: [...wanted].filter(([kind, runAt]) => existing.get(kind) !== runAt),
  };
}

/** What a due job does to its ticket, as decided when it runs. */
export type JobDecision =
  | { readonly do: 'nothing' }
  /** Not due yet (the date moved later meanwhile): run again then. */
  | { readonly do: 'postpone'; readonly runAt: string }
  | { readonly do: 'escalate'; readonly escalation: 'firstResponse' | 'resolution'; readonly dueOn: string }
  | { readonly do: 'markIdle'; readonly days: number }
  | { readonly do: 'alert'; readonly event: 'ticket.dueSoon' | 'ticket.overdue' };

/**
 * Decides what a job of `kind` does to the ticket now. The ticket's state is checked again, so
 * a stale job (responded, resolved, already escalated, alerts turned off) does nothing: each
 * breach fires once.
 */
export function decideJob(kind: string, ticket: StoredTicket, settings: InstanceSettings, now: string): JobDecision {
  switch (kind) {
    case JOB.firstResponse:
    case JOB.resolution: {
      const firstResponse = kind === JOB.firstResponse;
      const dueOn = firstResponse ? ticket.frtDueOn : ticket.rtDueOn;
      const stale = firstResponse ? ticket.firstResponseOn || ticket.isFrtEscalated : !isOpen(ticket) || ticket.isRtEscalated;
      if (stale || !dueOn) return { do: 'nothing' };
      if (dueOn > now) return { do: 'postpone', runAt: dueOn };
      return { do: 'escalate', escalation: firstResponse ? 'firstResponse' : 'resolution', dueOn };
    }
    case JOB.idle: {
      const days = settings.dayBeforeTicketsIdle;
      if (!isOpen(ticket) || !days || !(settings.isAutoAssignIdleTickets || settings.isNotifyIdleTicket)) return { do: 'nothing' };
      if (Date.parse(ticket.lastInteraction) + days * DAY > Date.parse(now)) return { do: 'postpone', runAt: idleAt(ticket.lastInteraction, days) };
      return { do: 'markIdle', days };
    }
    case JOB.dueSoon:
    case JOB.overdue: {
      if (!isOpen(ticket) || !ticket.expectedDate || !settings.alertNotification?.enabled) return { do: 'nothing' };
      return { do: 'alert', event: kind === JOB.dueSoon ? 'ticket.dueSoon' : 'ticket.overdue' };
    }
    default:
      return { do: 'nothing' };
  }
}
