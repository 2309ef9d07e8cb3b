import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { GroupCommitter } from './group-commit.js';
import { eventsCommitted, runAfterCommit, takeAfterCommit, takeEventsWritten } from '../commit-signal.js';
import { PART_BITS, searchTermMatch, sqlitePageJson, sqliteSearchCount, sqliteSearchWalk } from './read-plans.js';
import { startSearcher, type Searcher } from './sqlite-searcher.js';
import type { ReadQuery, StoreDialect } from '../dialect.js';
import { sqliteFault } from '../faults.js';
import type { Database as Schema, Db } from '../schema.js';

export interface SqliteOptions {
  synchronous: 'NORMAL' | 'FULL';
  /** The time budget of one full-text search statement, in ms (sqlite-searcher.ts; SEARCH_BUDGET_MS). */
  searchBudgetMs?: number;
}

export function openSqlite(
  file: string,
  options: SqliteOptions,
): { db: Db; dialect: StoreDialect; readRows: (query: ReadQuery) => Promise<unknown[][]>; changeStamp: () => number; close(): Promise<void> } {
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
  // Counts one more after every statement of this connection that may have changed the data, and
  // after every end of a transaction that had such a statement (SQLite calls COMMIT read-only: it
  // only times the writes): a read that starts after a write was acknowledged sees a greater
  // number (Store.changeStamp). This process is the store's only writer of tickets (the CLI
  // writes instances and keys; the bulk loader runs without a server).
  // A transaction that wrote nothing (the scheduler's poll, every second, when no job is due)
  // changes nothing a reader can see: its end leaves the number alone, or every kept count would
  // be made again each second, by as many requests as arrive before the first one is done.
  let generation = 0;
  let wroteSinceEnd = false;
  const counted = (statement: Database.Statement, endsTransaction: boolean): Database.Statement =>
    new Proxy(statement, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        if (property !== 'run' && property !== 'all' && property !== 'get' && property !== 'iterate') return value.bind(target);
        // Named: in a CPU profile, SQLite's time shows under this frame (bench/profile-windows.mjs --skip).
        return function countedStatement(...parameters: unknown[]) {
          try {
            return (value as (...p: unknown[]) => unknown).apply(target, parameters);
          } finally {
            if (!endsTransaction) {
              wroteSinceEnd = true;
              generation++;
            } else if (wroteSinceEnd) {
              generation++;
              // A RELEASE within BEGIN … COMMIT is not the end yet: the COMMIT must raise it again.
              if (!database.inTransaction) wroteSinceEnd = false;
            }
          }
        };
      },
    });
  const cached = {
    close: () => database.close(),
    prepare(source: string) {
      let statement = statements.get(source);
      if (!statement) {
        statement = database.prepare(source);
        // BEGIN IMMEDIATE is not read-only to SQLite (it takes the write lock) but changes nothing.
        const startsTransaction = /^\s*(BEGIN|SAVEPOINT)\b/i.test(source);
        const endsTransaction = /^\s*(COMMIT|END|RELEASE|ROLLBACK)\b/i.test(source);
        if ((!statement.readonly && !startsTransaction) || endsTransaction) statement = counted(statement, endsTransaction);
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
      onRestartWanted: (done) => committer.checkpointBeforeNextGroup(done),
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
    if (query.fullText || query.costly) {
      searcher ??= startSearcher(file, { ...(options.searchBudgetMs === undefined ? {} : { budgetMs: options.searchBudgetMs }) });
      return searcher.run(query);
    }
    return rawRows(query);
  };
  return {
    db,
    dialect: sqliteDialect,
    readRows,
    changeStamp: () => generation,
    close: async () => {
      await checkpointer?.close();
      await searcher?.close();
      if (!inMemory) reader?.close();
      await db.destroy();
    },
  };
}

const committers = new WeakMap<Db, GroupCommitter>();

export const sqliteDialect: StoreDialect = {
  name: 'sqlite',
  // One writer process, whose writes are serial: tickets can be stored in creation order, and
  // the search walk relies on it.
  keepsStorageInCreationOrder: true,
  // With a bound LIMIT, each run of the same prepared statement cost what preparing it costs
  // (SQLite 3.53, which lets a LIMIT's value steer the plan and so, it seems, re-prepares a
  // statement whose LIMIT is re-bound): +22 µs for a page of 30 columns, +35 µs for the JSON
  // page, whatever the value. A bound OFFSET costs nothing, so it stays a parameter.
  inlinesLimits: true,
  readPlans: { searchWalk: sqliteSearchWalk, pageJson: sqlitePageJson, searchCount: sqliteSearchCount },
  // Writes are serial: an event committed before any later one (tx_id is always 0).
  eventHorizon: '1',
  supportsRowLocks: false,
  transaction(db, fn) {
    let committer = committers.get(db);
    if (!committer) {
      committer = new GroupCommitter(db);
      committers.set(db, committer);
    }
    let committed: string[] = [];
    let callbacks: (() => void)[] = [];
    return committer
      .run(async (tx) => {
        try {
          return await fn(tx);
        } finally {
          // Taken whatever the outcome: the connection is the next transaction's too.
          committed = takeEventsWritten(tx);
          callbacks = takeAfterCommit(tx);
        }
      })
      .then((value) => {
        // Resolved after COMMIT: live streams of this process may read the events now.
        eventsCommitted(db, committed);
        runAfterCommit(callbacks);
        return value;
      });
  },
  placeholder: () => '?',
  fullTextCondition(param, _instanceId, terms) {
    // A part is a ticket's title and description, or one of its comments (migration 007): the
    // words of a search may be in different parts, so each word is looked up on its own.
    return terms
      .map((term) => `t.seq IN (SELECT rowid >> ${PART_BITS} FROM search_parts WHERE search_parts MATCH ${param(searchTermMatch(term))})`)
      .join(' AND ');
  },
  // date() reads the stored `…Z` instants and shifts them by the modifier.
  localDay: (column, offsetMinutes) => `date(${column}, '${offsetMinutes >= 0 ? '+' : '-'}${Math.abs(offsetMinutes)} minutes')`,

  // SQLite takes its write lock per transaction, and one process migrates at a time anyway.
  withExclusiveLock: (db, fn) => fn(db),
  async ping(db) {
    await sql`SELECT 1`.execute(db);
  },
  fault: sqliteFault,
};
