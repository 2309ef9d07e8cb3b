import type { JsonPage, ListingSql, Store, StoreDialect } from './dialect.js';
import { sql } from 'kysely';
import type { ActivitiesTable, TicketsTable, Tx } from './schema.js';
import { priorityRank, statusRank, type StoredTicket } from '../domain/ticket.js';
import { tagKey } from '../domain/tags.js';
import type { Activity } from '../domain/activity.js';
import type { FLAG_FILTERS, ListFilters, ListQuery, OrderName } from '../domain/listing.js';
import type { Cursor, Position } from '../domain/cursor.js';
import { ticketJson, WIRE_COLUMNS, wireRowToTicket, type WireRow } from './ticket-json.js';
import { claimMeta } from './instances.repo.js';
import { LIST_LIMIT_MAX, LIST_PAGE_BYTES } from '../domain/limits.js';

type TicketRow = Omit<TicketsTable, 'seq' | 'version'> & { seq: number };
/** The columns a ticket is written with: all but the store's (seq, version). */
type TicketColumns = Omit<TicketsTable, 'seq' | 'version'>;

/** '1' + lowercased value, or '2' when empty: empty sorts last in ASC and first in DESC. */
export const sortKey = (value: string | null | undefined): string => (value ? `1${value.toLowerCase()}` : '2');

export function toColumns(instanceId: string, t: StoredTicket): TicketColumns {
  return {
    instance_id: instanceId,
    id: t.id,
    ticket_number: t.ticketId,
    title: t.title,
    description: t.description,
    status: t.status,
    status_rank: statusRank(t.status),
    priority: t.priority,
    priority_rank: priorityRank(t.priority),
    requestor_id: t.requestor.id,
    requestor_name: t.requestor.name,
    requestor_email: t.requestor.email,
    assignee_id: t.assignee?.id ?? null,
    assignee_name: t.assignee?.name ?? null,
    assignee_email: t.assignee?.email ?? null,
    custom_fields: JSON.stringify(t.customFields),
    tags: JSON.stringify(t.tags),
    expected_date: t.expectedDate,
    resolution: t.resolution,
    last_resolution_comment: t.lastResolutionComment,
    first_response_on: t.firstResponseOn,
    first_resolution_on: t.firstResolutionOn,
    last_resolution_on: t.lastResolutionOn,
    created_on: t.createdOn,
    last_updated_on: t.lastUpdatedOn,
    last_interaction: t.lastInteraction,
    is_frt_escalated: t.isFrtEscalated ? 1 : 0,
    is_rt_escalated: t.isRtEscalated ? 1 : 0,
    created_by: JSON.stringify(t.createdBy),
    last_updated_by: JSON.stringify(t.lastUpdatedBy),
    title_sort: sortKey(t.title),
    requestor_name_sort: sortKey(t.requestor.name),
    requestor_email_sort: sortKey(t.requestor.email),
    assignee_name_sort: sortKey(t.assignee?.name),
    assignee_email_sort: sortKey(t.assignee?.email),
    expected_date_sort: t.expectedDate ? `1${t.expectedDate}` : '2',
    frt_due_on: t.frtDueOn,
    rt_due_on: t.rtDueOn,
    rt_started_on: t.rtStartedOn,
    description_html: t.descriptionHtml ?? null,
    origin: t.origin,
    is_frt_breached: t.isFrtBreached ? 1 : 0,
    is_rt_breached: t.isRtBreached ? 1 : 0,
  };
}

export function toTicket(row: Pick<TicketRow, (typeof WIRE_COLUMNS)[number]>): StoredTicket {
  return wireRowToTicket(WIRE_COLUMNS.map((column) => row[column]));
}

export async function insertTicket(db: Tx, instanceId: string, ticket: StoredTicket): Promise<number> {
  const columns = toColumns(instanceId, ticket);
  const { seq } = await db.insertInto('tickets').values(columns).returning('seq').executeTakeFirstOrThrow();
  await insertTicketTags(db, instanceId, seq, ticket);
  await noteListedSize(db, instanceId, columns);
  return seq;
}

