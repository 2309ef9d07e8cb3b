import Database from 'better-sqlite3';
import { tagKey } from '../../domain/tags.js';
import { BULK_TABLES, stopwatch, type BulkLoader } from '../bulk-load.js';
import { activityColumns, OUT_OF_CREATION_ORDER, toColumns } from '../tickets.repo.js';
import { PART_BITS } from './read-plans.js';
import { countLoadedTicketsSql } from '../ticket-counts.js';

// SQLite: a connection of our own, prepared multi-row INSERTs, explicit seq values.

/**
 * Indexes in the order the loader writes rows (ticket numbers and seqs ascending): appending to
 * them as rows arrive costs less than sorting them afterwards, so they stay. Any other order
 * would still be correct, only slower.
 */
const SQLITE_KEPT_DURING_LOAD = new Set(['tickets_by_number', 'activities_by_ticket']);

/** Rows per INSERT statement: fewer calls into SQLite (which allows 32766 parameters). */
const SQLITE_ROWS_PER_STATEMENT = 50;

/** The SQLite part of openBulkLoader (bulk.repo.ts). */
export function openSqliteLoader(file: string, instanceId: string): BulkLoader {
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
        // The count triggers were dropped with the others: the loaded tickets are counted here.
        since = performance.now();
        for (const statement of countLoadedTicketsSql(() => '?')) db.prepare(statement).run(instanceId, seqBeforeLoad);
        clock.add('count tickets', since);
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
