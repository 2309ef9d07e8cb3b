import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { Activity } from '../domain/activity.js';
import { decodeCursor, encodeCursor } from '../domain/cursor.js';
import { DomainError } from '../domain/errors.js';
import { ticketChangeEvents, ticketSummary, type EventTicket, type NewEvent } from '../domain/events.js';
import type { IUser } from '../domain/ticket.js';
import { RETRY_WINDOW_MS } from '../domain/webhooks.js';
import type { Store } from '../store/db.js';
import { findEventPosition, insertEvents, latestFeedPosition, listFeed, type EventRow, type FeedPosition } from '../store/events.repo.js';
import type { Tx } from '../store/schema.js';
import { deliveryStates } from '../store/webhooks.repo.js';
import { queueDeliveries } from './webhook-fanout.js';

/*
 * Emitting events (record: one call inside the caller's transaction) and reading the feed
 * (GET /instance/events). docs/api.md §13, docs/decisions/017-webhooks.md.
 */

const recordedListeners = new Set<() => void>();

/** Called (synchronously, before the recording transaction commits) after events were recorded with deliveries due now: the delivery worker looks sooner. */
export function onEventRecorded(listener: () => void): () => void {
  recordedListeners.add(listener);
  return () => recordedListeners.delete(listener);
}

/**
 * Records an event in the caller's transaction `tx`: the feed row, and its webhook deliveries
 * (handed to this process's delivery worker once the transaction commits, or queued due in it:
 * webhook-fanout.ts). Commits or rolls back with the change it is about. Answers the event's id.
 *
 *   await events.record(tx, instanceId, { type: 'ticket.attachmentAdded', ticket, data: { … }, createdOn: now });
 */
export async function record(tx: Tx, instanceId: string, event: NewEvent): Promise<string> {
  const [id] = await recordAll(tx, instanceId, [event]);
  return id!;
}

/**
 * Records the events of one write (all of one time, `createdOn`), in order: one statement
 * whatever their number (two without a delivery worker here: their due deliveries). Answers
 * their ids.
 */
async function recordAll(tx: Tx, instanceId: string, events: readonly NewEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const createdOn = events[0]!.createdOn;
  if (events.some((e) => e.createdOn !== createdOn)) throw new Error('recordAll: the events of one write share their time');
  const rows = events.map((event) => {
    const payload = event.ticket ? { ticket: ticketSummary(event.ticket), ...event.data } : event.data;
    // Serialized once: the feed row and the webhook bodies of this process take the same text.
    return {
      id: uuidv7(),
      type: event.type,
      ticketId: event.ticket?.id ?? null,
      ticketNumber: event.ticket?.ticketId ?? null,
      payload,
      payloadJson: JSON.stringify(payload),
      createdOn,
    };
  });
  await insertEvents(tx, instanceId, rows);
  const due = await queueDeliveries(tx, instanceId, rows, createdOn, new Date(Date.parse(createdOn) + RETRY_WINDOW_MS).toISOString());
  if (due > 0) for (const listener of recordedListeners) listener();
  return rows.map((r) => r.id);
}

/**
 * Records the events of one write of a ticket (created, updated with its changed fields,
 * assigned, status changed, commented: see ticketChangeEvents), in its transaction.
 * `before` is null for a new ticket.
 */
export async function recordTicketChange(
  tx: Tx,
  instanceId: string,
  change: { before: EventTicket | null; after: EventTicket; activities: readonly Activity[]; user: IUser; now: string },
): Promise<void> {
  await recordAll(tx, instanceId, ticketChangeEvents(change.before, change.after, change.activities, change.user, change.now));
}

// ------------------------------------------------------------------------------------------
// The feed

export interface FeedRequest {
  after?: string | undefined;
  limit: number;
  desc: boolean;
  types?: readonly string[] | undefined;
  continuationToken?: string | undefined;
}

/** An event as GET /instance/events answers it. */
export interface FeedItem {
  id: string;
  type: string;
  timestamp: string;
  createdOn: string;
  ticketId: number | null;
  ticketNo: number | null;
  ticket: string | null;
  data: Record<string, unknown>;
  payload: Record<string, unknown>;
  deliveries: { pending: number; delivered: number; failed: number };
  deliveredOn: string | null;
}

