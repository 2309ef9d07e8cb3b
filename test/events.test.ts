import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as events from '../src/services/events.service.js';
import { agent, createInstance, createTestApp, createTicket, DIALECTS, requestor, signInPerson, type Client, type Reply, type TestApp } from './helpers.js';

/*
 * The event feed (docs/api.md §13): every ticket change writes its event in its own
 * transaction, and GET /instance/events pages them in order so that a poller reads every event
 * exactly once, while others write, on both stores.
 */

interface FeedEvent {
  id: string;
  type: string;
  timestamp: string;
  ticketId: number | null;
  ticket: string | null;
  data: Record<string, any>;
}

/** Reads the feed from `after` to its end, following continuation tokens; answers the events and the last id. */
async function readFeed(api: Client, after?: string, limit = 10): Promise<FeedEvent[]> {
  const read: FeedEvent[] = [];
  let token: string | null = null;
  do {
    const query = `/instance/events?limit=${limit}${after ? `&after=${after}` : ''}`;
    const page: Reply = await api.get(query, token ? { continuationToken: token } : {});
    expect(page.status).toBe(200);
    read.push(...page.body.items);
    token = page.body.continuationToken;
  } while (token);
  return read;
}

/**
 * The feed from `after` once it holds `count` events: on PostgreSQL the oldest-first feed trails
 * write transactions still running anywhere on the database server (other test files' too) by
 * their duration (docs/decisions/017-webhooks.md).
 */
