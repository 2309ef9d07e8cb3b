import type { Store } from './dialect.js';
import { FLAG_FILTERS, type CountGroup, type ListFilters } from '../domain/listing.js';
import { PRIORITIES, priorityRank, STATUSES, statusRank } from '../domain/ticket.js';
import { escalatedCondition, FLAG_COLUMNS, filterConditions, sortKey } from './tickets.repo.js';

/*
 * How many tickets match a listing's filters, over all its pages, exactly
 * (docs/decisions/014-exact-item-counts.md):
 *
 * - filters on status, priority, origin and the SLA flags add up rows of ticket_counts, and the
 *   same with an assignee (but origin) rows of ticket_assignee_counts: a few dozen rows, whatever
 *   the number of tickets. Triggers keep both exact in every write's transaction (migration 010).
 * - any other filter (search, title, tags, requestor, dates, ticket numbers) is counted on the
 *   tickets with the indexes the filter has: its cost grows with the matches, so on SQLite it runs
 *   where searches run, off the event loop and within their time budget (ReadQuery.costly).
 *
 * Where the store can tell when it changed (Store.changeStamp: SQLite), a count is kept until it
 * does, so the pages of one listing, or the same search asked again, count once between writes.
 */

export interface TicketCounts {
  itemCount: number;
  /** With a groupBy: the count of each value that has tickets (a day `YYYY-MM-DD`, or null: no date). */
  groups?: { key: string | null; itemCount: number }[];
}

type CountTable = 'ticket_counts' | 'ticket_assignee_counts';

/** The filters each count table can answer. */
const DIMENSIONS: Record<CountTable, ReadonlySet<keyof ListFilters>> = {
  ticket_counts: new Set<keyof ListFilters>(['status', 'priority', 'origin', ...FLAG_FILTERS, 'isEscalated']),
  ticket_assignee_counts: new Set<keyof ListFilters>(['assignee', 'unassigned', 'status', 'priority', ...FLAG_FILTERS, 'isEscalated']),
};
/** The groups each count table can answer, by its column. */
const GROUP_COLUMNS: Record<CountTable, Partial<Record<CountGroup, string>>> = {
  ticket_counts: { status: 'status_rank', priority: 'priority_rank', origin: 'origin' },
  ticket_assignee_counts: { status: 'status_rank', priority: 'priority_rank' },
};

/** The count table that answers these filters (and grouping), if one does. */
function countTableFor(filters: ListFilters, groupBy: CountGroup | undefined): CountTable | undefined {
  const given = (Object.keys(filters) as (keyof ListFilters)[]).filter((name) => filters[name] !== undefined);
  const table: CountTable = given.includes('assignee') || given.includes('unassigned') ? 'ticket_assignee_counts' : 'ticket_counts';
  if (!given.every((name) => DIMENSIONS[table].has(name))) return undefined;
  return groupBy === undefined || GROUP_COLUMNS[table][groupBy] ? table : undefined;
}

/** Whether the count tables answer these filters: a count that costs a few rows, whatever it counts. */
export const countsFromTables = (filters: ListFilters): boolean => countTableFor(filters, undefined) !== undefined;

/** The number of the instance's tickets that match `filters`. */
export async function countTickets(store: Store, instanceId: string, filters: ListFilters): Promise<number> {
  return (await countTicketGroups(store, instanceId, filters, undefined, 0)).itemCount;
}

/**
 * The number of the instance's tickets that match `filters`, and with `groupBy` their number per
 * value of that field (days in the caller's `timezone`, hours from UTC).
 */
export async function countTicketGroups(
  store: Store,
  instanceId: string,
  filters: ListFilters,
  groupBy: CountGroup | undefined,
  timezone: number,
): Promise<TicketCounts> {
  const table = countTableFor(filters, groupBy);
  const key = JSON.stringify([instanceId, filters, groupBy ?? null, groupBy === 'createdOn' || groupBy === 'lastResolutionOn' ? timezone : 0]);
  return cached(store, key, () =>
    table ? fromCountTables(store, table, instanceId, filters, groupBy) : fromTickets(store, instanceId, filters, groupBy, timezone),
  );
}

/**
 * The sum of the count rows matching the filters (and per group). `unassigned` comes from the
 * count tables too: ticket_assignee_counts holds the assigned tickets only, so they are its rows
 * (false), and the unassigned ones are all tickets less those (true): the rows of both tables,
 * the second's negated, in one statement (one snapshot, so a ticket assigned meanwhile is on one
 * side of it only). A few rows either way, where counting NULL assignees on the tickets would
 * read every unassigned ticket. With an assignee too, unassigned=true matches nothing.
 */
