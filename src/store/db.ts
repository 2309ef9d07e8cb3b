import type pg from 'pg';
import type { StoreDialect } from './dialect.js';
import type { Db } from './schema.js';
import { openPostgres } from './postgres.js';
import { openSqlite, type SqliteOptions } from './sqlite.js';
import { migrateToLatest } from './migrate.js';

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

/** `sqlite:` URL or bare path: embedded SQLite; `postgres://` or `postgresql://`: PostgreSQL. */
export function openStore(databaseUrl: string, options: SqliteOptions & { poolSize?: number } = { synchronous: 'NORMAL' }): Store {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    const opened = openPostgres(databaseUrl, options.poolSize);
    const url = new URL(databaseUrl);
    return { ...opened, description: `PostgreSQL ${url.host}${url.pathname}` };
  }
  const file = databaseUrl.replace(/^sqlite:(\/\/)?/i, '') || './data/ticketing.db';
  return { ...openSqlite(file, options), description: `SQLite ${file}` };
}

export async function openMigratedStore(databaseUrl: string, options?: SqliteOptions & { poolSize?: number }): Promise<Store> {
  const store = openStore(databaseUrl, options);
  try {
    await migrateToLatest(store.db, store.dialect);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
