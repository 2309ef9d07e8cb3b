import { sql } from 'kysely';
import { noteEventWritten } from './commit-signal.js';
import { executeCompiledOnce } from './compiled-once.js';
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

/**
 * Inserts events written by one transaction, in one statement; their feed order (seq) is the
 * order given.
 */
export async function insertEvents(db: Tx, instanceId: string, events: readonly (EventRow & { payloadJson: string })[]): Promise<void> {
  if (events.length === 0) return;
  const parameters = events.flatMap((e) => [instanceId, e.id, e.type, e.ticketId, e.ticketNumber, e.payloadJson, e.createdOn]);
  await executeCompiledOnce(db, `insertEvents:${events.length}`, parameters, () => {
    const rows = [];
    for (let i = 0; i < parameters.length; i += 7) rows.push(sql`(${sql.join(parameters.slice(i, i + 7))})`);
    return sql`INSERT INTO events (instance_id, id, type, ticket_id, ticket_number, payload, created_on) VALUES ${sql.join(rows)}`;
  });
  // Live streams hear of them once the transaction commits (commit-signal.ts).
  noteEventWritten(db, instanceId);
}

/**
 * The position of the instance's newest event that a reader of the feed (oldest first) can see
 * now: live streams start after it, and every event they read later comes after it.
 */
export async function latestFeedPosition(store: Store, instanceId: string): Promise<FeedPosition | undefined> {
  const query = store.db
    .selectFrom('events')
    .select(['tx_id', 'seq'])
    .where('instance_id', '=', instanceId)
    .where('tx_id', '<', sql<number>`${sql.raw(store.dialect.eventHorizon)}`)
    .orderBy('tx_id', 'desc')
    .orderBy('seq', 'desc')
    .limit(1)
    .compile();
  const [row] = await store.readRows(query);
  return row ? [Number(row[0]), Number(row[1])] : undefined;
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
 *
 * Each read is a seek in an index, wherever the page starts: a position (tx_id, seq) is split
 * into "the rest of its transaction" and "the transactions after it" (SQLite would not seek on
 * a row-value comparison: it read every event before the position), and a list of types into
 * one branch per type (index (instance_id, type, tx_id, seq)); each branch is ordered and
 * limited, and the union of their first rows is ordered again.
 */
export async function listFeed(
  store: Store,
  instanceId: string,
  query: FeedQuery,
): Promise<{ events: (EventRow & { position: FeedPosition })[]; more: boolean }> {
  const direction = query.desc ? 'desc' : 'asc';
  const take = query.limit + 1;
  const branch = (type: string | undefined, part: 'all' | 'rest of its transaction' | 'later transactions') => {
    let select = store.db
      .selectFrom('events')
      .select(['tx_id', 'seq', 'id', 'type', 'ticket_id', 'ticket_number', 'payload', 'created_on'])
      .where('instance_id', '=', instanceId);
    if (!query.desc) select = select.where('tx_id', '<', sql<number>`${sql.raw(store.dialect.eventHorizon)}`);
    if (type !== undefined) select = select.where('type', '=', type);
    if (query.after && part === 'rest of its transaction')
      select = select.where('tx_id', '=', query.after[0]).where('seq', query.desc ? '<' : '>', query.after[1]);
    if (query.after && part === 'later transactions') select = select.where('tx_id', query.desc ? '<' : '>', query.after[0]);
    return select.orderBy('tx_id', direction).orderBy('seq', direction).limit(take);
  };
  const types: (string | undefined)[] = query.types && query.types.length > 0 ? [...new Set(query.types)] : [undefined];
  const parts = query.after ? (['rest of its transaction', 'later transactions'] as const) : (['all'] as const);
  const branches = types.flatMap((type) => parts.map((part) => branch(type, part)));
  const compiled =
    branches.length === 1
      ? branches[0]!.compile()
      : store.db
          .selectFrom(
            branches
              .map((b, n) => store.db.selectFrom(b.as(`b${n}`)).selectAll())
              .reduce((union, next) => union.unionAll(next))
              .as('feed'),
          )
          .selectAll()
          .orderBy('tx_id', direction)
          .orderBy('seq', direction)
          .limit(take)
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
