import type pg from 'pg';
import type { Position } from '../domain/cursor.js';
import type { DomainError } from '../domain/errors.js';
import type { Db, Tx } from './schema.js';
import type { ListenHandlers, Listener } from './postgres/listener.js';

/**
 * Everything that differs between SQLite and PostgreSQL, asked as capabilities rather than
 * `if (sqlite)` checks spread around the repositories.
 */
export interface StoreDialect {
  /**
   * For messages, measurements and the frozen migrations (which may not ask the live code, so
   * choose their SQL by name); other behaviour asks the capabilities below, never the name.
   */
  readonly name: 'sqlite' | 'postgres';
  /**
   * The store relies on each instance's tickets being stored in the order they were created (its
   * search walk, readPlans.searchWalk): writes are serial, so the service can keep it so by giving
   * a new ticket a createdOn no earlier than the instance's newest (docs/decisions/011).
   */
  readonly keepsStorageInCreationOrder: boolean;
  /** A listing's LIMIT is written into the statement text rather than bound as a parameter. */
  readonly inlinesLimits: boolean;
  /** Plans for the hottest reads that only this dialect has; absent ones take the general plan. */
  readonly readPlans: ReadPlans;
  /**
   * An SQL expression: every transaction whose id (events.tx_id) is below it has ended, so no
   * event can still commit before it in the feed's (tx_id, seq) order. PostgreSQL: the oldest
   * transaction still running; SQLite: 1 (writes are serial and commit in seq order, tx_id is
   * always 0). See migration 013 and docs/decisions/017-webhooks.md.
   */
  readonly eventHorizon: string;
  /** Whether `SELECT … FOR UPDATE` exists; SQLite's writer lock already serialises writes. */
  readonly supportsRowLocks: boolean;
  /** Runs fn in one write transaction (SQLite: BEGIN IMMEDIATE, so writers queue up front). */
  transaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** The n-th (1-based) parameter placeholder in SQL text: `?` or `$n`. */
  placeholder(n: number): string;
  /**
   * A boolean SQL condition, as text, on tickets aliased `t`: every term (a word prefix) is in
   * the ticket's title, its description or one of its comments. Terms are letters and digits
   * only. `param` adds a parameter and answers its placeholder.
   */
  fullTextCondition(param: (value: unknown) => string, instanceId: string, terms: readonly string[]): string;
  /**
   * An SQL expression over `column` (an ISO 8601 UTC instant as text, or NULL) giving its local
   * calendar day, `YYYY-MM-DD`, at `offsetMinutes` from UTC (an integer the caller checked).
   */
  localDay(column: string, offsetMinutes: number): string;
  /**
   * Runs fn while holding a store-wide lock, on one connection: processes starting together
   * migrate one after the other (Kysely's own lock comes after it creates its tables, which
   * itself races on PostgreSQL).
   */
  withExclusiveLock<T>(db: Db, fn: (db: Db) => Promise<T>): Promise<T>;
  /** Whether the store answers at all (for /readyz). */
  ping(db: Db): Promise<void>;
  /**
   * The domain error for a failure of the store itself, from this dialect's driver errors
   * (however wrapped): `unavailable` when the database is away, `insufficient_storage` when its
   * disk is full; undefined for anything else (a bad query stays an internal error).
   */
  fault(error: unknown): DomainError | undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e?.code === '23505' || (typeof e?.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT'));
}

/** SQL in the store's placeholder style ($1 or ?) with its parameters: what Kysely's compile() gives. */
export interface ReadQuery {
  readonly sql: string;
  readonly parameters: readonly unknown[];
  /**
   * It has a full-text search condition: its cost depends on how common the words are, not on
   * the rows it answers. SQLite runs it off the event loop, within a time budget
   * (sqlite-searcher.ts); past the budget it fails with StatementBudgetExceeded.
   */
  readonly fullText?: boolean;
  /**
   * Its cost grows with the rows it matches, not the rows it answers (a count of every matching
   * ticket): runs where fullText queries run, within the same budget.
   */
  readonly costly?: boolean;
}

export interface Store {
  readonly db: Db;
  readonly dialect: StoreDialect;
  /** Where the data lives, without credentials, for start-up messages. */
  readonly description: string;
  /**
   * Runs a read-only query outside any transaction (SQLite: on a read-only connection of its
   * own), answering rows as arrays in the order the query selects its columns.
   */
  readRows(query: ReadQuery): Promise<unknown[][]>;
  /**
   * A number that grows whenever this process may have changed the store's data, a commit
   * included: a read that starts after a write was acknowledged sees a greater one. What a kept
   * count is checked against (ticket-counts.ts). Absent where other processes write too
   * (PostgreSQL).
   */
  changeStamp?(): number;
  /**
   * A small pool of its own on the same database, for the rate limiter's counters (table
   * rate_limits, migration 010) that every server process shares; the caller ends it. Absent
   * where there is nothing to share (SQLite: one process).
   */
  openCounterPool?(max: number): pg.Pool;
  /**
   * Several processes share the store (PostgreSQL): a LISTEN connection that hears what every
   * process announces (committed events: `e:<instanceId>`, presence: `p:<json>`;
   * commit-signal.ts). Absent where one process has the store (SQLite): commit-signal's
   * in-process listeners hear everything.
   */
  listen?(handlers: ListenHandlers): Promise<Listener>;
  /** Announces `payload` to every listening process (presence). Present with listen. */
  notify?(payload: string): Promise<void>;
  close(): Promise<void>;
}

/** The parts of one page of a listing (tickets aliased `t`), as tickets.repo writes them. */
export interface ListingSql {
  /** `DISTINCT ` when the rows come from a search walk (a ticket may match in several parts), else ''. */
  readonly distinct: string;
  /** FROM … WHERE … ORDER BY … LIMIT limit + 1 [OFFSET …]. */
  readonly tail: string;
  readonly parameters: readonly unknown[];
  /** The order's columns of tickets, the last one ticket_number. */
  readonly columns: readonly string[];
  /** Whether the first order column holds integers (else text). */
  readonly integerOrder: boolean;
  readonly desc: boolean;
}

/** A page as its answer's items: ticketJson texts joined by commas, as UTF-8. */
export interface JsonPage {
  items: Buffer;
  itemCount: number;
  /** Where the next page starts (inclusive), when there is one. */
  next?: Position;
}

export interface ReadPlans {
  /**
   * A search for one word listed by creation date, answered by walking the full-text index in
   * storage order (docs/decisions/011-search-in-store-order.md); only right while the instance's
   * tickets are stored in creation order (keepsStorageInCreationOrder, and no out-of-order mark).
   */
  readonly searchWalk?: SearchWalk;
  /** A page of tickets made into its JSON by the store itself (docs/decisions/008-read-path.md). */
  readonly pageJson?: PageJson;
  /** Counting the matches of a search, led by the full-text index (docs/decisions/014-exact-item-counts.md). */
  readonly searchCount?: SearchCount;
}

export interface SearchCount {
  /**
   * SQL answering one row: how many tickets of the whole store hold every term (from the
   * full-text index alone), and whether an instance other than `instanceId` has tickets (1 or 0).
   */
  matchesSql(param: (value: unknown) => string, instanceId: string, terms: readonly string[]): string;
  /** Up to how many matches counting is led by them (`from`); beyond, by the instance's tickets. */
  readonly ledByMatchesUpTo: number;
  /**
   * FROM: the tickets `t` holding every term, each once, found through the full-text index and
   * then looked up one by one; the caller's conditions (its instance first) follow in WHERE.
   */
  from(param: (value: unknown) => string, terms: readonly string[]): string;
}

export interface SearchWalk {
  /** `DISTINCT ` when a ticket may be met more than once on the walk. */
  readonly distinct: string;
  /** FROM: the matches joined to their tickets `t`. */
  readonly from: string;
  /** The condition that the match is of this word (a search term). */
  match(param: (value: unknown) => string, term: string): string;
  /** The condition that the walk starts at (or after) the instance's ticket with this number. */
  startAt(param: (value: unknown) => string, instanceId: string, ticketNumber: unknown, desc: boolean, inclusive: boolean): string;
  /** ORDER BY: storage order. */
  orderBy(direction: 'ASC' | 'DESC'): string;
}

export interface PageJson {
  /**
   * The page of this listing (limit + 1 rows read, the last one only telling that more follow),
   * or undefined when the store could not make it: the caller then reads the rows.
   */
  readPage(readRows: (query: ReadQuery) => Promise<unknown[][]>, listing: ListingSql, limit: number, fullText: boolean): Promise<JsonPage | undefined>;
}
