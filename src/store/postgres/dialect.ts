import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { ReadQuery, StoreDialect } from '../dialect.js';
import { postgresFault } from '../faults.js';
import { openPool } from './pool.js';
import { listen, someoneListens, type ListenHandlers, type Listener } from './listener.js';
import { LIVE_CHANNEL, runAfterCommit, takeAfterCommit, takeEventsWritten } from '../commit-signal.js';
import type { Database as Schema, Db } from '../schema.js';
import { isPrefixTerm } from '../../domain/listing.js';

// bigint (int8) surrogate keys and counts fit easily in a double; without this pg returns strings.
pg.types.setTypeParser(20, (value) => Number(value));

export function openPostgres(
  connectionString: string,
  poolSize = 10,
): {
  db: Db;
  dialect: StoreDialect;
  readRows: (query: ReadQuery) => Promise<unknown[][]>;
  openCounterPool(max: number): pg.Pool;
  listen(handlers: ListenHandlers): Promise<Listener>;
  notify(payload: string): Promise<void>;
  close(): Promise<void>;
} {
  const pool = openPool(connectionString, poolSize);
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  // Hot reads run as named statements: each connection parses and plans them once. The names
  // are capped: a query shape beyond the first few hundred runs unnamed.
  const statementNames = new Map<string, string>();
  const readRows = async (query: ReadQuery): Promise<unknown[][]> => {
    let name = statementNames.get(query.sql);
    if (name === undefined && statementNames.size < 500) {
      name = `read_${statementNames.size}`;
      statementNames.set(query.sql, name);
    }
    const result = await pool.query({ text: query.sql, values: query.parameters as unknown[], rowMode: 'array', ...(name ? { name } : {}) });
    return result.rows as unknown[][];
  };
  // The counters' pool is apart from the store's so that counting a request never queues behind
  // the queries it is about to let through.
  const openCounterPool = (max: number) => openPool(connectionString, max);
  return {
    db,
    dialect: postgresDialect,
    readRows,
    openCounterPool,
    listen: (handlers) => listen(db, connectionString, LIVE_CHANNEL, handlers),
    notify: async (payload) => {
      await pool.query('SELECT pg_notify($1, $2)', [LIVE_CHANNEL, payload]);
    },
    close: () => db.destroy(),
  };
}

/** An arbitrary constant naming this application's migration lock. */
const MIGRATION_LOCK = 7_364_201_119;

export const postgresDialect: StoreDialect = {
  name: 'postgres',
  // Several processes write concurrently: storage order is not creation order, and the planner
  // already chooses between walking the created_on index and sorting the matches (011).
  keepsStorageInCreationOrder: false,
  // Named statements are limited in number: one per LIMIT value would crowd them out.
  inlinesLimits: false,
  readPlans: {},
  // Transactions take their sequence numbers before they commit, in any order; below the oldest
  // one still running, every event that will ever exist is there already.
  eventHorizon: 'pg_snapshot_xmin(pg_current_snapshot())::text::bigint',
  supportsRowLocks: true,
  async transaction(db, fn) {
    let callbacks: (() => void)[] = [];
    const value = await db.transaction().execute(async (tx) => {
      const value = await fn(tx);
      callbacks = takeAfterCommit(tx);
      // Delivered at COMMIT, to every process that listens (live streams), and dropped on
      // ROLLBACK. One per instance and transaction; the listeners read the events from the table.
      // Only while some process listens: a NOTIFY takes a lock at COMMIT that serialises the
      // commits of every transaction that sent one (listeners.ts).
      const instances = takeEventsWritten(tx);
      if (instances.length > 0 && someoneListens(db)) {
        for (const instanceId of instances) await sql`SELECT pg_notify(${LIVE_CHANNEL}, ${`e:${instanceId}`})`.execute(tx);
      }
      return value;
    });
    runAfterCommit(callbacks);
    return value;
  },
  placeholder: (n) => `$${n}`,
  fullTextCondition(param, instanceId, terms) {
    // Title and description are the ticket's search_vector, each comment has its own
    // comment_vector (migration 007): the words may be in different rows, so each word is
    // looked up on its own, in both GIN indexes.
    const instance = param(instanceId);
    return terms
      .map((term) => {
        const query = `to_tsquery('simple', ${param(isPrefixTerm(term) ? `${term}:*` : term)}::text)`;
        return `t.seq IN (SELECT seq FROM tickets WHERE instance_id = ${instance} AND search_vector @@ ${query}
          UNION ALL SELECT ticket_seq FROM activities WHERE instance_id = ${instance} AND comment_vector @@ ${query})`;
      })
      .join(' AND ');
  },
  localDay: (column, offsetMinutes) => `to_char((${column})::timestamptz AT TIME ZONE 'UTC' + interval '${offsetMinutes} minutes', 'YYYY-MM-DD')`,
  withExclusiveLock(db, fn) {
    return db.connection().execute(async (conn) => {
      await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
      try {
        return await fn(conn);
      } finally {
        await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
      }
    });
  },
  async ping(db) {
    await sql`SELECT 1`.execute(db);
  },
  fault: postgresFault,
};