/*
 * The byte budget of a page of GET /tickets (LIST_PAGE_BYTES). Building a page and then
 * measuring it would cost the memory the budget is there to save, so the store measures first,
 * from the stored lengths of the texts (octet_length reads a value's length without its
 * content), and the page is then read with a smaller limit. That costs a second pass over the
 * page's rows, so it is only made for instances that hold a ticket larger than a thousandth of
 * the budget (LARGE_TICKET_BYTES; marked in meta when such a ticket is written, and by
 * migration 006 for tickets from before): in every other instance no page of up to
 * LIST_LIMIT_MAX tickets can reach the budget, and listings stay one query.
 */

/** The key (+ instance id) in meta of an instance holding a ticket of more than LARGE_TICKET_BYTES. */
export const LARGE_TICKETS = 'tickets-large:';
/** Bytes of a page outside its items: the braces, continuationToken, itemCount. */
export const PAGE_ENVELOPE_BYTES = 1024;
/** The size above which a ticket could make a page of LIST_LIMIT_MAX tickets pass the budget. */
export const LARGE_TICKET_BYTES = Math.floor((LIST_PAGE_BYTES - PAGE_ENVELOPE_BYTES) / LIST_LIMIT_MAX) - 1;
/**
 * The JSON of a listed ticket without its variable texts, over-counted: keys, ids, numbers,
 * dates and quotes (about 900 bytes), and the keys `select` may add (requestorName, …).
 */
const LISTED_FIXED_BYTES = 1_200;
/** The variable texts of a listed ticket; names and e-mails twice (`select` may list requestorName beside requestor). */
const LISTED_TEXT_COLUMNS = [
  ['title', 1],
  ['description', 1],
  ['custom_fields', 1],
  ['tags', 1],
  ['requestor_id', 1],
  ['requestor_name', 2],
  ['requestor_email', 2],
  ['assignee_id', 1],
  ['assignee_name', 2],
  ['assignee_email', 2],
  ['last_resolution_comment', 1],
  ['created_by', 1],
  ['last_updated_by', 1],
] as const satisfies readonly (readonly [keyof TicketsTable, number])[];

/**
 * What a ticket adds to a page, in bytes, as SQL over `tickets t` (both dialects): its texts'
 * stored UTF-8 length plus the fixed part. JSON escaping (\", \\, control characters) is not
 * counted: the budget counts the text as stored.
 */
export const LISTED_BYTES_SQL = `(${LISTED_FIXED_BYTES} + ${LISTED_TEXT_COLUMNS.map(([c, n]) => `${n === 1 ? '' : `${n} * `}coalesce(octet_length(t.${c}), 0)`).join(' + ')})`;
/**
 * LISTED_BYTES_SQL of a page with include=description_HTML: plus the description's HTML, or the
 * description again where the HTML is made from it (the escapes it gets are not counted either).
 */
const LISTED_BYTES_WITH_HTML_SQL = `(${LISTED_BYTES_SQL} + coalesce(octet_length(t.description_html), octet_length(t.description), 0))`;

/** LISTED_BYTES_SQL of a ticket's columns, in JavaScript. */
export function listedBytes(columns: TicketColumns): number {
  let bytes = LISTED_FIXED_BYTES;
  for (const [column, times] of LISTED_TEXT_COLUMNS) {
    const value = columns[column];
    if (typeof value === 'string') bytes += times * Buffer.byteLength(value);
  }
  return bytes;
}

/**
 * What this process knows of instances' LARGE_TICKETS marks, so that a listing does not read
 * meta each time: a mark is never taken back, so "large" is kept for good; "not large" for
 * NOT_LARGE_FOR_MS, so a mark written by another process is seen within that (this process's
 * own marks at once). Instance ids are unique across stores, so one map serves them all.
 */
const largeTickets = new Map<string, { large: boolean; until: number }>();
const NOT_LARGE_FOR_MS = 1000;

function rememberLarge(instanceId: string, large: boolean): void {
  if (largeTickets.size > 10_000) largeTickets.clear();
  largeTickets.set(instanceId, { large, until: large ? Infinity : Date.now() + NOT_LARGE_FOR_MS });
}

/**
 * Marks the instance LARGE_TICKETS when this ticket is larger than LARGE_TICKET_BYTES, counted
 * as listings count it or as its JSON really is (escapes included), whichever is more, with the
 * description's HTML (include=description_HTML). The description counts twice in the measured
 * JSON (once as listed, once as the estimate), so an HTML made from it is covered; an HTML given
 * by the client, which may be far longer than its plain text, is added to the estimate.
 */