async function settledFeed(api: Client, count: number, after?: string): Promise<FeedEvent[]> {
  await expect.poll(async () => (await readFeed(api, after, 1000)).length, { timeout: 10_000 }).toBe(count);
  return readFeed(api, after);
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`event feed (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    it('writes an event for every change of a ticket, with what changed', async () => {
      const { api } = await createInstance(t.app);
      const ticket = await createTicket(api, { assignee: agent });
      expect((await api.put(`/tickets/${ticket.id}`, { updates: { title: 'Printer on fire', priority: 'Urgent' }, user: agent })).status).toBe(200);
      const other = { id: 'agent-2', name: 'Ann Other', email: 'ann@example.com' };
      expect((await api.put(`/tickets/${ticket.id}`, { updates: { assignee: other }, user: agent })).status).toBe(200);
      expect((await api.put(`/tickets/${ticket.id}`, { updates: { title: 'Printer on fire' }, user: agent })).status).toBe(200); // no change: no event
      expect((await api.put(`/tickets/${ticket.id}/status`, { status: 'Resolved', resolution: 'fixed', comment: 'Extinguished', user: agent })).status).toBe(
        200,
      );
      expect((await api.post(`/tickets/${ticket.id}/comments`, { comment: 'internal only', isPrivate: true, user: agent })).status).toBe(201);
      expect((await api.post(`/tickets/${ticket.id}/comments`, { comment: 'Thanks!', user: requestor })).status).toBe(201);

      const feed = await settledFeed(api, 8);
      expect(feed.map((e) => e.type)).toEqual([
        'ticket.created',
        'ticket.assigned',
        'ticket.updated',
        'ticket.updated',
        'ticket.assigned',
        'ticket.statusChanged',
        'ticket.commented',
        'ticket.commented',
      ]);
      for (const event of feed) {
        expect(event).toMatchObject({ ticketId: ticket.ticketId, ticket: ticket.id, data: { ticket: { id: ticket.id, ticketId: ticket.ticketId } } });
        expect(event.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      expect(feed[0]!.data).toMatchObject({ ticket: { title: 'A ticket', status: 'Open', priority: 'Medium', requestor, assignee: agent }, user: requestor });
      expect(feed[1]!.data).toMatchObject({ assignee: agent, previousAssignee: null });
      expect(feed[2]!.data).toMatchObject({ changedFields: ['title', 'priority'], user: agent, ticket: { title: 'Printer on fire', priority: 'Urgent' } });
      expect(feed[3]!.data.changedFields).toEqual(['assignee']);
      expect(feed[4]!.data).toMatchObject({ assignee: other, previousAssignee: agent });
      expect(feed[5]!.data).toMatchObject({ from: 'Open', to: 'Resolved', resolution: 'fixed', comment: 'Extinguished', ticket: { status: 'Resolved' } });
      expect(feed[6]!.data).toMatchObject({ comment: 'internal only', isPrivate: true, user: agent });
      expect(feed[7]!.data).toMatchObject({ comment: 'Thanks!', isPrivate: false, user: requestor });
      // Ids are unique and the old field names still answer.
      expect(new Set(feed.map((e) => e.id)).size).toBe(feed.length);
      const raw = (await api.get('/instance/events?limit=1')).body.items[0];
      expect(raw).toMatchObject({
        createdOn: raw.timestamp,
        ticketNo: ticket.ticketId,
        payload: raw.data,
        deliveries: { pending: 0, delivered: 0, failed: 0 },
        deliveredOn: null,
      });
    });

    it('writes nothing for a write that fails, and nothing of a write whose event cannot be written', async () => {
      const { id, api } = await createInstance(t.app);
      const ticket = await createTicket(api);
      expect((await api.put(`/tickets/${ticket.id}`, { updates: { customFields: { nope: 1 } }, user: agent })).status).toBe(400);
      const newestFirst = async () => (await api.get('/instance/events?order=DESC')).body.items.map((e: FeedEvent) => e.type);
      expect(await newestFirst()).toEqual(['ticket.created']);

      // The event is written in the change's transaction: when it cannot be, the change is not made either.
      const trigger = `no_events_${id.replaceAll('-', '')}`;
      if (dialect.name === 'postgres') {
        await sql.raw(`CREATE FUNCTION ${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'events refused'; END $$`).execute(t.store.db);
        await sql
          .raw(`CREATE TRIGGER ${trigger} BEFORE INSERT ON events FOR EACH ROW WHEN (NEW.instance_id = '${id}') EXECUTE FUNCTION ${trigger}()`)
          .execute(t.store.db);
      } else {
        await sql
          .raw(`CREATE TRIGGER ${trigger} BEFORE INSERT ON events WHEN NEW.instance_id = '${id}' BEGIN SELECT RAISE(ABORT, 'events refused'); END`)
          .execute(t.store.db);
      }
      try {
        expect((await api.put(`/tickets/${ticket.id}`, { updates: { title: 'Never saved' }, user: agent })).status).toBe(500);
        expect((await api.post('/tickets', { ticket: { title: 'Never created', requestor }, user: requestor })).status).toBe(500);
        expect((await api.post(`/tickets/${ticket.id}/comments`, { comment: 'Never said', user: agent })).status).toBe(500);
      } finally {
        await sql.raw(`DROP TRIGGER ${trigger}${dialect.name === 'postgres' ? ' ON events' : ''}`).execute(t.store.db);
        if (dialect.name === 'postgres') await sql.raw(`DROP FUNCTION ${trigger}()`).execute(t.store.db);
      }
      expect((await api.get(`/tickets/${ticket.id}`)).body.item.title).toBe('A ticket');
      expect((await api.get('/tickets')).body.items).toHaveLength(1);
      expect((await api.get(`/tickets/${ticket.id}/activities`)).body.items).toHaveLength(0);
      expect(await newestFirst()).toEqual(['ticket.created']);
    });

    it("gives each caller what they may read: a private note's text and webhook events not to a viewer", async () => {
      const { id: instanceId, primaryKey, api } = await createInstance(t.app);
      const viewer = await signInPerson(t.app, primaryKey, { role: 'viewer' });
      const staff = await signInPerson(t.app, primaryKey, { role: 'agent' });
      const ticket = await createTicket(api, { title: 'Secret' });
      await staff.web.post(`/tickets/${ticket.id}/comments`, { comment: 'The root password is hunter2', isPrivate: true });
      await staff.web.post(`/tickets/${ticket.id}/comments`, { comment: 'We are on it', isPrivate: false });
      // What the server records when it turns a failing webhook off (after 3 days of failures).
      await t.store.dialect.transaction(t.store.db, (tx) =>
        events.record(tx, instanceId, {
          type: 'webhook.disabled',
          data: { webhook: { id: 'w1', url: 'https://hooks.example.com', description: null }, reason: 'failing', failingSince: new Date().toISOString() },
          createdOn: new Date().toISOString(),
        }),
      );
      const comments = (items: any[]) => items.filter((e) => e.type === 'ticket.commented');

      const whole = (await api.get('/instance/events?limit=1000')).body.items;
      expect(comments(whole).map((e) => e.data.comment)).toEqual(['The root password is hunter2', 'We are on it']);
      const seenByViewer = (await viewer.web.get('/instance/events?limit=1000')).body.items;
      expect(comments(seenByViewer).map((e) => [e.data.isPrivate, e.data.comment, e.payload.comment])).toEqual([
        [true, null, null],
        [false, 'We are on it', 'We are on it'],
      ]);
      expect(JSON.stringify(seenByViewer)).not.toContain('hunter2');
      expect(comments((await staff.web.get('/instance/events?limit=1000')).body.items)[0].data.comment).toBe('The root password is hunter2');
      // Webhook events: for whoever may read the webhooks (admins, read-write keys), not a viewer
      // nor an agent.
      const webhookEvents = (items: any[]) => items.filter((e) => e.type.startsWith('webhook.')).length;
      expect(webhookEvents(whole)).toBeGreaterThan(0);
      expect(webhookEvents(seenByViewer)).toBe(0);
      expect(webhookEvents((await staff.web.get('/instance/events?limit=1000')).body.items)).toBe(0);
    });

    it('pages the feed in order with after, limit and continuation tokens, each event once', async () => {
      const { api } = await createInstance(t.app);
      for (let i = 0; i < 12; i++) await createTicket(api, { title: `ticket ${i}` });
      await settledFeed(api, 12);
      const all = await readFeed(api, undefined, 5);
      expect(all.map((e) => e.data.ticket.title)).toEqual(Array.from({ length: 12 }, (_, i) => `ticket ${i}`));

      const first = await api.get('/instance/events?limit=5');
      expect(first.body.items).toHaveLength(5);
      expect(first.body.continuationToken).toEqual(expect.any(String));
      // The token also works as a query parameter; `after` continues from any event.
      const second = await api.get(`/instance/events?limit=5&continuationToken=${encodeURIComponent(first.body.continuationToken)}`);
      expect(second.body.items.map((e: FeedEvent) => e.id)).toEqual(all.slice(5, 10).map((e) => e.id));
      expect((await api.get(`/instance/events?after=${all[9]!.id}`)).body).toEqual({ items: expect.any(Array), continuationToken: null });
      expect((await api.get(`/instance/events?after=${all[9]!.id}`)).body.items.map((e: FeedEvent) => e.id)).toEqual(all.slice(10).map((e) => e.id));
      // A full last page has no token either.
      expect((await api.get(`/instance/events?after=${all[6]!.id}&limit=5`)).body.continuationToken).toBeNull();
      // At the end: nothing, until something happens.
      expect((await api.get(`/instance/events?after=${all[11]!.id}`)).body).toEqual({ items: [], continuationToken: null });
      await createTicket(api, { title: 'late' });
      expect((await settledFeed(api, 1, all[11]!.id)).map((e) => e.data.ticket.title)).toEqual(['late']);

      // Newest first, and only some types.
      const newest = await api.get('/instance/events?order=desc&limit=3');
      expect(newest.body.items.map((e: FeedEvent) => e.data.ticket.title)).toEqual(['late', 'ticket 11', 'ticket 10']);
      await api.post(`/tickets/${all[0]!.ticket}/comments`, { comment: 'hello', user: agent });
      expect((await api.get('/instance/events?type=ticket.commented')).body.items.map((e: FeedEvent) => e.type)).toEqual(['ticket.commented']);
    });

    it('refuses bad parameters, tokens of other queries and other instances’ events', async () => {
      const { api } = await createInstance(t.app);
      const other = await createInstance(t.app);
      await createTicket(api);
      await createTicket(api);
      const foreign = await createTicket(other.api);
      const foreignEvent = (await other.api.get('/instance/events?order=DESC')).body.items[0];
      expect(foreignEvent.ticket).toBe(foreign.id);
      for (const query of ['limit=0', 'limit=1001', 'limit=x', 'order=sideways', `after=${foreignEvent.id}`, 'after=nope']) {
        const answer = await api.get(`/instance/events?${query}`);
        expect(answer.status, query).toBe(400);
        expect(answer.body.code).toBe('validation_failed');
      }
      await settledFeed(api, 2);
      const token = (await api.get('/instance/events?limit=1')).body.continuationToken;
      expect((await api.get('/instance/events?limit=1&order=DESC', { continuationToken: token })).status).toBe(400);
      expect((await other.api.get('/instance/events?limit=1', { continuationToken: token })).status).toBe(400);
      expect((await api.get('/instance/events?limit=1', { continuationToken: `${token}x` })).body.code).toBe('invalid_request');
    });

    it('never lets a poller pass an event that commits after a later one', async () => {
      // A write transaction takes its place in the feed, then stays open while another write
      // (with a later place) commits. A poller must see neither until the first commits, then
      // both in order: on PostgreSQL the feed reads only below the oldest running transaction;
      // on SQLite the second write waits for the first.
      const { id, api } = await createInstance(t.app);
      const ticket = await createTicket(api);
      const [start] = await settledFeed(api, 1);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let written!: () => void;
      const recorded = new Promise<void>((resolve) => (written = resolve));
      const slow = t.store.dialect.transaction(t.store.db, async (tx) => {
        await events.record(tx, id, { type: 'ticket.updated', ticket, data: { changedFields: ['title'], user: agent }, createdOn: new Date().toISOString() });
        written();
        await gate;
      });
      await recorded;
      const fast = api.post(`/tickets/${ticket.id}/comments`, { comment: 'committed first', user: agent });
      await Promise.race([fast, new Promise((resolve) => setTimeout(resolve, 500))]);
      expect((await api.get(`/instance/events?after=${start!.id}`)).body.items).toEqual([]);
      release();
      await slow;
      expect((await fast).status).toBe(201);
      const after = await settledFeed(api, 2, start!.id);
      expect(after.map((e) => e.type)).toEqual(['ticket.updated', 'ticket.commented']);
    });

    it('gives a poller every event exactly once while writers interleave with it', async () => {
      const { api } = await createInstance(t.app);
      const tickets: { id: string }[] = [];
      for (let i = 0; i < 4; i++) tickets.push(await createTicket(api, { title: `base ${i}` }));
      const seen: string[] = [];
      let last: string | undefined;
      const poll = async () => {
        const read = await readFeed(api, last, 7);
        seen.push(...read.map((e) => e.id));
        if (read.length > 0) last = read[read.length - 1]!.id;
      };
      let writing = true;
      const writers = Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; i < 15; i++) {
          const target = tickets[(w + i) % tickets.length]!;
          const write =
            i % 3 === 0
              ? api.post('/tickets', { ticket: { title: `w${w} ${i}`, requestor }, user: requestor })
              : i % 3 === 1
                ? api.post(`/tickets/${target.id}/comments`, { comment: `w${w} ${i}`, user: agent })
                : api.put(`/tickets/${target.id}`, { updates: { description: `w${w} ${i}` }, user: agent });
          expect((await write).status).toBeLessThan(300);
        }
      });
      const poller = (async () => {
        while (writing) {
          await poll();
          await new Promise((resolve) => setTimeout(resolve, 2)); // as a poller waits between polls
        }
      })();
      await Promise.all(writers);
      writing = false;
      await poller;
      const everything = (await settledFeed(api, 4 + 6 * 15)).map((e) => e.id);
      await poll();
      expect(seen).toEqual(everything);
    });
  });
}
