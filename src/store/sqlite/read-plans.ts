import type { JsonPage, ListingSql, PageJson, ReadQuery, SearchCount, SearchWalk } from '../dialect.js';
import type { Position } from '../../domain/cursor.js';
import { isPrefixTerm } from '../../domain/listing.js';

/*
 * SQLite's own plans for the hottest reads (asked for through StoreDialect.readPlans): the
 * search walk in storage order (docs/decisions/011-search-in-store-order.md) and a page of
 * tickets made into JSON by SQLite (docs/decisions/008-read-path.md).
 */

/** The FTS5 query of one search word: a prefix, or a whole word when short (isPrefixTerm). */
export function searchTermMatch(term: string): string {
  return isPrefixTerm(term) ? `"${term}"*` : `"${term}"`;
}

/** The ticket seq of a search_parts rowid (migration 007: rowid = seq * 2^24 + part). */
export const PART_BITS = 24;

/**
 * The full-text parts walked by rowid (seq * 2^24 + part), which is creation order while the
 * instance is not marked out of it: from the newest ticket (or the oldest) on, stopping after the
 * page, a few hundred microseconds instead of gathering every match and walking the created_on
 * index. One word only: its matches are one MATCH over the parts (title and description, or one
 * comment; migration 007) in rowid order.
 */
export const sqliteSearchWalk: SearchWalk = {
  // A ticket with the word in several parts is met once per part on the walk: DISTINCT keeps
  // one (SQLite streams it, remembering the rows it passed, and still stops at the LIMIT).
  distinct: 'DISTINCT ',
  from: `FROM search_parts s JOIN tickets t ON t.seq = s.rowid >> ${PART_BITS}`,
  match: (param, term) => `s.search_parts MATCH ${param(searchTermMatch(term))}`,
  startAt(param, instanceId, ticketNumber, desc, inclusive) {
    // A position (created_on, ticket_number) is the seq of that ticket, and a ticket's parts are
    // the rowids from seq * 2^24 up to the next ticket's.
    const seq = `(SELECT seq FROM tickets WHERE instance_id = ${param(instanceId)} AND ticket_number = ${param(ticketNumber)})`;
    // rowid >> 24 compared with seq, written on rowid itself so that FTS5 seeks to it.
    const past = desc === inclusive; // < seq + 1 (DESC, inclusive) or > seq (ASC, exclusive)
    return `s.rowid ${desc ? '<' : '>='} (${seq}${past ? ' + 1' : ''}) << ${PART_BITS}`;
  },
  orderBy: (direction) => `s.rowid ${direction}`,
};

/** The distinct ticket seqs holding every term: each word's parts (rowid >> 24), intersected. */
function matchingSeqs(param: (value: unknown) => string, terms: readonly string[]): string {
  const seqs = terms.map((term) => `SELECT rowid >> ${PART_BITS} AS seq FROM search_parts WHERE search_parts MATCH ${param(searchTermMatch(term))}`);
  return seqs.length === 1 ? seqs[0]!.replace('SELECT ', 'SELECT DISTINCT ') : seqs.join(' INTERSECT ');
}

/**
 * Counting the matches of a search (docs/decisions/014-exact-item-counts.md). The full-text index
 * alone counts them in a pass over each word's entries (0.1 ms for 450 matches of 100,000
 * tickets, 5 ms for 28,500), but for the whole store: the instance and the other filters need
 * each ticket. Led by the matches (each looked up by its seq; CROSS JOIN keeps them first), that
 * is 0.3–0.6 ms for a few hundred matches and 100 ms and more for 28,500 (random reads of whole
 * rows); led by the instance's index, testing each ticket against the matches (what SQLite
 * chooses by itself for `t.seq IN (…)`), about 5 ms for any word at 100,000 tickets and 20 ms for
 * 28,500 matches. The two meet around 5,000 matches.
 */
export const sqliteSearchCount: SearchCount = {
  matchesSql: (param, instanceId, terms) =>
    `SELECT (SELECT count(*) FROM (${matchingSeqs(param, terms)})),
            EXISTS (SELECT 1 FROM instances WHERE id <> ${param(instanceId)} AND last_ticket_number > 0)`,
  ledByMatchesUpTo: 5_000,
  from: (param, terms) => `FROM (${matchingSeqs(param, terms)}) m CROSS JOIN tickets t ON t.seq = m.seq`,
};

/*
 * The same text, made by SQLite: one printf per row with every string through json_quote, which
 * escapes exactly as JSON.stringify does (", \, \b \f \n \r \t, other controls as \u00xx; all
 * else as it is). A page of tickets then leaves SQLite as ONE blob of UTF-8 (group_concat), not
 * as thirty values per ticket that V8 must turn into strings and JavaScript must join and encode
 * again: at a thousand tickets per page a third of the CPU. test/ticket-json.test.ts holds it to
 * ticketJson byte for byte.
 */
const q = (column: string) => `json_quote(t.${column})`;
const SQLITE_TICKET_FORMAT =
  '{"id":%s,"ticketId":%d,"ticketNo":%d,"trackingId":"T%d-%s","title":%s,"description":%s,"status":%s,"priority":%s,"requestor":{"id":%s,"name":%s,"email":%s},"assignee":%s' +
  ',"customFields":%s,"tags":%s,"expectedDate":%s,"resolution":%s,"lastResolutionComment":%s,"firstResponseOn":%s,"firstResolutionOn":%s' +
  ',"lastResolutionOn":%s,"createdOn":%s,"lastUpdatedOn":%s,"lastInteraction":%s,"isFrtEscalated":%s,"isRtEscalated":%s,"isFrtBreached":%s,"isRtBreached":%s,"origin":%s,"createdBy":%s,"lastUpdatedBy":%s%s%s}';