async function noteListedSize(db: Tx, instanceId: string, columns: TicketColumns): Promise<void> {
  if (largeTickets.get(instanceId)?.large) return;
  const estimate = listedBytes(columns) + Buffer.byteLength(columns.description_html ?? '');
  if (estimate <= LARGE_TICKET_BYTES) {
    // Escaping makes JSON at most 6 bytes per byte of text (\u00XX): only then measure it.
    if ((estimate - LISTED_FIXED_BYTES) * 6 + LISTED_FIXED_BYTES <= LARGE_TICKET_BYTES) return;
    if (Buffer.byteLength(ticketJson(WIRE_COLUMNS.map((c) => columns[c]))) + (estimate - LISTED_FIXED_BYTES) <= LARGE_TICKET_BYTES) return;
  }
  await claimMeta(db, `${LARGE_TICKETS}${instanceId}`, '1');
  // Before the commit: should it roll back, listings of the instance only measure needlessly.
  rememberLarge(instanceId, true);
}

async function insertTicketTags(db: Tx, instanceId: string, seq: number, ticket: StoredTicket): Promise<void> {
  if (ticket.tags.length === 0) return;
  await db
    .insertInto('ticket_tags')
    .values(ticket.tags.map((tag) => ({ instance_id: instanceId, ticket_seq: seq, tag_key: tagKey(tag) })))
    .execute();
}

export interface TicketRef {
  id?: string;
  number?: number;
}

/** Finds a ticket of the instance by UUID or number; forUpdate locks the row (PostgreSQL). */
export async function findTicket(
  db: Tx,
  dialect: StoreDialect,
  instanceId: string,
  ref: TicketRef,
  options: { forUpdate?: boolean } = {},
): Promise<{ seq: number; version: number; ticket: StoredTicket } | undefined> {
  // The columns a ticket is made of, not the search vectors (PostgreSQL) beside them.
  let query = db
    .selectFrom('tickets')
    .select(['seq', 'version', ...WIRE_COLUMNS])
    .where('instance_id', '=', instanceId);
  query = ref.id !== undefined ? query.where('id', '=', ref.id) : query.where('ticket_number', '=', ref.number ?? -1);
  if (options.forUpdate && dialect.supportsRowLocks) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && { seq: row.seq, version: Number(row.version), ticket: toTicket(row) };
}

/**
 * The SQL of reading one ticket by UUID or by number, made once per store kind: a read is then
 * only parameters and a prepared statement, without building and compiling a query each time.
 */
const ticketReadSql = new Map<StoreDialect, Map<'id' | 'number', string>>();

/** A ticket's row for answering a read (WIRE_COLUMNS order, then its version), outside any transaction. */
export async function readTicketRow(store: Store, instanceId: string, ref: TicketRef): Promise<WireRow | undefined> {
  const byId = ref.id !== undefined;
  let texts = ticketReadSql.get(store.dialect);
  if (!texts) ticketReadSql.set(store.dialect, (texts = new Map()));
  let text = texts.get(byId ? 'id' : 'number');
  if (text === undefined) {
    const base = store.db
      .selectFrom('tickets')
      .select([...WIRE_COLUMNS, 'version'])
      .where('instance_id', '=', '');
    text = (byId ? base.where('id', '=', '') : base.where('ticket_number', '=', 0)).compile().sql;
    texts.set(byId ? 'id' : 'number', text);
  }
  const rows = await store.readRows({ sql: text, parameters: [instanceId, byId ? ref.id : (ref.number ?? -1)] });
  return rows[0];
}

export async function findTicketBySeq(db: Tx, dialect: StoreDialect, instanceId: string, seq: number): Promise<StoredTicket | undefined> {
  let query = db
    .selectFrom('tickets')
    .select(['seq', ...WIRE_COLUMNS])
    .where('instance_id', '=', instanceId)
    .where('seq', '=', seq);
  if (dialect.supportsRowLocks) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toTicket(row);
}

