import type pg from 'pg';
import type { DomainError } from '../domain/errors.js';
import type { Db, Tx } from './schema.js';

/**
 * Everything that differs between SQLite and PostgreSQL, asked as capabilities rather than
 * `if (sqlite)` checks spread around the repositories.
 */
export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  /** Several server processes may share this store (SQLite: one process writes at a time). */
  readonly supportsMultipleProcesses: boolean;
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
   * A small pool of its own on the same database, for the rate limiter's counters (table
   * rate_limits, migration 010) that every server process shares; the caller ends it. Absent
   * where there is nothing to share (SQLite: one process).
   */
  openCounterPool?(max: number): pg.Pool;
  close(): Promise<void>;
}