const SQLITE_TICKET_ARGUMENTS = [
  q('id'),
  't.ticket_number',
  't.ticket_number',
  // trackingIdOf (src/domain/ticket.ts): hex digits and a number need no quoting.
  't.ticket_number',
  'upper(substr(t.id, -8))',
  q('title'),
  q('description'),
  q('status'),
  q('priority'),
  q('requestor_id'),
  q('requestor_name'),
  q('requestor_email'),
  `CASE WHEN t.assignee_id IS NULL THEN 'null' ELSE printf('{"id":%s,"name":%s,"email":%s}', json_quote(t.assignee_id), json_quote(coalesce(t.assignee_name, '')), json_quote(coalesce(t.assignee_email, ''))) END`,
  `coalesce(nullif(t.custom_fields, ''), '{}')`,
  `coalesce(nullif(t.tags, ''), '[]')`,
  // formatUserInstant: whole seconds leave without their ".000".
  `CASE WHEN t.expected_date IS NULL THEN 'null' WHEN substr(t.expected_date, -5) = '.000Z' THEN json_quote(substr(t.expected_date, 1, length(t.expected_date) - 5) || 'Z') ELSE json_quote(t.expected_date) END`,
  q('resolution'),
  q('last_resolution_comment'),
  q('first_response_on'),
  q('first_resolution_on'),
  q('last_resolution_on'),
  q('created_on'),
  q('last_updated_on'),
  q('last_interaction'),
  `CASE WHEN t.is_frt_escalated = 1 THEN 'true' ELSE 'false' END`,
  `CASE WHEN t.is_rt_escalated = 1 THEN 'true' ELSE 'false' END`,
  `CASE WHEN t.is_frt_breached = 1 THEN 'true' ELSE 'false' END`,
  `CASE WHEN t.is_rt_breached = 1 THEN 'true' ELSE 'false' END`,
  q('origin'),
  `coalesce(nullif(t.created_by, ''), 'null')`,
  `coalesce(nullif(t.last_updated_by, ''), 'null')`,
  `CASE WHEN t.frt_due_on IS NULL THEN '' ELSE ',"frtDueOn":' || json_quote(t.frt_due_on) END`,
  `CASE WHEN t.rt_due_on IS NULL THEN '' ELSE ',"rtDueOn":' || json_quote(t.rt_due_on) END`,
];

/** SQLite: an expression over `tickets t` whose value is ticketJson of the row. */
export const SQLITE_TICKET_JSON = `printf('${SQLITE_TICKET_FORMAT}', ${SQLITE_TICKET_ARGUMENTS.join(', ')})`;

/** The columns of the one row a page's statement answers, in the order it selects them. */
const PAGE_COLUMNS = ['items', 'count', 'sortExtreme', 'last'] as const;
const PAGE = Object.fromEntries(PAGE_COLUMNS.map((name, i) => [name, i])) as { readonly [K in (typeof PAGE_COLUMNS)[number]]: number };

/**
 * The page made by SQLite: one query answers one blob holding the page's items. It reads limit +
 * 1 rows like the row path; the last, when there is one, is cut off the blob and becomes the
 * position the next page starts at. Which row is last is not taken from the order group_concat
 * saw the rows in: min()/max() of the row's sort key picks it, and SQLite gives the other columns
 * of that row with it. Answers undefined if the blob does not end with that row's text
 * (group_concat's order is the subquery's, which SQLite documents as arbitrary).
 */
export const sqlitePageJson: PageJson = {
  async readPage(readRows: (query: ReadQuery) => Promise<unknown[][]>, listing: ListingSql, limit: number, fullText: boolean): Promise<JsonPage | undefined> {
    const { distinct, tail, parameters, columns, integerOrder, desc } = listing;
    const [first, second] = columns.map((c) => `t.${c}`);
    // One value per row that sorts as the row does: integers as one integer (ranks < 10), text
    // by its UTF-8 bytes in hex (the index's BINARY order, a prefix before its extensions).
    const sortValue =
      second === undefined ? first : integerOrder ? `${first} * 1000000000000 + ${second}` : `hex(${first}) || ' ' || printf('%020d', ${second})`;
    const keys = columns.map((_, i) => `k${i}`).join(', ');
    const text =
      `SELECT CAST(group_concat(j, ',') AS BLOB), count(*), ${desc ? 'min' : 'max'}(o), CAST(j AS BLOB), ${keys} ` +
      `FROM (SELECT ${distinct}${SQLITE_TICKET_JSON} AS j, ${sortValue} AS o, ${columns.map((c, i) => `t.${c} AS k${i}`).join(', ')} ${tail})`;
    const [row] = (await readRows({ sql: text, parameters, fullText })) as [unknown[]];
    const blob = row[PAGE.items] as Buffer | null;
    const count = row[PAGE.count] as number;
    if (count <= limit) return { items: blob ?? Buffer.alloc(0), itemCount: count };
    const last = row[PAGE.last] as Buffer;
    const cut = blob!.length - last.length - 1;
    if (cut < 0 || blob![cut] !== COMMA || !blob!.subarray(cut + 1).equals(last)) return undefined;
    // The order keys k0, k1 follow the named columns.
    return { items: blob!.subarray(0, cut), itemCount: limit, next: row.slice(PAGE_COLUMNS.length) as Position };
  },
};

const COMMA = ','.charCodeAt(0);