/**
 * Writes only the columns that changed: the store then touches only the indexes (and, on
 * SQLite, the full-text triggers) of those columns. A comment moves lastInteraction only.
 * The version (the ETag's source) goes up with any change, and with `bump` even without one: a
 * write that passed an If-Match check must make that tag stale, even when it only added an
 * activity within the millisecond of the last one. Answers whether the version went up.
 */
export async function updateTicket(
  db: Tx,
  instanceId: string,
  seq: number,
  before: StoredTicket,
  after: StoredTicket,
  { bump = false }: { bump?: boolean } = {},
): Promise<boolean> {
  const old = toColumns(instanceId, before);
  const next = toColumns(instanceId, after);
  const changed = Object.fromEntries(Object.entries(next).filter(([column, value]) => old[column as keyof typeof old] !== value));
  const columns = Object.keys(changed).length;
  if (columns > 0 || bump) {
    await db
      .updateTable('tickets')
      .set({ ...changed, version: sql<number>`version + 1` })
      .where('instance_id', '=', instanceId)
      .where('seq', '=', seq)
      .execute();
  }
  if (columns > 0) await noteListedSize(db, instanceId, next);
  if (JSON.stringify(before.tags) !== JSON.stringify(after.tags)) {
    await db.deleteFrom('ticket_tags').where('instance_id', '=', instanceId).where('ticket_seq', '=', seq).execute();
    await insertTicketTags(db, instanceId, seq, after);
  }
  return columns > 0 || bump;
}

/** The activities row of an activity: the type-specific fields go to `data` as JSON. */
export function activityColumns(instanceId: string, ticketSeq: number, activity: Activity): Omit<ActivitiesTable, 'seq'> {
  const { id, ticketId, type, user, createdOn, comment, commentHtml, isPrivate, ...data } = activity;
  return {
    instance_id: instanceId,
    id,
    ticket_seq: ticketSeq,
    ticket_number: ticketId,
    type,
    user: JSON.stringify(user),
    created_on: createdOn,
    comment: comment ?? null,
    is_private: isPrivate ? 1 : 0,
    data: Object.keys(data).length > 0 ? JSON.stringify(data) : null,
    comment_html: commentHtml ?? null,
  };
}

export async function insertActivity(db: Tx, instanceId: string, ticketSeq: number, activity: Activity): Promise<void> {
  await db
    .insertInto('activities')
    .values(activityColumns(instanceId, ticketSeq, activity))
    .execute();
}

