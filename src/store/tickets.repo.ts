import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { StoreDialect } from './dialect.js';
import type { ActivitiesTable, Database, TicketsTable, Tx } from './schema.js';
import { priorityRank, statusRank, type Priority, type Resolution, type Status, type StoredTicket } from '../domain/ticket.js';
import { tagKey } from '../domain/tags.js';
import type { Activity } from '../domain/activity.js';
import type { ListQuery, OrderName } from '../domain/listing.js';

type TicketRow = Omit<TicketsTable, 'seq'> & { seq: number };

/** '1' + lowercased value, or '2' when empty: empty sorts last in ASC and first in DESC. */
const sortKey = (value: string | null | undefined): string => (value ? `1${value.toLowerCase()}` : '2');

export function toColumns(instanceId: string, t: StoredTicket): Omit<TicketsTable, 'seq'> {
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
  };
}

export function toTicket(row: TicketRow): StoredTicket {
  return {
    id: row.id,
    ticketId: row.ticket_number,
    title: row.title,
    description: row.description,
    status: row.status as Status,
    priority: row.priority as Priority,
    requestor: { id: row.requestor_id, name: row.requestor_name, email: row.requestor_email },
    assignee: row.assignee_id === null ? null : { id: row.assignee_id, name: row.assignee_name ?? '', email: row.assignee_email ?? '' },
    customFields: JSON.parse(row.custom_fields),
    tags: JSON.parse(row.tags),
    expectedDate: row.expected_date,
    resolution: row.resolution as Resolution | null,
    lastResolutionComment: row.last_resolution_comment,
    firstResponseOn: row.first_response_on,
    firstResolutionOn: row.first_resolution_on,
    lastResolutionOn: row.last_resolution_on,
    createdOn: row.created_on,
    lastUpdatedOn: row.last_updated_on,
    lastInteraction: row.last_interaction,
    isFrtEscalated: row.is_frt_escalated === 1,
    isRtEscalated: row.is_rt_escalated === 1,
    createdBy: JSON.parse(row.created_by),
    lastUpdatedBy: JSON.parse(row.last_updated_by),
    frtDueOn: row.frt_due_on,
    rtDueOn: row.rt_due_on,
    rtStartedOn: row.rt_started_on ?? row.created_on,
  };
}

export async function insertTicket(db: Tx, instanceId: string, ticket: StoredTicket): Promise<number> {
  const { seq } = await db.insertInto('tickets').values(toColumns(instanceId, ticket)).returning('seq').executeTakeFirstOrThrow();
  await insertTicketTags(db, instanceId, seq, ticket);
  return seq;
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
): Promise<{ seq: number; ticket: StoredTicket } | undefined> {
  let query = db.selectFrom('tickets').selectAll().where('instance_id', '=', instanceId);
  query = ref.id !== undefined ? query.where('id', '=', ref.id) : query.where('ticket_number', '=', ref.number ?? -1);
  if (options.forUpdate && dialect.supportsRowLocks) query = query.forUpdate();
  const row = (await query.executeTakeFirst()) as TicketRow | undefined;
  return row && { seq: row.seq, ticket: toTicket(row) };
}

export async function findTicketBySeq(db: Tx, dialect: StoreDialect, instanceId: string, seq: number): Promise<StoredTicket | undefined> {
  let query = db.selectFrom('tickets').selectAll().where('instance_id', '=', instanceId).where('seq', '=', seq);
  if (dialect.supportsRowLocks) query = query.forUpdate();
  const row = (await query.executeTakeFirst()) as TicketRow | undefined;
  return row && toTicket(row);
}

/**
 * Writes only the columns that changed: the store then touches only the indexes (and, on
 * SQLite, the full-text triggers) of those columns. A comment moves lastInteraction only.
 */
export async function updateTicket(db: Tx, instanceId: string, seq: number, before: StoredTicket, after: StoredTicket): Promise<void> {
  const old = toColumns(instanceId, before);
  const next = toColumns(instanceId, after);
  const changed = Object.fromEntries(Object.entries(next).filter(([column, value]) => old[column as keyof typeof old] !== value));
  if (Object.keys(changed).length > 0) {
    await db.updateTable('tickets').set(changed).where('instance_id', '=', instanceId).where('seq', '=', seq).execute();
  }
  if (JSON.stringify(before.tags) !== JSON.stringify(after.tags)) {
    await db.deleteFrom('ticket_tags').where('instance_id', '=', instanceId).where('ticket_seq', '=', seq).execute();
    await insertTicketTags(db, instanceId, seq, after);
  }
}

/** The activities row of an activity: the type-specific fields go to `data` as JSON. */
export function activityColumns(instanceId: string, ticketSeq: number, activity: Activity): Omit<ActivitiesTable, 'seq'> {
  const { id, ticketId, type, user, createdOn, comment, isPrivate, ...data } = activity;
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
  };
}

export async function insertActivity(db: Tx, instanceId: string, ticketSeq: number, activity: Activity): Promise<void> {
  await db.insertInto('activities').values(activityColumns(instanceId, ticketSeq, activity)).execute();
}

