import { v7 as uuidv7 } from 'uuid';
import { openStore } from '../src/store/db.js';

/*
 * Writes a backlog of events queued for one webhook straight into the store, in transactions of
 * 20,000 events (a running server's writes wait for each, not for the whole backlog): rows as
 * events.record writes them (src/services/events.service.ts), multi-row inserts for speed. Each
 * delivery is due at `dueAt` (now: a backlog to drain; later: deliveries waiting for a retry).
 */
export async function insertWebhookBacklog(
  databaseUrl: string,
  target: { instanceId: string; webhookId: string },
  count: number,
  dueAt: () => string,
  log: (line: string) => void,
): Promise<void> {
  const store = openStore(databaseUrl, { synchronous: 'NORMAL', poolSize: 2 });
  const started = performance.now();
  try {
    const requestor = { id: 'bench-requestor', name: 'Bench Requestor', email: 'bench@example.com' };
    for (let done = 0; done < count;) {
      const inThisTransaction = Math.min(20_000, count - done);
      await store.dialect.transaction(store.db, async (tx) => {
        for (let i = 0; i < inThisTransaction; i += 500) {
          const now = new Date().toISOString();
          const retryUntil = new Date(Date.now() + 3 * 86_400_000).toISOString();
          const rows = Array.from({ length: Math.min(500, inThisTransaction - i) }, (_, k) => {
            const n = done + i + k + 1;
            const ticket = {
              id: uuidv7(),
              ticketId: n,
              title: `Backlog ticket ${n}`,
              status: 'Open',
              priority: 'Medium',
              assignee: null,
              requestor,
              expectedDate: null,
            };
            return { id: uuidv7(), ticket, n, now };
          });
          await tx
            .insertInto('events')
            .values(
              rows.map((r) => ({
                instance_id: target.instanceId,
                id: r.id,
                type: 'ticket.updated',
                ticket_id: r.ticket.id,
                ticket_number: r.n,
                payload: JSON.stringify({ ticket: r.ticket, changedFields: ['title'], user: requestor }),
                created_on: r.now,
                delivered_on: null,
              })),
            )
            .execute();
          const due = dueAt();
          await tx
            .insertInto('webhook_deliveries')
            .values(
              rows.map((r) => ({
                instance_id: target.instanceId,
                webhook_id: target.webhookId,
                event_id: r.id,
                event_type: 'ticket.updated',
                payload: null,
                status: 'pending',
                attempts: 0,
                attempt_log: '[]',
                next_attempt_at: due,
                retry_until: retryUntil,
                created_on: r.now,
                finished_on: null,
              })),
            )
            .execute();
        }
      });
      done += inThisTransaction;
      if (count >= 100_000 && done % 100_000 === 0) log(`    … ${done.toLocaleString('en-US')} of ${count.toLocaleString('en-US')} queued`);
    }
    log(`  queued ${count.toLocaleString('en-US')} events for the webhook in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await store.close();
  }
}

/** Makes every pending delivery of the webhook due now, in one statement: a backlog appears at once. Answers when it committed. */
export async function releaseWebhookBacklog(databaseUrl: string, target: { instanceId: string; webhookId: string }): Promise<number> {
  const store = openStore(databaseUrl, { synchronous: 'NORMAL', poolSize: 2 });
  try {
    await store.dialect.transaction(store.db, (tx) =>
      tx
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: new Date().toISOString() })
        .where('instance_id', '=', target.instanceId)
        .where('webhook_id', '=', target.webhookId)
        .where('status', '=', 'pending')
        .execute(),
    );
    return Date.now();
  } finally {
    await store.close();
  }
}
