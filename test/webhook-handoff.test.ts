import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as events from '../src/services/events.service.js';
import { createInstance, createTestApp, createTicket, DIALECTS, FakeClock, requestor, type TestApp } from './helpers.js';
import { webhookFixtures } from './webhook-receiver.js';

/*
 * With a delivery worker running in the writing process (the server), a write's events are
 * handed to that process's worker once the write commits (src/services/webhook-fanout.ts): the
 * write stores nothing for their deliveries, the worker sends them at once as attempt 1 and
 * stores each one's row with its outcome, and a write that rolls back hands nothing over. On both
 * stores, with real receivers.
 */

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`webhook deliveries handed to the writing process (${dialect.name})`, () => {
    let t: TestApp;
    const { receiver, subscribe, cleanUp } = webhookFixtures();
    beforeAll(async () => {
      t = await createTestApp(dialect.name, { ownDatabase: true, env: { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_TIMEOUT_MS: '2000' } });
      t.webhooks.start();
    });
    afterAll(async () => t?.close());
    afterEach(() => cleanUp());

    it('sends a write’s delivery once it commits, as attempt 1, and stores it with its outcome', async () => {
      const { api } = await createInstance(t.app);
      // The receiver answers late, so the delivery can be looked at while it is in flight.
      const endpoint = await receiver(() => ({ status: 204, delayMs: 400 }));
      const { id, secret } = await subscribe(api, { url: endpoint.url, events: ['ticket.created'] });
      const ticket = await createTicket(api, { title: 'Handed over' });
      const [request] = await endpoint.waitFor(1, 5000);
      const body = new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>) as {
        type: string;
        data: { ticket: { ticketId: number } };
      };
      expect(body.type).toBe('ticket.created');
      expect(body.data.ticket.ticketId).toBe(ticket.ticketId);

      // In flight: no row yet (the write stored none; the outcome brings it).
      expect((await api.get(`/instance/webhooks/${id}/deliveries`)).body.items).toEqual([]);

      const last = async () => (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items[0];
      await expect.poll(last, { timeout: 5000 }).toMatchObject({ status: 'delivered', attemptCount: 1, lastStatusCode: 204 });
      const [delivered] = (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items;
      expect(delivered.id).toBe(request!.headers['webhook-id']);
      expect(endpoint.received).toHaveLength(1);

      // Sent again by hand, it goes the claim's way (rendered from the stored event, not from the
      // write's own serialization): the same body, byte for byte, and the same webhook-id.
      expect((await api.post(`/instance/webhooks/${id}/deliveries/${delivered.id}/redeliver`)).status).toBe(202);
      const [, again] = await endpoint.waitFor(2, 5000);
      expect(again!.body).toBe(request!.body);
      expect(again!.headers['webhook-id']).toBe(request!.headers['webhook-id']);
    });

    it('hands nothing over from a write that rolls back, and everything from one committed beside it', async () => {
      const { api, id: instanceId } = await createInstance(t.app);
      const endpoint = await receiver();
      const { id, secret } = await subscribe(api, { url: endpoint.url, events: ['*'] });
      const createdOn = new Date().toISOString();
      // Started in the same turn: on SQLite they share one group commit, on one connection.
      const [kept, undone] = await Promise.allSettled([
        t.store.dialect.transaction(t.store.db, (tx) => events.record(tx, instanceId, { type: 'ticket.idle', data: { n: 1 }, createdOn })),
        t.store.dialect.transaction(t.store.db, async (tx) => {
          await events.record(tx, instanceId, { type: 'ticket.idle', data: { n: 2 }, createdOn });
          throw new Error('the write fails after its event');
        }),
      ]);
      expect(kept.status).toBe('fulfilled');
      expect(undone.status).toBe('rejected');
      const [request] = await endpoint.waitFor(1, 5000);
      expect((new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>) as { data: { n: number } }).data.n).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(endpoint.received).toHaveLength(1);
      const deliveries = (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items;
      expect(deliveries.map((d: { eventId: string }) => d.eventId)).toEqual([(kept as PromiseFulfilledResult<string>).value]);
    });

    it('leaves a failing endpoint’s new deliveries to the claims, which let it rest', async () => {
      const { api } = await createInstance(t.app);
      const endpoint = await receiver(() => ({ status: 503 }));
      const { id } = await subscribe(api, { url: endpoint.url, events: ['ticket.created'] });
      // Five failures in a row: the endpoint rests (docs/decisions/017, "A failing endpoint rests").
      for (let i = 0; i < 5; i++) await createTicket(api, { title: `failing ${i}`, requestor });
      await endpoint.waitFor(5, 5000);
      const webhook = async () => (await api.get(`/instance/webhooks/${id}`)).body.item;
      await expect
        .poll(
          async () =>
            (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items.filter((d: { lastStatusCode: number | null }) => d.lastStatusCode === 503).length,
          { timeout: 5000 },
        )
        .toBe(5);
      expect(await webhook()).toMatchObject({ enabled: true });
      await createTicket(api, { title: 'while it rests' });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Not sent straight away: queued as due (attempt 0), for the worker's claim to postpone.
      expect(endpoint.received).toHaveLength(5);
      const newest = (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items.find((d: { attemptCount: number }) => d.attemptCount === 0);
      expect(newest).toMatchObject({ status: 'pending' });
    });
  });
}

/*
 * Handed deliveries wait in memory for a free slot (WEBHOOK_CONCURRENCY). One that could not start
 * well before its lease ends is dropped (another process may be sending it by then), and those
 * still waiting when the worker stops are lost with its memory: either way they have no row, and
 * once the lease is over the sweep queues them due and a claim sends them, once, as attempt 1,
 * with the same webhook-id (docs/decisions/027-webhook-sweep.md). On SQLite only: the clock is
 * moved by hand (in a database of its own, PostgreSQL would do the same; the sweep after a
 * process died is tested on both by the kill -9 end-to-end test).
 */
describe('webhook deliveries handed over while every slot is taken (sqlite)', () => {
  const clock = new FakeClock();
  let t: TestApp;
  const { receiver, subscribe, cleanUp } = webhookFixtures();
  beforeAll(async () => {
    // Deadline 2 s: a lease lasts 7 s (the deadline plus at least 5 s); one slot.
    t = await createTestApp('sqlite', { clock, env: { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_CONCURRENCY: '1' } });
    t.webhooks.start();
  });
  afterAll(async () => t?.close());
  afterEach(() => cleanUp());

  /** A webhook whose first request is answered late, and two tickets: the first delivery in flight, the second waiting for the slot. */
  async function secondWaiting() {
    const { api } = await createInstance(t.app);
    const endpoint = await receiver((n) => ({ status: 204, delayMs: n === 0 ? 800 : 0 }));
    const { id } = await subscribe(api, { url: endpoint.url, events: ['ticket.created'] });
    await createTicket(api, { title: 'sent at once' });
    const [first] = await endpoint.waitFor(1, 5000);
    await createTicket(api, { title: 'waits for the slot' });
    const deliveries = async (): Promise<{ eventId: string; status: string; attemptCount: number }[]> =>
      (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items;
    /** The waiting one has no row: only the first delivery is stored. */
    const onlyFirstStored = async () => {
      expect((await deliveries()).map((d) => d.eventId)).toEqual([first!.headers['webhook-id']]);
    };
    /** Once its lease is over: the sweep queues it, a claim sends it, once, as attempt 1, with its own webhook-id. */
    const sentAfterSweep = async () => {
      const [, later] = await endpoint.waitFor(2, 5000);
      const eventId = later!.headers['webhook-id'] as string;
      expect(eventId).not.toBe(first!.headers['webhook-id']);
      await expect
        .poll(async () => (await deliveries()).find((d) => d.eventId === eventId), { timeout: 5000 })
        .toMatchObject({ status: 'delivered', attemptCount: 1 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(endpoint.received).toHaveLength(2);
    };
    return { endpoint, deliveries, onlyFirstStored, sentAfterSweep };
  }

  it('does not start one whose lease would end before its deadline; the sweep queues it after the lease', async () => {
    const { endpoint, deliveries, onlyFirstStored, sentAfterSweep } = await secondWaiting();
    // The waiting one's lease now ends in 2.5 s: less than the deadline plus a second.
    clock.advance(4_500);
    await expect.poll(async () => (await deliveries()).filter((d) => d.status === 'delivered').length, { timeout: 5000 }).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(endpoint.received).toHaveLength(1);
    await onlyFirstStored();

    clock.advance(3_000);
    await sentAfterSweep();
  });

  it('loses one still waiting when the worker stops; after its lease, the sweep queues it and a claim sends it once', async () => {
    const { endpoint, deliveries, onlyFirstStored, sentAfterSweep } = await secondWaiting();
    // Stopping waits for the request in flight and records it; the waiting one is dropped.
    await t.webhooks.stop();
    expect(endpoint.received).toHaveLength(1);
    expect((await deliveries()).filter((d) => d.status === 'delivered')).toHaveLength(1);
    await onlyFirstStored();

    // As a new process would after a restart: nothing before the lease ends, then the sweep.
    t.webhooks.start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(endpoint.received).toHaveLength(1);
    await onlyFirstStored();
    clock.advance(7_500);
    await sentAfterSweep();
  });
});
