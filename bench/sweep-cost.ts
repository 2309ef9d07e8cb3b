/*
 * What the webhook sweep costs per event (docs/decisions/027-webhook-sweep.md), on the event loop:
 * a webhook whose position is N events behind, every event with a delivery row already (the
 * steady state: the sweep only checks) or none (a process died holding them: the sweep queues
 * them all). In one process, on a SQLite file or PostgreSQL (DATABASE_URL).
 *
 *   npx tsx bench/sweep-cost.ts [events=100000] [sqlite:/tmp/sweep.db | postgres://… (an existing database)]
 */
import { rmSync } from 'node:fs';
import { sql } from 'kysely';
import { WebhookDeliveries } from '../src/services/webhook-delivery.service.js';
import { WebhookSender } from '../src/services/webhook-sender.js';
import { openMigratedStore } from '../src/store/db.js';

const count = Number(process.argv[2] ?? 100_000);
const url = process.argv[3] ?? `sqlite:/tmp/sweep-cost-${process.pid}.db`;
const store = await openMigratedStore(url, { synchronous: 'NORMAL' });
const at = '2026-01-01T00:00:00.000Z';
const instance = `sweep-${process.pid}`;
await sql`INSERT INTO instances (id, name, settings, last_ticket_number, created_on, updated_on) VALUES (${instance}, ${instance}, '{}', 0, ${at}, ${at})`.execute(
  store.db,
);
await sql`INSERT INTO webhooks (instance_id, id, url, events, format, secret, created_on, updated_on)
  VALUES (${instance}, 'hook', 'https://hooks.example.com/', '["*"]', 'standard', 'whsec_x', ${at}, ${at})`.execute(store.db);
for (let done = 0; done < count; done += 5_000) {
  await store.dialect.transaction(store.db, async (tx) => {
    for (let i = done; i < Math.min(count, done + 5_000); i += 500) {
      const rows = [];
      for (let j = i; j < Math.min(count, i + 500); j++)
        rows.push(sql`(${instance}, ${`event-${String(j).padStart(8, '0')}`}, 'ticket.commented', '{}', ${at})`);
      await sql`INSERT INTO events (instance_id, id, type, payload, created_on) VALUES ${sql.join(rows)}`.execute(tx);
    }
  });
}
const deliveries = new WebhookDeliveries({
  store,
  sender: new WebhookSender({ timeoutMs: 10_000, allowPrivate: true }),
  publicUrl: () => 'http://localhost',
  timeoutMs: 10_000,
  now: () => '2026-02-01T00:00:00.000Z',
});
const rowsOf = async () =>
  Number((await sql<{ n: string | number }>`SELECT count(*) AS n FROM webhook_deliveries WHERE instance_id = ${instance}`.execute(store.db)).rows[0]!.n);
const sweepAll = async (label: string) => {
  await sql`UPDATE webhooks SET swept_tx_id = 0, swept_seq = 0 WHERE instance_id = ${instance}`.execute(store.db);
  const cpu = process.cpuUsage();
  const started = performance.now();
  let rounds = 0;
  while (await deliveries.sweep()) rounds++;
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  console.log(
    `${label}: ${count.toLocaleString('en')} events in ${ms.toFixed(0)} ms (${((ms * 1000) / count).toFixed(2)} µs per event, ` +
      `this process's CPU ${((used.user + used.system) / count).toFixed(2)} µs per event), ${rounds + 1} rounds; delivery rows now ${(await rowsOf()).toLocaleString('en')}`,
  );
};
await sweepAll('no rows yet (all queued)');
await sweepAll('every row there (only checked)');
await sql`DELETE FROM webhook_deliveries WHERE instance_id = ${instance}`.execute(store.db);
await sql`DELETE FROM events WHERE instance_id = ${instance}`.execute(store.db);
await sql`DELETE FROM webhooks WHERE instance_id = ${instance}`.execute(store.db);
await sql`DELETE FROM instances WHERE id = ${instance}`.execute(store.db);
await store.close();
if (url.startsWith('sqlite:')) for (const suffix of ['', '-wal', '-shm']) rmSync(url.slice(7) + suffix, { force: true });
