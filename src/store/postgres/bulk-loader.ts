import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { tagKey } from '../../domain/tags.js';
import { BULK_TABLES, stopwatch, type BulkLoader } from '../bulk-load.js';
import { activityColumns, toColumns } from '../tickets.repo.js';
import { countLoadedTicketsSql } from '../ticket-counts.js';

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

/** The PostgreSQL part of openBulkLoader (bulk.repo.ts). */
export async function openPostgresLoader(url: string, instanceId: string): Promise<BulkLoader> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const clock = stopwatch();
  let dropped: { name: string; def: string }[] = [];
  let number = 0;
  let ticketSeq = 0;
  let seqBeforeLoad = 0;
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
    ticketSeq = seqBeforeLoad = Number(seqs.rows[0]!.t ?? 0);
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
    // The count triggers (migration 010) would run once per copied row; the loaded tickets are
    // counted at once in finish() instead. Disabling is part of the transaction, like the rest.
    await client.query('ALTER TABLE tickets DISABLE TRIGGER USER');
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
        for (const statement of countLoadedTicketsSql((n) => `$${n}`)) await timed('count tickets', client.query(statement, [instanceId, seqBeforeLoad]));
        await client.query('ALTER TABLE tickets ENABLE TRIGGER USER');
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
