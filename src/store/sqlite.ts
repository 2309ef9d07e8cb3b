import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { ReadQuery } from './db.js';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { startSearcher, type Searcher } from './sqlite-searcher.js';
import type { StoreDialect } from './dialect.js';
import { sqliteFault } from './faults.js';
import type { Database as Schema, Db, Tx } from './schema.js';
import { isPrefixTerm } from '../domain/listing.js';

export interface SqliteOptions {
  synchronous: 'NORMAL' | 'FULL';
  /** The time budget of one full-text search statement, in ms (sqlite-searcher.ts; SEARCH_BUDGET_MS). */
  searchBudgetMs?: number;
}

export function openSqlite(
  file: string,
  options: SqliteOptions,
): { db: Db; dialect: StoreDialect; readRows: (query: ReadQuery) => Promise<unknown[][]>; close(): Promise<void> } {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file);
  // WAL lets readers go on while one writer commits; with synchronous=NORMAL a commit is in the
  // OS once acknowledged (survives kill -9 of the process), FULL also fsyncs every commit.
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${options.synchronous}`);
  database.pragma('busy_timeout = 10000');
  database.pragma('foreign_keys = ON');
  // 32 MiB of page cache here (the writer keeps every index's inner pages at hand) and 16 MiB on
  // the read connection: the server stays within its memory budget (250 MB at a million
  // tickets, with the checkpoint worker); the OS page cache holds the rest of the file.
  database.pragma('cache_size = -32768');
  // Kysely prepares every query anew; keeping the prepared statements by SQL text makes each
  // repeated query (they all are: values are parameters) skip SQLite's parse and plan.
  const statements = new Map<string, Database.Statement>();
  const cached = {
    close: () => database.close(),
    prepare(source: string) {
      let statement = statements.get(source);
      if (!statement) {
        statement = database.prepare(source);
        if (statements.size > 2000) statements.clear();
        statements.set(source, statement);
      }
      return statement;
    },
  };
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: cached as unknown as Database.Database }) });

  // Checkpoints off the event loop (sqlite-checkpointer.ts); back to automatic ones if that fails.
  let checkpointer: Checkpointer | undefined;
  const committer = new GroupCommitter(db);
  committers.set(db, committer);
  if (file !== ':memory:') {
    database.pragma('wal_autocheckpoint = 0');
    checkpointer = startCheckpointer(file, {
      onRestartWanted: () => committer.checkpointBeforeNextGroup(),
      onFailure: (reason) => {
        process.emitWarning(`SQLite checkpoints run in the writer again: ${reason}`);
        if (database.open) database.pragma('wal_autocheckpoint = 1000');
      },
    });
  }

  // Reads that need no transaction go to a read-only connection of their own: in WAL mode it
  // sees the last commit and never waits for the writer, and it cannot see a write transaction
  // that is half done (the writer's connection, between the awaits of a transaction, would).
  // An in-memory database has no second connection, so there reads queue with the writes.
  const inMemory = file === ':memory:';
  let reader: Database.Database | undefined;
  const readStatements = new Map<string, Database.Statement>();
  const rawRows = (query: ReadQuery): unknown[][] => {
    if (!reader) {
      reader = inMemory ? database : new Database(file, { readonly: true, fileMustExist: true });
      if (!inMemory) {
        reader.pragma('busy_timeout = 10000');
        reader.pragma('cache_size = -16384');
      }
    }
    // Statements of their own, in raw mode (Kysely's cached ones answer objects).
    let statement = readStatements.get(query.sql);
    if (!statement) {
      statement = reader.prepare(query.sql).raw(true);
      if (readStatements.size > 2000) readStatements.clear();
      readStatements.set(query.sql, statement);
    }
    return statement.all(query.parameters as unknown[]) as unknown[][];
  };
  // Searches, whose cost depends on how common their words are, run on worker threads with
  // connections of their own and a time budget (sqlite-searcher.ts), started on the first one.
  // An in-memory database cannot be opened by a second connection: there they run here.
  let searcher: Searcher | undefined;
  // In memory, the writer is the only connection: holding it (as transactions do) keeps reads
  // out of a write transaction that is half done.
  const readRows = async (query: ReadQuery): Promise<unknown[][]> => {
    if (inMemory) return db.connection().execute(async () => rawRows(query));
    if (query.fullText) {
      searcher ??= startSearcher(file, { ...(options.searchBudgetMs === undefined ? {} : { budgetMs: options.searchBudgetMs }) });
      return searcher.run(query);
    }
    return rawRows(query);
  };
  return {
    db,
    dialect: sqliteDialect,
    readRows,
    close: async () => {
      await checkpointer?.close();
      await searcher?.close();
      if (!inMemory) reader?.close();
      await db.destroy();
    },
  };
}

/** Transactions queued within one turn of the event loop commit together, up to this many. */
const MAX_GROUP = 64;

/**
 * Group commit. Writes in SQLite are serial anyway (one writer), and most of a small write's
 * cost is its COMMIT: writing every page it dirtied to the WAL (at a million tickets, 0.6 ms of
 * a 1.7 ms create). So the transactions that arrive in the same turn of the event loop run one
 * after the other inside ONE SQLite transaction, each in a SAVEPOINT of its own, and commit
 * together: pages they share (index leaves, the instance row, full-text segments) are written
 * once. Each keeps its own outcome: one that fails is rolled back to its savepoint and rejected
 * alone, and a result is only handed back after the COMMIT that made it durable, so
 * "acknowledged means committed" holds as before (docs/decisions/009-group-commit.md).
 *
 * Kysely's SQLite driver holds its one connection behind a mutex: inside `connection()` no other
 * query of this process interleaves, and BEGIN IMMEDIATE takes the write lock up front so a
 * second process (the CLI) waits on busy_timeout instead of failing mid-transaction.
 */
class GroupCommitter {
  private queue: { fn: (tx: Tx) => Promise<unknown>; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  private scheduled = false;
  private checkpointWanted = false;

  /** The writer runs a PASSIVE checkpoint before its next group (sqlite-checkpointer.ts). */
  checkpointBeforeNextGroup(): void {
    this.checkpointWanted = true;
  }

  constructor(private readonly db: Db) {}

  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the I/O callbacks of this turn: requests that arrived together join one group.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    const group = this.queue.splice(0, MAX_GROUP);
    try {
      await this.db.connection().execute((conn) => this.commitGroup(conn, group));
    } catch (error) {
      // The group failed as a whole (BEGIN, COMMIT or a savepoint statement): nothing of it
      // is durable, so every transaction in it fails (one already settled stays as it was).
      for (const job of group) job.reject(error);
    }
    // One group per turn of the event loop: what queued meanwhile waits for the I/O of this
    // turn (more requests join it, and the checkpoint worker's messages get through) rather
    // than starting at once.
    if (this.queue.length > 0) setImmediate(() => void this.drain());
    else this.scheduled = false;
  }

  private async commitGroup(conn: Tx, group: GroupCommitter['queue']): Promise<void> {
    if (this.checkpointWanted) {
      this.checkpointWanted = false;
      await sql`PRAGMA wal_checkpoint(PASSIVE)`.execute(conn);
    }
    await sql`BEGIN IMMEDIATE`.execute(conn);
    const done: (() => void)[] = [];
    try {
      for (const job of group) {
        await sql`SAVEPOINT one_transaction`.execute(conn);
        let value: unknown;
        try {
          value = await job.fn(conn);
        } catch (error) {
          // Nothing of it will be committed, so it fails at once, with its own error; the others
          // go on. (If SQLite already rolled back the whole transaction — disk full, I/O error —
          // ROLLBACK TO throws and the group fails as a whole.)
          job.reject(error);
          await sql`ROLLBACK TO one_transaction`.execute(conn);
          await sql`RELEASE one_transaction`.execute(conn);
          continue;
        }
        await sql`RELEASE one_transaction`.execute(conn);
        done.push(() => job.resolve(value));
      }
      await sql`COMMIT`.execute(conn);
    } catch (error) {
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw error;
    }
    for (const resolve of done) resolve();
  }
}

/** The FTS5 query of one search word: a prefix, or a whole word when short (isPrefixTerm). */
export function searchTermMatch(term: string): string {
  return isPrefixTerm(term) ? `"${term}"*` : `"${term}"`;
}

/** The ticket seq of a search_parts rowid (migration 007: rowid = seq * 2^24 + part). */
export const PART_BITS = 24;

const committers = new WeakMap<Db, GroupCommitter>();

export const sqliteDialect: StoreDialect = {
  name: 'sqlite',
  supportsMultipleProcesses: false,
  supportsRowLocks: false,
  transaction(db, fn) {
    let committer = committers.get(db);
    if (!committer) {
      committer = new GroupCommitter(db);
      committers.set(db, committer);
    }
    return committer.run(fn);
  },
  placeholder: () => '?',
  fullTextCondition(param, _instanceId, terms) {
    // A part is a ticket's title and description, or one of its comments (migration 007): the
    // words of a search may be in different parts, so each word is looked up on its own.
    return terms
      .map((term) => `t.seq IN (SELECT rowid >> ${PART_BITS} FROM search_parts WHERE search_parts MATCH ${param(searchTermMatch(term))})`)
      .join(' AND ');
  },

  // SQLite takes its write lock per transaction, and one process migrates at a time anyway.
  withExclusiveLock: (db, fn) => fn(db),
  async ping(db) {
    await sql`SELECT 1`.execute(db);
  },
  fault: sqliteFault,
};