export async function listActivities(db: Tx, instanceId: string, ticketSeq: number): Promise<Activity[]> {
  const rows = await db
    .selectFrom('activities')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('ticket_seq', '=', ticketSeq)
    .orderBy('seq')
    .execute();
  return rows.map((row) => {
    const base = { id: row.id, ticketId: row.ticket_number, type: row.type, user: JSON.parse(row.user), createdOn: row.created_on };
    const data = row.data ? JSON.parse(row.data) : {};
    return (row.type === 'comment'
      ? { ...base, comment: row.comment, isPrivate: row.is_private === 1 }
      : { ...base, ...data, ...(row.comment !== null || row.type === 'statusChange' ? { comment: row.comment } : {}) }) as Activity;
  });
}

/** The sort column of each orderBy name; every order ends with ticket_number, so it is total. */
const ORDER_COLUMNS: Record<OrderName, keyof TicketsTable> = {
  status: 'status_rank',
  ticketId: 'ticket_number',
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

/** The keyset position of a row in the given order: what a continuation token carries. */
export type KeysetPosition = (string | number)[];

const escapeLike = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * One page of a ticket listing, plus whether more follow, using keyset pagination when `after`
 * is given. All filters are conditions on indexed columns of the instance.
 */
export async function listTickets(
  db: Tx,
  dialect: StoreDialect,
  instanceId: string,
  query: ListQuery,
  after: KeysetPosition | undefined,
): Promise<{ items: StoredTicket[]; positions: KeysetPosition[]; hasMore: boolean }> {
  const { filters, order } = query;
  const column = ORDER_COLUMNS[order.by];
  const columns = column === 'ticket_number' ? ['ticket_number'] : [column, 'ticket_number'];
  const desc = order.direction === 'DESC';
  const where = (eb: ExpressionBuilder<Database & { t: TicketsTable }, 't'>) => {
    const and: Expression<SqlBool>[] = [eb('t.instance_id', '=', instanceId)];
    // Ranks, not names: the (status_rank, priority_rank, last_interaction) index serves them.
    if (filters.status) and.push(eb('t.status_rank', 'in', filters.status.map(statusRank)));
    if (filters.priority) and.push(eb('t.priority_rank', 'in', filters.priority.map(priorityRank)));
    if (filters.title) and.push(sql<SqlBool>`t.title_sort LIKE ${`1%${escapeLike(filters.title.toLowerCase())}%`} ESCAPE '\\'`);
    if (filters.tags) {
      const keys = filters.tags;
      and.push(
        eb('t.seq', 'in', (sub) =>
          sub.selectFrom('ticket_tags').select('ticket_seq').where('instance_id', '=', instanceId).where('tag_key', 'in', keys),
        ),
      );
    }
    for (const [who, idColumn, emailColumn] of [
      [filters.assignee, 't.assignee_id', 't.assignee_email_sort'],
      [filters.requestor, 't.requestor_id', 't.requestor_email_sort'],
    ] as const) {
      if (who !== undefined) and.push(eb.or([eb(idColumn, '=', who), eb(emailColumn, '=', sortKey(who))]));
    }
    const ranges = [
      ['t.created_on', filters.createdAfter, filters.createdBefore],
      ['t.last_updated_on', filters.lastUpdateAfter, filters.lastUpdateBefore],
      ['t.expected_date', filters.expectedDateAfter, filters.expectedDateBefore],
    ] as const;
    for (const [col, from, to] of ranges) {
      if (from) and.push(eb(col, '>=', from));
      if (to) and.push(eb(col, '<', to));
    }
    if (filters.isFrtEscalated !== undefined) and.push(eb('t.is_frt_escalated', '=', filters.isFrtEscalated ? 1 : 0));
    if (filters.isRtEscalated !== undefined) and.push(eb('t.is_rt_escalated', '=', filters.isRtEscalated ? 1 : 0));
    if (filters.search) {
      const { terms, number } = filters.search;
      // Each word may be anywhere on the ticket (title, description or any comment), so one
      // full-text condition per word: "coffee capacitor" finds a title word plus a comment word.
      const text = terms.length > 0 ? eb.and(terms.map((term) => dialect.fullTextMatch(instanceId, [term]) as Expression<SqlBool>)) : sql<SqlBool>`1 = 0`;
      and.push(number !== undefined ? eb.or([text as Expression<SqlBool>, eb('t.ticket_number', '=', number)]) : (text as Expression<SqlBool>));
    }
    if (after) {
      const left = sql.join(columns.map((c) => sql.ref(`t.${c}`)));
      const right = sql.join(after.map((v) => sql`${v}`));
      and.push(desc ? sql<SqlBool>`(${left}) < (${right})` : sql<SqlBool>`(${left}) > (${right})`);
    }
    return eb.and(and);
  };
  let select = db.selectFrom('tickets as t').selectAll('t').where(where);
  for (const c of columns) select = select.orderBy(`t.${c}` as 't.ticket_number', desc ? 'desc' : 'asc');
  select = select.limit(query.limit + 1);
  if (!after && query.offset > 0) select = select.offset(query.offset);
  const rows = (await select.execute()) as unknown as TicketRow[];
  const hasMore = rows.length > query.limit;
  const page = hasMore ? rows.slice(0, query.limit) : rows;
  return {
    items: page.map(toTicket),
    positions: page.map((row) => columns.map((c) => row[c as keyof TicketRow] as string | number)),
    hasMore,
  };
}
