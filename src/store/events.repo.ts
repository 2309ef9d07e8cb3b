import { sql } from 'kysely';
import type { Store } from './dialect.js';
import type { Tx } from './schema.js';

/*
 * The events table: the outbox every ticket change and engine alert writes to, in its own
 * transaction, and the feed GET /instance/events reads (migrations 002 and 013).
 */

export interface EventRow {
  id: string;
  type: string;
  /** The ticket's UUID, when the event is about a ticket. */
  ticketId: string | null;
  ticketNumber: number | null;
  /** The event's data (the webhook body's `data`). */
  payload: Record<string, unknown>;
  createdOn: string;
}

/** Where an event is in the feed: (tx_id, seq), the order the feed is read in. */
export type FeedPosition = [number, number];

export async function insertEvent(db: Tx, instanceId: string, event: EventRow): Promise<void> {
  await db
    .insertInto('events')
    .values({
      instance_id: instanceId,
      id: event.id,
      type: event.type,
      ticket_id: event.ticketId,
      ticket_number: event.ticketNumber,
      payload: JSON.stringify(event.payload),
      created_on: event.createdOn,
      delivered_on: null,
    })
    .execute();
}

/** The feed position of one of the instance's events. */
export async function findEventPosition(store: Store, instanceId: string, eventId: string): Promise<FeedPosition | undefined> {
  const query = store.db.selectFrom('events').select(['tx_id', 'seq']).where('instance_id', '=', instanceId).where('id', '=', eventId).compile();
  const [row] = await store.readRows(query);
  return row ? [Number(row[0]), Number(row[1])] : undefined;
}

export interface FeedQuery {
  /** Start after this position (in the order asked). */
  after?: FeedPosition | undefined;
  desc: boolean;
  /** Only these types (none: every type). */
  types?: readonly string[] | undefined;
  limit: number;
}

/**
 * A page of the instance's events in feed order, read on the store's read connection. Oldest
 * first (the poller's order), only events of transactions that have all ended
 * (dialect.eventHorizon), so an event that commits later never lands before a position a reader
 * has passed. Newest first (browsing) shows every committed event. Reads `limit + 1` to tell
 * whether more follow.
 */
export async function listFeed(
  store: Store,
  instanceId: string,
  query: FeedQuery,
): Promise<{ events: (EventRow & { position: FeedPosition })[]; more: boolean }> {
  const direction = query.desc ? 'desc' : 'asc';
  let select = store.db
    .selectFrom('events')
    .select(['tx_id', 'seq', 'id', 'type', 'ticket_id', 'ticket_number', 'payload', 'created_on'])
    .where('instance_id', '=', instanceId);
  if (!query.desc) select = select.where('tx_id', '<', sql<number>`${sql.raw(store.dialect.eventHorizon)}`);
  if (query.types && query.types.length > 0) select = select.where('type', 'in', [...query.types]);
  if (query.after) {
    const [txId, seq] = query.after;
    select = select.where((eb) => eb(eb.refTuple('tx_id', 'seq'), query.desc ? '<' : '>', eb.tuple(txId, seq)));
  }
  const compiled = select
    .orderBy('tx_id', direction)
    .orderBy('seq', direction)
    .limit(query.limit + 1)
    .compile();
  const rows = await store.readRows(compiled);
  const events = rows.slice(0, query.limit).map((r) => ({
    position: [Number(r[0]), Number(r[1])] as FeedPosition,
    id: r[2] as string,
    type: r[3] as string,
    ticketId: r[4] as string | null,
    ticketNumber: r[5] === null ? null : Number(r[5]),
    payload: JSON.parse(r[6] as string) as Record<string, unknown>,
    createdOn: r[7] as string,
  }));
  return { events, more: rows.length > query.limit };
}