async function fromCountTables(
  store: Store,
  table: CountTable,
  instanceId: string,
  filters: ListFilters,
  groupBy: CountGroup | undefined,
): Promise<TicketCounts> {
  const { unassigned, ...others } = filters;
  const parameters: unknown[] = [];
  const p = (value: unknown) => store.dialect.placeholder(parameters.push(value));
  const column = groupBy ? GROUP_COLUMNS[table][groupBy] : undefined;
  let rows: unknown[][];
  if (unassigned === true && others.assignee !== undefined) rows = [];
  else {
    const from =
      unassigned === true
        ? `(${countRows(p, 'ticket_counts', instanceId, others, column, 1)} UNION ALL ${countRows(p, 'ticket_assignee_counts', instanceId, others, column, -1)}) s`
        : `(${countRows(p, table, instanceId, others, column, 1)}) s`;
    const sql = column ? `SELECT s.g, sum(s.n) FROM ${from} GROUP BY s.g` : `SELECT coalesce(sum(s.n), 0) FROM ${from}`;
    rows = (await store.readRows({ sql, parameters })) as unknown[][];
  }
  if (!column) return { itemCount: Number(rows[0]?.[0] ?? 0) };
  return grouped(
    groupBy!,
    rows.map(([key, n]) => [key, Number(n)]),
  );
}

/** The rows of a count table that match the filters, as `SELECT g, n` (g: the group's column, or 0), n times `sign`. */
function countRows(
  p: (value: unknown) => string,
  table: CountTable,
  instanceId: string,
  filters: ListFilters,
  column: string | undefined,
  sign: 1 | -1,
): string {
  const list = (values: readonly unknown[]) => (values.length === 0 ? null : values.map(p).join(', '));
  let from = `${table} c`;
  const and: string[] = [];
  if (filters.assignee !== undefined) {
    // The rows of the assignee's id, then those of the e-mail with another id: each ticket is in
    // one row, so a ticket matching both is counted once. Two lookups (the primary key and the
    // e-mail index), where `id = ? OR email = ?` would read every row of the instance.
    const [instance, id] = [p(instanceId), p(filters.assignee)];
    from = `(SELECT * FROM ${table} WHERE instance_id = ${instance} AND assignee_id = ${id}
              UNION ALL SELECT * FROM ${table} WHERE instance_id = ${p(instanceId)} AND assignee_email_sort = ${p(sortKey(filters.assignee))} AND assignee_id <> ${p(filters.assignee)}) c`;
  } else and.push(`c.instance_id = ${p(instanceId)}`);
  const within = (name: string, values: readonly unknown[] | undefined) => {
    if (!values) return;
    const text = list(values);
    and.push(text === null ? '1 = 0' : `c.${name} IN (${text})`);
  };
  within('status_rank', filters.status?.map(statusRank));
  within('priority_rank', filters.priority?.map(priorityRank));
  within('origin', filters.origin);
  for (const [name, flag] of FLAG_COLUMNS) {
    const value = filters[name];
    if (value !== undefined) and.push(`c.${flag} = ${p(value ? 1 : 0)}`);
  }
  if (filters.isEscalated !== undefined) and.push(escalatedCondition('c', filters.isEscalated));
  const where = and.length > 0 ? `WHERE ${and.join(' AND ')}` : '';
  return `SELECT ${column ? `c.${column}` : '0'} AS g, ${sign === 1 ? 'c.n' : '-c.n'} AS n FROM ${from} ${where}`;
}

/**
 * Counts on the tickets themselves, with the filters' indexes. A search where the store has its
 * own way of counting (readPlans.searchCount, SQLite) first counts its matches in the full-text
 * index alone; that is the answer when the search is the only filter and no other instance has
 * tickets. Otherwise the tickets are read led by the matches when they are few, or by the
 * instance's index, testing each against the matches, when they are many.
 */
async function fromTickets(store: Store, instanceId: string, filters: ListFilters, groupBy: CountGroup | undefined, timezone: number): Promise<TicketCounts> {
  const { dialect } = store;
  const plan = dialect.readPlans.searchCount;
  const search = filters.search;
  let ledByMatches = false;
  if (plan && search && search.terms.length > 0 && search.number === undefined) {
    const parameters: unknown[] = [];
    const [[matches, othersHaveTickets]] = (await store.readRows({
      sql: plan.matchesSql((value) => dialect.placeholder(parameters.push(value)), instanceId, search.terms),
      parameters,
      costly: true,
    })) as [[number, number]];
    const onlySearch = (Object.keys(filters) as (keyof ListFilters)[]).every((name) => name === 'search' || filters[name] === undefined);
    if (onlySearch && !groupBy && !othersHaveTickets) return { itemCount: Number(matches) };
    ledByMatches = Number(matches) <= plan.ledByMatchesUpTo;
  }
  const parameters: unknown[] = [];
  const p = (value: unknown) => dialect.placeholder(parameters.push(value));
  // The FROM comes first in the text, so its parameters are added first (SQLite's are positional).
  const from = ledByMatches ? plan!.from(p, search!.terms) : 'FROM tickets t';
  const and = filterConditions(instanceId, filters, p, true);
  if (search && !ledByMatches) {
    const text = search.terms.length > 0 ? dialect.fullTextCondition(p, instanceId, search.terms) : '1 = 0';
    and.push(search.number !== undefined ? `(${text} OR t.ticket_number = ${p(search.number)})` : text);
  }
  const where = and.join(' AND ');
  const offsetMinutes = Math.round(timezone * 60);
  const groupExpression: Record<CountGroup, string> = {
    status: 't.status_rank',
    priority: 't.priority_rank',
    origin: 't.origin',
    createdOn: dialect.localDay('t.created_on', offsetMinutes),
    lastResolutionOn: dialect.localDay('t.last_resolution_on', offsetMinutes),
  };
  const sql = groupBy ? `SELECT ${groupExpression[groupBy]}, count(*) ${from} WHERE ${where} GROUP BY 1` : `SELECT count(*) ${from} WHERE ${where}`;
  const rows = await store.readRows({ sql, parameters, costly: true });
  if (!groupBy) return { itemCount: Number(rows[0]?.[0] ?? 0) };
  return grouped(
    groupBy,
    rows.map(([key, n]) => [key, Number(n)]),
  );
}