/** The comments (and private notes) of a ticket, counted up to `upTo`. */
export async function countComments(db: Tx, instanceId: string, ticketSeq: number, upTo: number): Promise<number> {
  const row = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('activities')
        .select('seq')
        .where('instance_id', '=', instanceId)
        .where('ticket_seq', '=', ticketSeq)
        .where('type', '=', 'comment')
        .limit(upTo)
        .as('c'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Where a page of a ticket's activities starts: after the activity with this seq (keyset), in this direction. */
export interface ActivityPageQuery {
  limit: number;
  descending: boolean;
  afterSeq?: number;
}

/**
 * One page of a ticket's activities in the order they were recorded (seq; the
 * activities_by_ticket index serves it), reading one more to know whether more follow.
 */
export async function listActivities(
  db: Tx,
  instanceId: string,
  ticketSeq: number,
  page: ActivityPageQuery,
): Promise<{ activities: Activity[]; lastSeq: number | undefined; hasMore: boolean }> {
  let query = db.selectFrom('activities').selectAll().where('instance_id', '=', instanceId).where('ticket_seq', '=', ticketSeq);
  if (page.afterSeq !== undefined) query = query.where('seq', page.descending ? '<' : '>', page.afterSeq);
  const rows = await query
    .orderBy('seq', page.descending ? 'desc' : 'asc')
    .limit(page.limit + 1)
    .execute();
  const hasMore = rows.length > page.limit;
  const kept = hasMore ? rows.slice(0, page.limit) : rows;
  const activities = kept.map((row) => {
    const base = {
      id: row.id,
      ticketId: row.ticket_number,
      type: row.type,
      user: JSON.parse(row.user),
      createdOn: row.created_on,
      commentHtml: row.comment_html,
    };
    const data = row.data ? JSON.parse(row.data) : {};
    return (
      row.type === 'comment'
        ? { ...base, comment: row.comment, isPrivate: row.is_private === 1 }
        : { ...base, ...data, ...(row.comment !== null || row.type === 'statusChange' ? { comment: row.comment } : {}) }
    ) as Activity;
  });
  return { activities, lastSeq: kept[kept.length - 1]?.seq, hasMore };
}

/** How many activities a ticket has (on the activities_by_ticket index). */
export async function countActivities(db: Tx, instanceId: string, ticketSeq: number): Promise<number> {
  const row = await db
    .selectFrom('activities')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('instance_id', '=', instanceId)
    .where('ticket_seq', '=', ticketSeq)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The sort column of each orderBy name; every order ends with ticket_number, so it is total. */
const ORDER_COLUMNS: Record<OrderName, keyof TicketsTable> = {
  status: 'status_rank',
  ticketId: 'ticket_number',
  ticketNo: 'ticket_number',
  title: 'title_sort',
  requestorName: 'requestor_name_sort',
  requestorEmail: 'requestor_email_sort',
  assigneeName: 'assignee_name_sort',
  assigneeEmail: 'assignee_email_sort',
  expectedDate: 'expected_date_sort',
  priority: 'priority_rank',
  createdDateTime: 'created_on',
  createdOn: 'created_on',
  lastInteraction: 'last_interaction',
  lastUpdatedOn: 'last_updated_on',
};

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The SELECT list of listings: the answer's columns, then (as k0, k1) the order's columns. */
const listColumns = (orderColumns: readonly string[]) => [...WIRE_COLUMNS.map((c) => `t.${c}`), ...orderColumns.map((c, i) => `t.${c} AS k${i}`)].join(', ');

/**
 * The meta key (+ instance id) present when an instance's tickets are not all stored in the
 * order they were created (docs/decisions/011-search-in-store-order.md).
 */
export const OUT_OF_CREATION_ORDER = 'tickets-out-of-creation-order:';

/**
 * Where the dialect has a search walk (SQLite), a search listed by creation date walks the
 * full-text index in storage order, from the newest ticket (or the oldest) on, and stops after
 * the page (StoreDialect.readPlans.searchWalk). Storage order is only right while it is also the
 * order of (created_on, ticket_number) for the instance: the service gives each new ticket a
 * createdOn no earlier than the instance's newest and numbers them in order
 * (keepsStorageInCreationOrder); a bulk load of older tickets (and migration 005, for stores from
 * before) marks the instance out of order, and it keeps the general plan. A search that may also
 * match a ticket number keeps it too.
 *
 * One word only: its matches are one MATCH over the parts (title and description, or one
 * comment; migration 007) in storage order. Words found in different parts of a ticket need one
 * lookup per word, so several words take the general plan.
 */
function searchesInStoreOrder(dialect: StoreDialect, query: ListQuery): boolean {
  const { search, ...others } = query.filters;
  return (
    dialect.readPlans.searchWalk !== undefined &&
    search !== undefined &&
    search.terms.length === 1 &&
    search.number === undefined &&
    ORDER_COLUMNS[query.order.by] === 'created_on' &&
    // Other filters would make the walk pass over matches they reject, as many as they like.
    Object.values(others).every((value) => value === undefined)
  );
}

/**
 * Whether the walk suits this instance: it is in creation order, and it holds at least half of
 * the store's tickets. The full-text index is shared by all instances and the walk passes over
 * every instance's matches, so for a small instance next to a large one the general plan (its
 * own created_on index) is the cheaper one.
 */
export async function inCreationOrder(store: Store, instanceId: string, query: ListQuery): Promise<boolean> {
  if (!searchesInStoreOrder(store.dialect, query)) return false;
  const p = store.dialect.placeholder;
  const [row] = await store.readRows({
    sql: `SELECT (SELECT 1 FROM meta WHERE key = ${p(1)}), (SELECT last_ticket_number FROM instances WHERE id = ${p(2)}), (SELECT max(seq) FROM tickets)`,
    parameters: [`${OUT_OF_CREATION_ORDER}${instanceId}`, instanceId],
  });
  const [marked, own, all] = row as [number | null, number | null, number | null];
  return marked === null && own !== null && all !== null && own * 2 >= all;
}

/** Records that the instance's tickets are no longer stored in creation order (see searchesInStoreOrder). */
export async function markOutOfCreationOrder(db: Tx, instanceId: string): Promise<void> {
  await claimMeta(db, `${OUT_OF_CREATION_ORDER}${instanceId}`, '1');
}

/** The createdOn of the instance's newest ticket (null without tickets). */
export async function latestCreatedOn(db: Tx, instanceId: string): Promise<string | null> {
  const row = await db
    .selectFrom('tickets')
    .select((eb) => eb.fn.max('created_on').as('latest'))
    .where('instance_id', '=', instanceId)
    .executeTakeFirst();
  return (row?.latest as string | null | undefined) ?? null;
}

/** A non-negative integer as SQL text; anything else is a bug upstream, not input to quote. */
function integer(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`not a row count: ${value}`);
  return String(value);
}

/** The sort columns that hold integers (the others hold text). */
const INTEGER_ORDER_COLUMNS = new Set<string>(['ticket_number', 'status_rank', 'priority_rank']);

/**
 * The conditions of every filter but `search` on tickets `t`, as SQL text (both dialects), the
 * instance's first; `param` adds a parameter and answers its placeholder. All are conditions on
 * indexed columns of the instance, or on the row an index led to.
 *
 * `forCount`: for counting every match (ticket-counts.ts) rather than reading a page. An
 * assignee or requestor (id or e-mail) then becomes one lookup in each of the two indexes: as
 * `id = ? OR email = ?` beside `instance_id = ?`, neither index serves it, and a page still
 * stops after its rows where a count would read the instance's every ticket.
 */
export function filterConditions(instanceId: string, filters: ListFilters, param: (value: unknown) => string, forCount = false): string[] {
  const p = param;
  const list = (values: readonly unknown[]) => values.map(p).join(', ');
  const and: string[] = [`t.instance_id = ${p(instanceId)}`];
  // Ranks, not names: the (status_rank, priority_rank, last_interaction) index serves them.
  if (filters.status) and.push(filters.status.length === 0 ? '1 = 0' : `t.status_rank IN (${list(filters.status.map(statusRank))})`);
  if (filters.priority) and.push(`t.priority_rank IN (${list(filters.priority.map(priorityRank))})`);
  if (filters.title) and.push(`t.title_sort LIKE ${p(`1%${escapeLike(filters.title.toLowerCase())}%`)} ESCAPE '\\'`);
  if (filters.tags) {
    and.push(`t.seq IN (SELECT ticket_seq FROM ticket_tags WHERE instance_id = ${p(instanceId)} AND tag_key IN (${list(filters.tags)}))`);
  }
  const person = (who: 'assignee' | 'requestor', value: string) =>
    forCount
      ? `t.seq IN (SELECT seq FROM tickets WHERE instance_id = ${p(instanceId)} AND ${who}_id = ${p(value)}
           UNION SELECT seq FROM tickets WHERE instance_id = ${p(instanceId)} AND ${who}_email_sort = ${p(sortKey(value))})`
      : `(t.${who}_id = ${p(value)} OR t.${who}_email_sort = ${p(sortKey(value))})`;
  if (filters.assignee !== undefined) and.push(person('assignee', filters.assignee));
  // tickets_by_assignee (instance_id, assignee_id) holds the NULLs too.
  if (filters.unassigned !== undefined) and.push(`t.assignee_id IS ${filters.unassigned ? '' : 'NOT '}NULL`);
  if (filters.requestor !== undefined) and.push(person('requestor', filters.requestor));
  const ranges = [
    ['t.created_on', filters.createdAfter, filters.createdBefore],
    ['t.last_updated_on', filters.lastUpdateAfter, filters.lastUpdateBefore],
    ['t.expected_date', filters.expectedDateAfter, filters.expectedDateBefore],
  ] as const;
  for (const [col, from, to] of ranges) {
    if (from) and.push(`${col} >= ${p(from)}`);
    if (to) and.push(`${col} < ${p(to)}`);
  }
  for (const [name, column] of FLAG_COLUMNS) {
    const value = filters[name];
    if (value !== undefined) and.push(`t.${column} = ${p(value ? 1 : 0)}`);
  }
  if (filters.isEscalated !== undefined) and.push(escalatedCondition('t', filters.isEscalated));
  if (filters.origin) and.push(filters.origin.length === 0 ? '1 = 0' : `t.origin IN (${list(filters.origin)})`);
  if (filters.ticketNo) and.push(filters.ticketNo.length === 0 ? '1 = 0' : `t.ticket_number IN (${list(filters.ticketNo)})`);
  if (filters.exceptTicketNo !== undefined) and.push(`t.ticket_number <> ${p(filters.exceptTicketNo)}`);
  if (filters.trackingId) {
    // The number finds the ticket (tickets_by_number); the end of its UUID must match too.
    const { ticketNumber, idSuffix } = filters.trackingId;
    and.push(`t.ticket_number = ${p(ticketNumber)} AND lower(substr(t.id, length(t.id) - 7)) = ${p(idSuffix)}`);
  }
  return and;
}

/** isEscalated: either escalation (true), or neither (false), on the tickets (`t`) or a count table (`c`), which name the flags alike. */
export const escalatedCondition = (table: 't' | 'c', escalated: boolean): string =>
  escalated ? `(${table}.is_frt_escalated = 1 OR ${table}.is_rt_escalated = 1)` : `${table}.is_frt_escalated = 0 AND ${table}.is_rt_escalated = 0`;

/** The flag filters and their columns (tickets and the count tables name them alike). */
export const FLAG_COLUMNS = [
  ['isFrtEscalated', 'is_frt_escalated'],
  ['isRtEscalated', 'is_rt_escalated'],
  ['isFrtBreached', 'is_frt_breached'],
  ['isRtBreached', 'is_rt_breached'],
] as const satisfies readonly (readonly [(typeof FLAG_FILTERS)[number], keyof TicketsTable])[];

/**
 * The WHERE, ORDER BY and LIMIT of one page of a listing, as SQL text with its parameters. All
 * filters are conditions on indexed columns of the instance. `storeOrder`: walk the full-text
 * index by rowid (what inCreationOrder decided for this query).
 *
 * The SQL is written here as text rather than with Kysely's builder: listings are the hottest
 * reads, and building and compiling the query cost more than SQLite spends answering it (a
 * profile at a million tickets; docs/decisions/008-read-path.md). Every value is a parameter.
 */
function listingSql(dialect: StoreDialect, instanceId: string, query: ListQuery, start: Cursor | undefined, storeOrder: boolean): ListingSql {
  const { filters, order } = query;
  const column = ORDER_COLUMNS[order.by];
  const columns = column === 'ticket_number' ? ['ticket_number'] : [column, 'ticket_number'];
  const desc = order.direction === 'DESC';
  const parameters: unknown[] = [];
  const p = (value: unknown) => {
    parameters.push(value);
    return dialect.placeholder(parameters.length);
  };
  const list = (values: readonly unknown[]) => values.map(p).join(', ');

  const and = filterConditions(instanceId, filters, p);
  const comparison = `${desc ? '<' : '>'}${start?.inclusive ? '=' : ''}`;
  // The walk in storage order, which is creation order here (see searchesInStoreOrder).
  const walk = storeOrder ? dialect.readPlans.searchWalk : undefined;
  if (storeOrder && !walk) throw new Error('a search walk was chosen on a store without one');
  if (walk) {
    and.push(walk.match(p, filters.search!.terms[0]!));
    if (start) and.push(walk.startAt(p, instanceId, start.position[start.position.length - 1], desc, start.inclusive));
  } else {
    if (filters.search) {
      const { terms, number } = filters.search;
      // Every word must be on the ticket: in its title, its description or any of its comments.
      const text = terms.length > 0 ? dialect.fullTextCondition(p, instanceId, terms) : '1 = 0';
      and.push(number !== undefined ? `(${text} OR t.ticket_number = ${p(number)})` : text);
    }
    if (start) {
      const left = columns.map((c) => `t.${c}`).join(', ');
      and.push(`(${left}) ${comparison} (${list(start.position)})`);
    }
  }
  const direction = desc ? 'DESC' : 'ASC';
  const from = walk ? walk.from : 'FROM tickets t';
  const orderBy = walk ? walk.orderBy(direction) : columns.map((c) => `t.${c} ${direction}`).join(', ');
  // Some stores re-prepare a statement whose LIMIT is re-bound (StoreDialect.inlinesLimits). The
  // OFFSET stays a parameter everywhere: each offset its own statement would crowd the caches.
  const limit = dialect.inlinesLimits ? integer(query.limit + 1) : p(query.limit + 1);
  let tail = `${from} WHERE ${and.join(' AND ')} ORDER BY ${orderBy} LIMIT ${limit}`;
  if (!start && query.offset > 0) tail += ` OFFSET ${p(query.offset)}`;
  return { distinct: walk ? walk.distinct : '', tail, parameters, columns, integerOrder: INTEGER_ORDER_COLUMNS.has(columns[0]!), desc };
}

/**
 * One page of a ticket listing, plus whether more follow, using keyset pagination when `start`
 * is given: rows in WIRE_COLUMNS order, for any store and for `select` projections.
 * `storeOrder`: what inCreationOrder answered for this query, when the caller asked already.
 */
export async function listTickets(
  store: Store,
  instanceId: string,
  query: ListQuery,
  start: Cursor | undefined,
  storeOrder?: boolean,
): Promise<{ rows: WireRow[]; positions: Position[]; hasMore: boolean }> {
  storeOrder ??= await inCreationOrder(store, instanceId, query);
  const { distinct, tail, parameters, columns } = listingSql(store.dialect, instanceId, query, start, storeOrder);
  const text = `SELECT ${distinct}${listColumns(columns)} ${tail}`;
  const rows = await store.readRows({ sql: text, parameters, fullText: query.filters.search !== undefined });
  const hasMore = rows.length > query.limit;
  const page = hasMore ? rows.slice(0, query.limit) : rows;
  const at = WIRE_COLUMNS.length;
  return {
    rows: page,
    positions: page.map((row) => columns.map((_, i) => row[at + i] as string | number)),
    hasMore,
  };
}

/** Whether the instance is marked LARGE_TICKETS (see LARGE_TICKET_BYTES). */
export async function hasLargeTickets(store: Store, instanceId: string): Promise<boolean> {
  const known = largeTickets.get(instanceId);
  if (known && known.until > Date.now()) return known.large;
  const rows = await store.readRows({ sql: `SELECT 1 FROM meta WHERE key = ${store.dialect.placeholder(1)}`, parameters: [`${LARGE_TICKETS}${instanceId}`] });
  rememberLarge(instanceId, rows.length > 0);
  return rows.length > 0;
}

/**
 * What each ticket of the page (up to limit + 1 of them) adds to it in bytes (LISTED_BYTES_SQL;
 * with `descriptionHtml`, LISTED_BYTES_WITH_HTML_SQL), in page order, without reading their texts.
 */
export async function listedSizes(
  store: Store,
  instanceId: string,
  query: ListQuery,
  start: Cursor | undefined,
  storeOrder: boolean,
  descriptionHtml = false,
): Promise<number[]> {
  const { tail, parameters } = listingSql(store.dialect, instanceId, query, start, storeOrder);
  const bytes = descriptionHtml ? LISTED_BYTES_WITH_HTML_SQL : LISTED_BYTES_SQL;
  const rows = await store.readRows({ sql: `SELECT ${bytes} ${tail}`, parameters, fullText: query.filters.search !== undefined });
  return rows.map((row) => Number(row[0]));
}

/**
 * The same page as listTickets, made into JSON by the store itself where its dialect can
 * (readPlans.pageJson; docs/decisions/008-read-path.md), as its answer's items. Answers undefined
 * where it cannot (no such plan, or the plan gave up on this page): the caller then uses
 * listTickets. `storeOrder`: what inCreationOrder answered (asked once by the caller, for both).
 */
export async function listTicketsJson(
  store: Store,
  instanceId: string,
  query: ListQuery,
  start: Cursor | undefined,
  storeOrder: boolean,
): Promise<JsonPage | undefined> {
  const plan = store.dialect.readPlans.pageJson;
  if (!plan) return undefined;
  const listing = listingSql(store.dialect, instanceId, query, start, storeOrder);
  return plan.readPage((q) => store.readRows(q), listing, query.limit, query.filters.search !== undefined);
}