export class EventsService {
  constructor(private readonly deps: { store: Store; tokenSecret: string }) {}

  /**
   * A page of the instance's events in the feed's order (oldest first, or newest first with
   * desc): after `after` (an event id) or where a continuation token says. The token is there
   * exactly when more events are readable now; a poller at the end asks again later with
   * `after` = the last id it read, and gets every event exactly once.
   */
  async page(instanceId: string, request: FeedRequest): Promise<{ items: FeedItem[]; continuationToken: string | null }> {
    const fingerprint = createHash('sha256')
      .update(JSON.stringify([instanceId, 'events', request.desc, request.types ?? []]))
      .digest('base64url')
      .slice(0, 22);
    let after: FeedPosition | undefined;
    if (request.continuationToken) {
      const cursor = decodeCursor(this.deps.tokenSecret, fingerprint, request.continuationToken);
      after = cursor.position.map(Number) as FeedPosition;
    } else if (request.after) {
      after = await findEventPosition(this.deps.store, instanceId, request.after);
      if (!after) {
        throw new DomainError('validation_failed', `/query/after: no event "${request.after}" in this instance`, [
          { path: '/query/after', message: 'is not the id of an event of this instance' },
        ]);
      }
    }
    const { events, more } = await listFeed(this.deps.store, instanceId, { after, desc: request.desc, types: request.types, limit: request.limit });
    const items = await this.present(instanceId, events);
    const last = events[events.length - 1];
    const continuationToken = more && last ? encodeCursor(this.deps.tokenSecret, fingerprint, { position: last.position, inclusive: false }) : null;
    return { items, continuationToken };
  }

  /**
   * Up to `limit` events after `after` (none: from the start) in feed order, oldest first, each
   * with its position, as the feed presents them: what live streams read (live.service.ts).
   */
  async readAfter(instanceId: string, after: Readonly<FeedPosition> | undefined, limit: number): Promise<{ events: PositionedItem[]; more: boolean }> {
    const { events, more } = await listFeed(this.deps.store, instanceId, { after: after && [after[0], after[1]], desc: false, limit });
    const items = await this.present(instanceId, events);
    return { events: items.map((item, n) => ({ item, position: events[n]!.position })), more };
  }

  /** The feed position of an event of the instance, if it is one. */
  findPosition(instanceId: string, eventId: string): Promise<FeedPosition | undefined> {
    return findEventPosition(this.deps.store, instanceId, eventId);
  }

  /** Where a reader of the feed (oldest first) stands now: after the newest event it can see. */
  latestPosition(instanceId: string): Promise<FeedPosition | undefined> {
    return latestFeedPosition(this.deps.store, instanceId);
  }

  private async present(instanceId: string, events: readonly EventRow[]): Promise<FeedItem[]> {
    const states = await deliveryStates(
      this.deps.store,
      instanceId,
      events.map((e) => e.id),
    );
    return events.map((e): FeedItem => {
      const deliveries = { pending: 0, delivered: 0, failed: 0 };
      let lastFinished: string | null = null;
      for (const state of states.get(e.id) ?? []) {
        deliveries[state.status]++;
        if (state.finishedOn && (!lastFinished || state.finishedOn > lastFinished)) lastFinished = state.finishedOn;
      }
      const allDelivered = deliveries.delivered > 0 && deliveries.pending === 0 && deliveries.failed === 0;
      return {
        id: e.id,
        type: e.type,
        timestamp: e.createdOn,
        createdOn: e.createdOn,
        ticketId: e.ticketNumber,
        ticketNo: e.ticketNumber,
        ticket: e.ticketId,
        data: e.payload,
        payload: e.payload,
        deliveries,
        deliveredOn: allDelivered ? lastFinished : null,
      };
    });
  }
}

/** A feed item and where it is in the feed. */
export interface PositionedItem {
  item: FeedItem;
  position: FeedPosition;
}
