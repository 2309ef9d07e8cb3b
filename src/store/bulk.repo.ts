import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Activity } from '../domain/activity.js';
import { tagKey } from '../domain/tags.js';
import type { StoredTicket } from '../domain/ticket.js';
import { PART_BITS } from './sqlite/read-plans.js';
import { activityColumns, OUT_OF_CREATION_ORDER, toColumns } from './tickets.repo.js';

/*
 * Bulk loading of tickets with their activities: what the benchmark suite (or an importer) uses
 * to write a million tickets in minutes rather than hours. Rows have exactly the shape
 * tickets.repo.ts writes (tickets through its toColumns, ticket_tags, activities as
 * insertActivity writes them); the full-text indexes stay complete (SQLite: the loader writes
 * the search parts itself, as the triggers of migration 007 would, with those triggers dropped
 * for the load and re-created; PostgreSQL: search_vector and comment_vector are generated
 * columns).
 *
 * Made for loading into a store no server is writing to. The whole load is ONE transaction:
 * the secondary indexes of tickets, ticket_tags and activities are dropped at its start and
 * re-created from their own stored definitions at its end (one sort per index instead of
 * maintaining ~20 B-trees row by row), so until finish() commits nothing is visible, and an
 * abort or a crash leaves the store as it was.
 *
 * The instance must have no SLA policy, automatic assignment or alerts that would give the
 * tickets pending jobs: the loader writes no `jobs` rows (the service's engine would).
 */

export interface BulkTicket {
  /** ticketId is ignored: the loader numbers tickets after the instance's last_ticket_number. */
  ticket: StoredTicket;
  /** Oldest first; their ticketId is set to the ticket's number. */
  activities: Activity[];
}

export interface BulkLoadResult {
  tickets: number;
  activities: number;
  tags: number;
  firstTicketNumber: number;
  lastTicketNumber: number;
  /** Milliseconds spent in the main phases (insert, indexes, commit, …). */
  timings: Record<string, number>;
}

export interface BulkLoader {
  /** Writes a batch. Its objects are modified (numbers are assigned) and must not be reused. */
  write(batch: readonly BulkTicket[]): Promise<void>;
  /** Re-creates the dropped indexes, sets the instance's last_ticket_number and commits. */
  finish(): Promise<BulkLoadResult>;
  /** Rolls everything back. */
  abort(): Promise<void>;
}

const BULK_TABLES = ['tickets', 'ticket_tags', 'activities'];

/** Opens a loader on `sqlite:PATH` (or a bare path) or `postgres://…`, read as openStore reads DATABASE_URL. */
export async function openBulkLoader(databaseUrl: string, instanceId: string): Promise<BulkLoader> {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) return openPostgresLoader(databaseUrl, instanceId);
  return openSqliteLoader(databaseUrl.replace(/^sqlite:(\/\/)?/i, ''), instanceId);
}

