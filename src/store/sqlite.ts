import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { StoreDialect } from './dialect.js';
import type { Database as Schema, Db } from './schema.js';

export interface SqliteOptions {
  synchronous: 'NORMAL' | 'FULL';
}

export function openSqlite(file: string, options: SqliteOptions): { db: Db; dialect: StoreDialect; close(): Promise<void> } {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const database = new Database(file);
  // WAL lets readers go on while one writer commits; with synchronous=NORMAL a commit is in the
  // OS once acknowledged (survives kill -9 of the process), FULL also fsyncs every commit.
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${options.synchronous}`);
  database.pragma('busy_timeout = 10000');
  database.pragma('foreign_keys = ON');
  database.pragma('cache_size = -65536');
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
  return { db, dialect: sqliteDialect, close: () => db.destroy() };
}

export const sqliteDialect: StoreDialect = {
  name: 'sqlite',
  supportsMultipleProcesses: false,
  supportsRowLocks: false,
  async transaction(db, fn) {
    // Kysely's SQLite driver holds one connection behind a mutex: inside `connection()` no other
    // query of this process interleaves, and BEGIN IMMEDIATE takes the write lock up front so a
    // second process (the CLI) waits on busy_timeout instead of failing mid-transaction.
    return db.connection().execute(async (conn) => {
      await sql`BEGIN IMMEDIATE`.execute(conn);
      try {
        const result = await fn(conn);
        await sql`COMMIT`.execute(conn);
        return result;
      } catch (error) {
        await sql`ROLLBACK`.execute(conn).catch(() => undefined);
        throw error;
      }
    });
  },
  serialKey: { column: 'seq INTEGER PRIMARY KEY', constraint: '' },
  binaryText: 'TEXT',
  fullTextDdl: [
    `CREATE VIRTUAL TABLE tickets_fts USING fts5(title, description, content='tickets', content_rowid='seq', tokenize="unicode61 remove_diacritics 0")`,
    `CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN
       INSERT INTO tickets_fts(rowid, title, description) VALUES (new.seq, new.title, new.description);
     END`,
    `CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN
       INSERT INTO tickets_fts(tickets_fts, rowid, title, description) VALUES ('delete', old.seq, old.title, old.description);
     END`,
    `CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, description ON tickets BEGIN
       INSERT INTO tickets_fts(tickets_fts, rowid, title, description) VALUES ('delete', old.seq, old.title, old.description);
       INSERT INTO tickets_fts(rowid, title, description) VALUES (new.seq, new.title, new.description);
     END`,
    `CREATE VIRTUAL TABLE activities_fts USING fts5(comment, content='activities', content_rowid='seq', tokenize="unicode61 remove_diacritics 0")`,
    `CREATE TRIGGER activities_fts_insert AFTER INSERT ON activities WHEN new.comment IS NOT NULL BEGIN
       INSERT INTO activities_fts(rowid, comment) VALUES (new.seq, new.comment);
     END`,
  ],
  fullTextMatch(instanceId, terms) {
    const query = terms.map((term) => `"${term}"*`).join(' ');
    return sql<boolean>`t.seq IN (
      SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ${query}
      UNION
      SELECT a.ticket_seq FROM activities_fts JOIN activities a ON a.seq = activities_fts.rowid
      WHERE activities_fts MATCH ${query} AND a.instance_id = ${instanceId})`;
  },
  // SQLite takes its write lock per transaction, and one process migrates at a time anyway.
  withExclusiveLock: (db, fn) => fn(db),
  async ping(db) {
    await sql`SELECT 1`.execute(db);
  },
};