/** Groups by their wire value, in a stable order: statuses and priorities as listed, others by value (no value last). */
function grouped(groupBy: CountGroup, rows: [unknown, number][]): TicketCounts {
  const byKey = new Map<string | null, number>();
  for (const [raw, n] of rows) {
    const key = groupBy === 'status' ? STATUSES[Number(raw) - 1]! : groupBy === 'priority' ? PRIORITIES[Number(raw) - 1]! : raw === null ? null : String(raw);
    byKey.set(key, (byKey.get(key) ?? 0) + n);
  }
  const rank = (key: string | null) => (groupBy === 'status' ? STATUSES.indexOf(key as never) : groupBy === 'priority' ? PRIORITIES.indexOf(key as never) : 0);
  const byValue = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);
  const groups = [...byKey]
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => rank(a) - rank(b) || byValue(a, b))
    .map(([key, itemCount]) => ({ key, itemCount }));
  return { itemCount: groups.reduce((sum, g) => sum + g.itemCount, 0), groups };
}

/*
 * Counts, per store, kept while the store's change stamp stays the same. The stamp is read before
 * the count runs, so a count kept under a stamp saw at least what that stamp stands for; any write
 * after it changes the stamp and the count is made again.
 */
const kept = new WeakMap<Store, Map<string, { stamp: unknown; counts: Promise<TicketCounts> }>>();
const KEPT_MAX = 2_000;

async function cached(store: Store, key: string, count: () => Promise<TicketCounts>): Promise<TicketCounts> {
  if (!store.changeStamp) return count();
  const stamp = store.changeStamp();
  let entries = kept.get(store);
  if (!entries) kept.set(store, (entries = new Map()));
  const hit = entries.get(key);
  if (hit && hit.stamp === stamp) return hit.counts;
  // The count in progress is kept, not only its result: the requests that arrive while it runs
  // (32 at once in the benchmark, after each write) wait for it rather than each counting again.
  const counts = count();
  if (entries.size >= KEPT_MAX) entries.clear();
  const entry = { stamp, counts };
  entries.set(key, entry);
  // A failed count (past its budget, the store away) is not kept: the next request tries again.
  counts.catch(() => {
    if (entries.get(key) === entry) entries.delete(key);
  });
  return counts;
}

/** The key columns of each count table (migration 010), after instance_id and before stripe. */
const COUNT_KEYS: Record<CountTable, readonly string[]> = {
  ticket_counts: ['status_rank', 'priority_rank', 'origin', ...FLAG_COLUMNS.map(([, column]) => column)],
  ticket_assignee_counts: ['assignee_id', 'assignee_email_sort', 'status_rank', 'priority_rank', ...FLAG_COLUMNS.map(([, column]) => column)],
};

/**
 * Statements adding to the count tables the tickets a bulk load wrote without their triggers: the
 * instance's (first parameter) tickets whose seq is above the second. They go to stripe 0; readers
 * add the stripes up, so a count is the same whatever stripe holds it.
 */
export function countLoadedTicketsSql(placeholder: (n: number) => string): string[] {
  return (Object.keys(COUNT_KEYS) as CountTable[]).map((table) => {
    const keys = ['instance_id', ...COUNT_KEYS[table]];
    const assigned = table === 'ticket_assignee_counts' ? ' AND assignee_id IS NOT NULL' : '';
    return `INSERT INTO ${table} (${keys.join(', ')}, stripe, n)
              SELECT ${keys.join(', ')}, 0, count(*) FROM tickets WHERE instance_id = ${placeholder(1)} AND seq > ${placeholder(2)}${assigned}
               GROUP BY ${keys.join(', ')}
            ON CONFLICT (${keys.join(', ')}, stripe) DO UPDATE SET n = ${table}.n + excluded.n`;
  });
}
