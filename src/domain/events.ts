import type { Activity } from './activity.js';
import { formatUserInstant } from './dates.js';
import type { ITicket, IUser } from './ticket.js';

/*
 * Events: what happened, written in the transaction of the change (the outbox), read by pollers
 * (GET /instance/events) and pushed to webhooks. Types, payloads and the events a ticket change
 * makes are decided here; docs/api.md §13 lists them.
 */

export { ALERT_EVENT_TYPES, ALL_EVENTS, EVENT_TYPES, TEST_EVENT_TYPE, TICKET_EVENT_TYPES, WEBHOOK_EVENT_TYPES } from './event-types.js';

/** A ticket as a write has it (stored or presented): what events are made from. */
export type EventTicket = Omit<ITicket, 'ticketNo' | 'trackingId'>;

/** The ticket as events carry it: enough to route and show it; GET /tickets/{id} has the rest. */
export interface TicketSummary {
  id: string;
  ticketId: number;
  title: string;
  status: ITicket['status'];
  priority: ITicket['priority'];
  assignee: IUser | null;
  requestor: IUser;
  expectedDate: string | null;
}

export function ticketSummary(t: EventTicket): TicketSummary {
  return {
    id: t.id,
    ticketId: t.ticketId,
    title: t.title,
    status: t.status,
    priority: t.priority,
    assignee: t.assignee,
    requestor: t.requestor,
    // As the API shows it: a date a user gave keeps its short form.
    expectedDate: t.expectedDate ? formatUserInstant(t.expectedDate) : null,
  };
}

/** An event to record: its data is the webhook body's `data` (with `ticket` when about a ticket). */
export interface NewEvent {
  type: string;
  /** The ticket it is about, if any (its summary goes into data.ticket). */
  ticket?: EventTicket | null;
  data: Record<string, unknown>;
  createdOn: string;
}

/**
 * The events one write of a ticket makes, from the ticket before (null: it is new) and after,
 * and the activities the write records:
 * - ticket.created for a new ticket;
 * - ticket.updated with `changedFields` (each field change, custom fields as customFields.<id>);
 * - ticket.assigned when the assignee changed (also on creation with an assignee);
 * - ticket.statusChanged for a status change, ticket.commented for a comment (`isPrivate` says
 *   whether it is an internal note: webhooks leave its text out unless includePrivate).
 * Activities of the engine's own (escalation, idle) make none: its alert events say it.
 */
export function ticketChangeEvents(before: EventTicket | null, after: EventTicket, activities: readonly Activity[], user: IUser, now: string): NewEvent[] {
  const events: NewEvent[] = [];
  const event = (type: string, data: Record<string, unknown>) => events.push({ type, ticket: after, data: { ...data, user }, createdOn: now });
  if (!before) {
    event('ticket.created', {});
    if (after.assignee) event('ticket.assigned', { assignee: after.assignee, previousAssignee: null });
  }
  const changedFields: string[] = [];
  for (const activity of activities) {
    if (activity.type === 'fieldChange') {
      if (!changedFields.includes(activity.field)) changedFields.push(activity.field);
    } else if (activity.type === 'statusChange') {
      event('ticket.statusChanged', {
        activityId: activity.id,
        from: activity.from,
        to: activity.to,
        resolution: activity.resolution,
        comment: activity.comment ?? null,
      });
    } else if (activity.type === 'comment' && activity.comment !== '') {
      // A comment without text holds attachments only: ticket.attachmentAdded says it.
      event('ticket.commented', {
        activityId: activity.id,
        comment: activity.comment,
        isPrivate: activity.isPrivate,
        createdOn: activity.createdOn,
      });
    }
  }
  // A new ticket's automatic assignment is part of its creation, not an update.
  if (before && changedFields.length > 0) event('ticket.updated', { changedFields });
  if (before && (before.assignee?.id ?? null) !== (after.assignee?.id ?? null)) {
    event('ticket.assigned', { assignee: after.assignee, previousAssignee: before.assignee });
  }
  return events;
}

/** The body of a delivery in the standard format (Standard Webhooks): `{ type, timestamp, data }`. */
export interface EventEnvelope {
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** Fields of an internal note that leave only with includePrivate: its text and its files. */
const PRIVATE_CONTENT = ['comment', 'comment_HTML', 'attachments'] as const;

/**
 * An event's data as a webhook without includePrivate may see it: a private note's text (and
 * attachments) become null; that a note was added, and by whom, is still said.
 */
export function withoutPrivateContent(data: Record<string, unknown>): Record<string, unknown> {
  if (data.isPrivate !== true) return data;
  const copy: Record<string, unknown> = { ...data };
  for (const field of PRIVATE_CONTENT) if (field in copy) copy[field] = null;
  return copy;
}