/** Accumulates wall-clock milliseconds per phase. */
function stopwatch() {
  const timings: Record<string, number> = {};
  return {
    timings,
    add(name: string, since: number) {
      timings[name] = Math.round((timings[name] ?? 0) + performance.now() - since);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// SQLite: a connection of our own, prepared multi-row INSERTs, explicit seq values.

/**
 * Indexes in the order the loader writes rows (ticket numbers and seqs ascending): appending to
 * them as rows arrive costs less than sorting them afterwards, so they stay. Any other order
 * would still be correct, only slower.
 */
const SQLITE_KEPT_DURING_LOAD = new Set(['tickets_by_number', 'activities_by_ticket']);

/** Rows per INSERT statement: fewer calls into SQLite (which allows 32766 parameters). */
const SQLITE_ROWS_PER_STATEMENT = 50;

function openSqliteLoader(file: string, instanceId: string): BulkLoader {
  const db = new Database(file);
  const clock = stopwatch();
  db.pragma('busy_timeout = 10000');
  // Rollback journal for the load: pages appended to the file need no journal, so the data is
  // written once (WAL would write it twice: log, then checkpoint). Back to WAL at the end. If
  // another connection is open the switch fails silently and the load runs in WAL, only slower.
  const previousMode = String(db.pragma('journal_mode', { simple: true })).toLowerCase();
  if (previousMode === 'wal') db.pragma('journal_mode = DELETE');
  db.pragma('cache_size = -1048576'); // up to 1 GiB of page cache for the load
  db.pragma('temp_store = MEMORY'); // index sorts
  db.pragma('mmap_size = 68719476736'); // index builds scan the tickets table once per index: read it mapped
  db.pragma('threads = 2'); // and sort with a helper thread
  db.exec('BEGIN IMMEDIATE');

  const dropped = (
    db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (${BULK_TABLES.map(() => '?').join(',')}) ORDER BY name`,
      )
      .all(...BULK_TABLES) as { name: string; sql: string }[]
  ).filter((index) => !SQLITE_KEPT_DURING_LOAD.has(index.name));
  for (const index of dropped) db.exec(`DROP INDEX "${index.name.replaceAll('"', '""')}"`);
  // The loader writes the search parts of all loaded tickets in one statement instead (finish).
  const droppedTriggers = db
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name IN (${BULK_TABLES.map(() => '?').join(',')}) ORDER BY name`)
    .all(...BULK_TABLES) as { name: string; sql: string }[];
  for (const trigger of droppedTriggers) db.exec(`DROP TRIGGER "${trigger.name.replaceAll('"', '""')}"`);

  const instance = db.prepare('SELECT last_ticket_number AS n FROM instances WHERE id = ?').get(instanceId) as { n: number } | undefined;
  if (!instance) {
    db.exec('ROLLBACK');
    db.close();
    throw new Error(`no instance ${instanceId}`);
  }
  const firstNumber = instance.n + 1;
  let number = instance.n;
  let ticketSeq = (db.prepare('SELECT coalesce(max(seq), 0) AS s FROM tickets').get() as { s: number }).s;
  const seqBeforeLoad = ticketSeq;
  // Whether the instance's tickets stay stored in creation order (tickets.repo.ts,
  // searchesInStoreOrder): true while each loaded ticket is no older than the newest before it.
  let newestCreated = (db.prepare('SELECT max(created_on) AS c FROM tickets WHERE instance_id = ?').get(instanceId) as { c: string | null }).c ?? '';
  let outOfOrder = false;
  let activitySeq = (db.prepare('SELECT coalesce(max(seq), 0) AS s FROM activities').get() as { s: number }).s;
  const counts = { tickets: 0, activities: 0, tags: 0 };

  let ticketColumns: string[] | undefined;
  const activityColumnNames = [
    'seq',
    ...Object.keys(
      activityColumns('', 0, { id: '', ticketId: 0, type: 'comment', comment: '', isPrivate: false, user: { id: '', name: '', email: '' }, createdOn: '' }),
    ),
  ];
  const statements = new Map<string, Database.Statement>();
  const insert = (table: string, columns: string[], rows: number) => {
    const key = `${table}:${rows}`;
    let statement = statements.get(key);
    if (!statement) {
      const tuple = `(${columns.map(() => '?').join(',')})`;
      statement = db.prepare(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(',')}) VALUES ${Array(rows).fill(tuple).join(',')}`);
      statements.set(key, statement);
    }
    return statement;
  };
  /** Buffers rows as one flat parameter list, SQLITE_ROWS_PER_STATEMENT rows per statement. */
  const writer = (table: string, columns: () => string[]) => {
    let values: unknown[] = [];
    let rows = 0;
    const flush = () => {
      if (rows === 0) return;
      const since = performance.now();
      insert(table, columns(), rows).run(values);
      clock.add(`insert ${table}`, since);
      values = [];
      rows = 0;
    };
    return {
      add(row: unknown[]) {
        for (const v of row) values.push(v);
        if (++rows === SQLITE_ROWS_PER_STATEMENT) flush();
      },
      flush,
    };
  };
  const tickets = writer('tickets', () => ticketColumns!);
  const tags = writer('ticket_tags', () => ['instance_id', 'ticket_seq', 'tag_key']);
  const activities = writer('activities', () => activityColumnNames);

  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    if (db.inTransaction) db.exec('ROLLBACK');
    if (previousMode === 'wal') db.pragma('journal_mode = WAL');
    db.close();
  };

  return {
    async write(batch) {
      if (!open) throw new Error('the bulk loader is closed');
      for (const { ticket, activities: acts } of batch) {
        ticket.ticketId = ++number;
        const seq = ++ticketSeq;
        if (ticket.createdOn < newestCreated) outOfOrder = true;
        else newestCreated = ticket.createdOn;
        const columns = toColumns(instanceId, ticket) as unknown as Record<string, unknown>;
        ticketColumns ??= ['seq', ...Object.keys(columns)];
        const row: unknown[] = [seq];
        for (let i = 1; i < ticketColumns.length; i++) row.push(columns[ticketColumns[i]!]);
        tickets.add(row);
        for (const tag of ticket.tags) tags.add([instanceId, seq, tagKey(tag)]);
        counts.tags += ticket.tags.length;
        for (const activity of acts) {
          activity.ticketId = number;
          const a = activityColumns(instanceId, seq, activity) as unknown as Record<string, unknown>;
          const arow: unknown[] = [++activitySeq];
          for (let i = 1; i < activityColumnNames.length; i++) arow.push(a[activityColumnNames[i]!]);
          activities.add(arow);
        }
        counts.activities += acts.length;
        counts.tickets++;
      }
      tickets.flush();
      tags.flush();
      activities.flush();
    },
    async finish() {
      if (!open) throw new Error('the bulk loader is closed');
      try {
        let since = performance.now();
        // The loaded tickets' search parts, as the triggers of migration 007 would write them, in
        // one statement and in rowid order: FTS5 then writes large segments once, where parts
        // inserted with each batch were flushed as small segments at every other statement (FTS5
        // syncs at each statement's savepoint) and merged again and again (−10 % of the whole load).
        db.prepare(
          `INSERT INTO search_parts (rowid, text)
             SELECT part, text FROM (
               SELECT seq << ${PART_BITS} AS part, title || ' ' || description AS text FROM tickets WHERE instance_id = ? AND seq > ?
               UNION ALL
               SELECT (ticket_seq << ${PART_BITS}) + n, comment FROM (
                 SELECT ticket_seq, comment, row_number() OVER (PARTITION BY ticket_seq ORDER BY seq) AS n
                   FROM activities WHERE instance_id = ? AND ticket_seq > ?)
                WHERE comment IS NOT NULL)
              ORDER BY part`,
        ).run(instanceId, seqBeforeLoad, instanceId, seqBeforeLoad);
        clock.add('search documents', since);
        // The statement above leaves FTS5 with a dozen segments of every size, and FTS5 merges
        // them a little after every later write: for the first hundred thousand or so writes,
        // each creating or commenting request paid for rewriting part of a 280 MB index (comments
        // 1,600/s in process). Merged into one segment here, all at once, it takes 1.5–3 s at a
        // million tickets and later writes merge only their own small segments (2,800–3,500/s).
        // It rewrites the whole index, every instance's, like the indexes re-created below.
        since = performance.now();
        db.exec(`INSERT INTO search_parts (search_parts) VALUES ('optimize')`);
        clock.add('merge search index', since);
        since = performance.now();
        for (const index of dropped) db.exec(index.sql);
        for (const trigger of droppedTriggers) db.exec(trigger.sql);
        clock.add('create indexes', since);
        db.prepare('UPDATE instances SET last_ticket_number = ? WHERE id = ?').run(number, instanceId);
        if (outOfOrder) db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES (?, '1')`).run(`${OUT_OF_CREATION_ORDER}${instanceId}`);
        since = performance.now();
        db.exec('COMMIT');
        clock.add('commit', since);
      } catch (error) {
        close();
        throw error;
      }
      close();
      return { ...counts, firstTicketNumber: firstNumber, lastTicketNumber: number, timings: clock.timings };
    },
    async abort() {
      close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL: COPY … FROM STDIN (text format), three COPYs per batch (tickets, ticket_tags,
// activities) on one connection, in one transaction. seq values are given explicitly (COPY
// writes identity columns as given) and the identity sequences are moved past them at the end.
// While PostgreSQL copies a batch (and computes its tsvector columns), the caller prepares the
// next one.

/** A value in COPY's text format. */
function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number') return String(value);
  const text = String(value);
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : text;
}

async function openPostgresLoader(url: string, instanceId: string): Promise<BulkLoader> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const clock = stopwatch();
  let dropped: { name: string; def: string }[] = [];
  let number = 0;
  let ticketSeq = 0;
  let activitySeq = 0;
  try {
    await client.query('BEGIN');
    await client.query(`SET LOCAL maintenance_work_mem = '512MB'`);
    await client.query(`LOCK TABLE ${BULK_TABLES.join(', ')} IN EXCLUSIVE MODE`);
    const instance = await client.query<{ n: number }>('SELECT last_ticket_number AS n FROM instances WHERE id = $1 FOR UPDATE', [instanceId]);
    if (instance.rowCount === 0) throw new Error(`no instance ${instanceId}`);
    number = Number(instance.rows[0]!.n);
    // Other processes may have taken identity values beyond max(seq): start after both.
    const seqs = await client.query<{ t: string; a: string }>(
      `SELECT greatest((SELECT coalesce(max(seq), 0) FROM tickets), (SELECT last_value FROM pg_sequences WHERE sequencename = split_part(pg_get_serial_sequence('tickets', 'seq'), '.', 2) AND schemaname = current_schema())) AS t,
              greatest((SELECT coalesce(max(seq), 0) FROM activities), (SELECT last_value FROM pg_sequences WHERE sequencename = split_part(pg_get_serial_sequence('activities', 'seq'), '.', 2) AND schemaname = current_schema())) AS a`,
    );
    ticketSeq = Number(seqs.rows[0]!.t ?? 0);
    activitySeq = Number(seqs.rows[0]!.a ?? 0);
    // Secondary indexes, not those backing a primary key or unique constraint.
    const indexes = await client.query<{ name: string; def: string }>(
      `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relname = ANY($1) AND t.relnamespace = current_schema()::regnamespace
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
        ORDER BY i.relname`,
      [BULK_TABLES],
    );
    dropped = indexes.rows;
    for (const index of dropped) await client.query(`DROP INDEX "${index.name.replaceAll('"', '""')}"`);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
    throw error;
  }
  const firstNumber = number + 1;
  const counts = { tickets: 0, activities: 0, tags: 0 };
  const timed = async <T>(name: string, work: Promise<T>): Promise<T> => {
    const since = performance.now();
    try {
      return await work;
    } finally {
      clock.add(name, since);
    }
  };
  const copy = (table: string, columns: string[], text: string) =>
    timed(`copy ${table}`, pipeline(Readable.from([text]), client.query(copyFrom(`COPY ${table} (${columns.map((c) => `"${c}"`).join(', ')}) FROM STDIN`))));

  let ticketColumns: string[] | undefined;
  const activityColumnNames = [
    'seq',
    ...Object.keys(
      activityColumns('', 0, { id: '', ticketId: 0, type: 'comment', comment: '', isPrivate: false, user: { id: '', name: '', email: '' }, createdOn: '' }),
    ),
  ];
  const tagColumns = ['instance_id', 'ticket_seq', 'tag_key'];

  let pending: Promise<void> = Promise.resolve();
  let failed: unknown;
  let open = true;
  const close = async () => {
    open = false;
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  };

  return {
    async write(batch) {
      if (!open) throw new Error('the bulk loader is closed');
      if (batch.length === 0) return;
      const tickets: string[] = [];
      const tags: string[] = [];
      const activities: string[] = [];
      for (const { ticket, activities: acts } of batch) {
        ticket.ticketId = ++number;
        const seq = ++ticketSeq;
        const columns = toColumns(instanceId, ticket) as unknown as Record<string, unknown>;
        ticketColumns ??= ['seq', ...Object.keys(columns)];
        let line = String(seq);
        for (let i = 1; i < ticketColumns.length; i++) line += `\t${copyValue(columns[ticketColumns[i]!])}`;
        tickets.push(line);
        for (const tag of ticket.tags) tags.push(`${copyValue(instanceId)}\t${seq}\t${copyValue(tagKey(tag))}`);
        for (const activity of acts) {
          activity.ticketId = number;
          const a = activityColumns(instanceId, seq, activity) as unknown as Record<string, unknown>;
          let aline = String(++activitySeq);
          for (let i = 1; i < activityColumnNames.length; i++) aline += `\t${copyValue(a[activityColumnNames[i]!])}`;
          activities.push(aline);
        }
        counts.tickets++;
        counts.tags += ticket.tags.length;
        counts.activities += acts.length;
      }
      // One batch in flight: wait for the previous one, then let this one run while the caller
      // builds the next.
      await pending;
      if (failed) throw failed;
      const columns = ticketColumns!;
      pending = (async () => {
        await copy('tickets', columns, `${tickets.join('\n')}\n`);
        if (tags.length > 0) await copy('ticket_tags', tagColumns, `${tags.join('\n')}\n`);
        if (activities.length > 0) await copy('activities', activityColumnNames, `${activities.join('\n')}\n`);
      })().catch((error: unknown) => {
        failed = error;
      });
    },
    async finish() {
      if (!open) throw new Error('the bulk loader is closed');
      try {
        await pending;
        if (failed) throw failed;
        for (const index of dropped) await timed('create indexes', client.query(index.def));
        for (const [table, max] of [
          ['tickets', ticketSeq],
          ['activities', activitySeq],
        ] as const) {
          if (max > 0) await client.query(`SELECT setval(pg_get_serial_sequence($1, 'seq'), $2)`, [table, max]);
        }
        await client.query('UPDATE instances SET last_ticket_number = $1 WHERE id = $2', [number, instanceId]);
        await timed('commit', client.query('COMMIT'));
        open = false;
        // Statistics and the visibility map, as autovacuum would leave them some time later
        // (and so that it does not start on these tables in the middle of a benchmark).
        await timed('vacuum analyze', client.query(`VACUUM (ANALYZE) ${BULK_TABLES.join(', ')}`));
      } catch (error) {
        await close();
        throw error;
      }
      await client.end();
      return { ...counts, firstTicketNumber: firstNumber, lastTicketNumber: number, timings: clock.timings };
    },
    async abort() {
      if (!open) return;
      await pending;
      await close();
    },
  };
}
