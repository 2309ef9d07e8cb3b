import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/db.js';
import { migrateTo, migrateToLatest } from '../src/store/migrate.js';
import { DIALECTS, scratchDatabase } from './helpers.js';

/*
 * Migration 019 gives each webhook a sweep position (docs/decisions/027-webhook-sweep.md). The
 * deliveries of events written before it were stored with the events, so existing webhooks start
 * at the end of their instance's feed: the sweep must not send them history again.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`migration 019 (${dialect.name})`, () => {
    it('starts each existing webhook’s sweep at the end of its instance’s feed', async () => {
      const { url, cleanup } = await scratchDatabase(dialect.name, '019');
      const store = openStore(url, { synchronous: 'NORMAL', poolSize: 2 });
      try {
        await migrateTo(store.db, store.dialect, '018-saved-views');
        const at = '2026-01-01T00:00:00.000Z';
        for (const instance of ['with-events', 'without-events']) {
          await sql`INSERT INTO instances (id, name, settings, last_ticket_number, created_on, updated_on) VALUES (${instance}, ${instance}, '{}', 0, ${at}, ${at})`.execute(
            store.db,
          );
          await sql`INSERT INTO webhooks (instance_id, id, url, events, format, secret, created_on, updated_on)
            VALUES (${instance}, 'hook', 'https://hooks.example.com/', '["*"]', 'standard', 'whsec_x', ${at}, ${at})`.execute(store.db);
        }
        for (let n = 1; n <= 3; n++)
          await sql`INSERT INTO events (instance_id, id, type, payload, created_on) VALUES ('with-events', ${`event-${n}`}, 'ticket.created', '{}', ${at})`.execute(
            store.db,
          );
        const { rows: newest } = await sql<{ tx_id: string | number; seq: string | number }>`
          SELECT tx_id, seq FROM events WHERE id = 'event-3'`.execute(store.db);

        await migrateToLatest(store.db, store.dialect);
        const { rows } = await sql<{ instance_id: string; swept_tx_id: string | number; swept_seq: string | number }>`
          SELECT instance_id, swept_tx_id, swept_seq FROM webhooks ORDER BY instance_id`.execute(store.db);
        expect(rows.map((r) => [r.instance_id, Number(r.swept_tx_id), Number(r.swept_seq)])).toEqual([
          ['with-events', Number(newest[0]!.tx_id), Number(newest[0]!.seq)],
          ['without-events', 0, 0],
        ]);
      } finally {
        await store.close();
        await cleanup();
      }
    });
  });
}
