import { sql } from 'kysely';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebhookDeliveries } from '../src/services/webhook-delivery.service.js';
import { acceptHandoffs } from '../src/services/webhook-fanout.js';
import { findWebhook } from '../src/store/webhooks.repo.js';
import { WebhookSender } from '../src/services/webhook-sender.js';
import { openMigratedStore } from '../src/store/db.js';
import { agent, client, createInstance, createTestApp, createTicket, DIALECTS, FakeClock, requestor, type TestApp } from './helpers.js';
import { startReceiver, webhookFixtures, type Answer, type Receiver } from './webhook-receiver.js';

/*
 * Webhooks (docs/api.md §13) against real HTTP receivers on 127.0.0.1, on both stores, with a
 * test clock driving the retry schedule: subscriptions, Standard Webhooks signatures checked with
 * the reference implementation (the standardwebhooks package), retries, timeouts, redirects,
 * auto-disable, private notes, test-fire, redelivery, the Teams and Slack formats.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

interface Delivered {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, any>;
}

/** Verifies a received request with the reference implementation and answers its body. */
function verified(secret: string, request: { body: string; headers: Record<string, unknown> }): Delivered {
  return new Webhook(secret).verify(request.body, request.headers as Record<string, string>) as Delivered;
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`webhooks (${dialect.name})`, () => {
    const clock = new FakeClock();
    let t: TestApp;
    const { receiver, subscribe, track, cleanUp } = webhookFixtures();
    beforeAll(async () => {
      t = await createTestApp(dialect.name, { clock, ownDatabase: true, env: { WEBHOOK_ALLOW_PRIVATE: '1', WEBHOOK_TIMEOUT_MS: '500' } });
    });
    afterAll(async () => t?.close());
    afterEach(() => cleanUp());

    const deliver = () => t.webhooks.runDue();
    /**
     * Sends what is due until `expected` went out (10 s at most). The sweep passes an event only
     * once no transaction older than it is open on the database server, and on PostgreSQL that
     * horizon is the whole server's: a test file running beside this one, on a database of its
     * own, can hold it back for a moment.
     */
    const deliverSwept = async (expected: number) => {
      const until = Date.now() + 10_000;
      let sent = await deliver();
      while (sent < expected && Date.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        sent += await deliver();
      }
      return sent;
    };
    /**
     * Creates a ticket in a process that is handed the write's events and dies holding them: the
     * write stores no row for their deliveries, and nothing sends them until the sweep.
     */
    const createLostTicket = async (api: Parameters<typeof createTicket>[0], title: string) => {
      const dropEvents = acceptHandoffs(t.store.db, { accept: () => undefined, webhooksChanged: () => undefined });
      try {
        return await createTicket(api, { title });
      } finally {
        dropEvents();
      }
    };

    it('creates, reads, changes and deletes webhooks; the secret is shown once', async () => {
      const { api } = await createInstance(t.app);
      const created = await api.post('/instance/webhooks', {
        url: 'https://hooks.example.com/a',
        events: ['ticket.created', 'ticket.commented'],
        description: 'CRM',
      });
      expect(created.status).toBe(201);
      expect(created.headers.location).toBe(`/api/v1/instance/webhooks/${created.body.item.id}`);
      expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(Buffer.from(created.body.secret.slice(6), 'base64')).toHaveLength(32);
      const item = created.body.item;
      expect(item).toEqual({
        id: expect.any(String),
        url: 'https://hooks.example.com/a',
        events: ['ticket.created', 'ticket.commented'],
        format: 'standard',
        includePrivate: false,
        enabled: true,
        description: 'CRM',
        createdOn: clock.now(),
        lastUpdatedOn: clock.now(),
        disabledReason: null,
        failingSince: null,
      });
      track(api, item.id);
      expect((await api.get(`/instance/webhooks/${item.id}`)).body).toEqual({ item });
      expect((await api.get('/instance/webhooks')).body).toEqual({ items: [item] });
      expect(JSON.stringify((await api.get('/instance/webhooks')).body)).not.toContain(created.body.secret);

      clock.advance(MINUTE);
      const changed = await api.put(`/instance/webhooks/${item.id}`, {
        events: ['*'],
        format: 'teams',
        includePrivate: true,
        enabled: false,
        description: null,
      });
      expect(changed.status).toBe(200);
      expect(changed.body.item).toEqual({
        ...item,
        events: ['*'],
        format: 'teams',
        includePrivate: true,
        enabled: false,
        description: null,
        lastUpdatedOn: clock.now(),
      });
      expect((await api.get(`/instance/webhooks/${item.id}`)).body.item.url).toBe('https://hooks.example.com/a');

      const deleted = await api.delete(`/instance/webhooks/${item.id}`);
      expect(deleted.status).toBe(204);
      expect((await api.get(`/instance/webhooks/${item.id}`)).status).toBe(404);
      expect((await api.delete(`/instance/webhooks/${item.id}`)).status).toBe(404);
      expect((await api.get('/instance/webhooks')).body.items).toEqual([]);
    });

    it('refuses bad settings, read-only keys and other instances’ webhooks', async () => {
      const { api, secondaryKey } = await createInstance(t.app);
      const other = await createInstance(t.app);
      const bad: [Record<string, unknown>, string][] = [
        [{ url: 'ftp://example.com/x', events: ['*'] }, '/body/url'],
        [{ url: 'not a url', events: ['*'] }, '/body/url'],
        [{ url: 'https://example.com/x', events: [] }, '/body/events'],
        [{ url: 'https://example.com/x', events: ['ticket.exploded'] }, '/body/events/0'],
        [{ url: 'https://example.com/x', events: ['*'], format: 'email' }, '/body/format'],
        [{ url: 'https://example.com/x', events: ['*'], secret: 'whsec_mine' }, '/body'],
        [{ events: ['*'] }, '/body'],
      ];
      for (const [body, path] of bad) {
        const answer = await api.post('/instance/webhooks', body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.errors.map((e: { path: string }) => e.path).join(' '), JSON.stringify(body)).toContain(path);
      }
      const { id } = await subscribe(api, { url: 'https://example.com/x', events: ['*'] });
      expect((await api.put(`/instance/webhooks/${id}`, { url: 'gopher://x' })).status).toBe(400);
      expect((await api.get(`/instance/webhooks/${id}`)).body.item.url).toBe('https://example.com/x');

      // Read-only keys see no webhooks (their URLs can be credentials) and change none.
      await api.put('/instance', { keyAccess: { secondary: 'readOnly' } });
      const readOnly = client(t.app, secondaryKey);
      expect((await readOnly.get('/instance/webhooks')).status).toBe(403);
      expect((await readOnly.post('/instance/webhooks', { url: 'https://example.com/y', events: ['*'] })).status).toBe(403);
      // …but read the event feed.
      expect((await readOnly.get('/instance/events')).status).toBe(200);

      for (const answer of [
        await other.api.get(`/instance/webhooks/${id}`),
        await other.api.put(`/instance/webhooks/${id}`, { enabled: false }),
        await other.api.post(`/instance/webhooks/${id}/test`),
        await other.api.get(`/instance/webhooks/${id}/deliveries`),
        await other.api.delete(`/instance/webhooks/${id}`),
      ]) {
        expect(answer.status).toBe(404);
      }
    });

    it('delivers each subscribed event signed per Standard Webhooks, with the event id as webhook-id', async () => {
      const { api } = await createInstance(t.app);
      const all = await receiver();
      const comments = await receiver();
      const everything = await subscribe(api, { url: all.url, events: ['*'] });
      const commentsOnly = await subscribe(api, { url: comments.url, events: ['ticket.commented'] });
      const disabled = await receiver();
      await subscribe(api, { url: disabled.url, events: ['*'], enabled: false });

      const ticket = await createTicket(api);
      expect(await deliver()).toBe(1);
      await api.post(`/tickets/${ticket.id}/comments`, { comment: 'On it', user: agent });
      expect(await deliver()).toBe(2);
      expect(disabled.received).toHaveLength(0);

      const received = all.received.map((r) => ({ ...verified(everything.secret, r), id: r.headers['webhook-id'] as string }));
      expect(received.map((r) => r.type)).toEqual(['ticket.created', 'ticket.commented']);
      const feed = (await api.get('/instance/events?order=DESC')).body.items.reverse();
      expect(received.map((r) => r.id)).toEqual(feed.map((e: { id: string }) => e.id));
      for (const [i, r] of received.entries()) {
        // The body is { type, timestamp, data }: the feed's event.
        expect({ type: r.type, timestamp: r.timestamp, data: r.data }).toEqual({ type: feed[i].type, timestamp: feed[i].timestamp, data: feed[i].data });
      }
      expect(received[0]!.data).toMatchObject({ ticket: { id: ticket.id, ticketId: ticket.ticketId, title: 'A ticket', status: 'Open' }, user: requestor });
      const header = all.received[0]!.headers;
      expect(header['content-type']).toBe('application/json');
      expect(Math.abs(Number(header['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(header['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
      // Signed with this webhook's own secret: another's does not verify it.
      expect(() => verified(commentsOnly.secret, all.received[0]!)).toThrow();
      expect(comments.received.map((r) => verified(commentsOnly.secret, r).type)).toEqual(['ticket.commented']);
      expect(comments.received[0]!.headers['webhook-id']).toBe(all.received[1]!.headers['webhook-id']);

      // Delivered is delivered: nothing goes twice.
      clock.advance(DAY);
      expect(await deliver()).toBe(0);
      const log = (await api.get(`/instance/webhooks/${everything.id}/deliveries`)).body;
      expect(log.items.map((d: { eventType: string; status: string }) => [d.eventType, d.status])).toEqual([
        ['ticket.commented', 'delivered'],
        ['ticket.created', 'delivered'],
      ]);
      expect(log.items[0]).toMatchObject({
        id: received[1]!.id,
        eventId: received[1]!.id,
        webhookId: everything.id,
        attemptCount: 1,
        nextAttemptOn: null,
        lastStatusCode: 204,
      });
      // The feed shows each event's delivery state.
      const states = (await api.get('/instance/events?order=DESC')).body.items.map((e: { deliveries: unknown; deliveredOn: string | null }) => [
        e.deliveries,
        e.deliveredOn,
      ]);
      expect(states).toEqual([
        [{ pending: 0, delivered: 2, failed: 0 }, expect.any(String)],
        [{ pending: 0, delivered: 1, failed: 0 }, expect.any(String)],
      ]);
    });

    it('retries a failing receiver with backoff and jitter until it answers 2xx, with the same webhook-id, logging every attempt', async () => {
      const { api } = await createInstance(t.app);
      const flaky = await receiver((n) =>
        n === 0 ? { status: 500, body: 'boom' } : n === 1 ? { status: 404 } : n === 2 ? { status: 503 } : { status: 200, body: 'ok' },
      );
      const { id, secret } = await subscribe(api, { url: flaky.url, events: ['ticket.created'] });
      await createTicket(api);
      expect(await deliver()).toBe(1);
      // About 5 s later (4 to 6 with jitter), then about 30 s, then about 2 min.
      clock.advance(3 * SECOND);
      expect(await deliver()).toBe(0);
      clock.advance(3 * SECOND);
      expect(await deliver()).toBe(1);
      clock.advance(23 * SECOND);
      expect(await deliver()).toBe(0);
      clock.advance(14 * SECOND);
      expect(await deliver()).toBe(1);
      clock.advance(95 * SECOND);
      expect(await deliver()).toBe(0);
      clock.advance(50 * SECOND);
      expect(await deliver()).toBe(1);
      clock.advance(HOUR);
      expect(await deliver()).toBe(0);

      expect(new Set(flaky.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
      for (const request of flaky.received) expect(verified(secret, request).type).toBe('ticket.created');
      const [delivery] = (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items;
      expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 4, lastStatusCode: 200, lastError: null, nextAttemptOn: null });
      expect(
        delivery.attempts.map((a: { attempt: number; statusCode: number; error: string | null; response: string | null }) => [
          a.attempt,
          a.statusCode,
          a.error,
          a.response,
        ]),
      ).toEqual([
        [1, 500, 'HTTP 500', 'boom'],
        [2, 404, 'HTTP 404', null],
        [3, 503, 'HTTP 503', null],
        [4, 200, null, 'ok'],
      ]);
      for (const attempt of delivery.attempts) expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
      expect(new Set(delivery.attempts.map((a: { createdOn: string }) => a.createdOn)).size).toBe(4);
      // A success heals the webhook.
      expect((await api.get(`/instance/webhooks/${id}`)).body.item.failingSince).toBeNull();
    });

    it('gives up on an answer that takes longer than the timeout, waits for a slow one within it, and never follows redirects', async () => {
      const { api } = await createInstance(t.app);
      const hanging = await receiver(() => 'hang');
      const slow = await receiver(() => ({ status: 202, delayMs: 200 }));
      const target = await receiver();
      const redirecting = await receiver(() => ({ status: 307, headers: { location: target.url } }));
      const hangingHook = await subscribe(api, { url: hanging.url, events: ['*'] });
      const slowHook = await subscribe(api, { url: slow.url, events: ['*'] });
      const redirectHook = await subscribe(api, { url: redirecting.url, events: ['*'] });
      await createTicket(api);
      const started = Date.now();
      expect(await deliver()).toBe(3);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(hanging.received).toHaveLength(1);
      expect(target.received).toHaveLength(0);

      const log = async (id: string) => (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items[0];
      expect(await log(hangingHook.id)).toMatchObject({ status: 'pending', lastStatusCode: null, lastError: 'no answer within 0.5 s' });
      expect((await log(hangingHook.id)).attempts[0].durationMs).toBeGreaterThanOrEqual(450);
      expect(await log(slowHook.id)).toMatchObject({ status: 'delivered', lastStatusCode: 202 });
      expect((await log(slowHook.id)).attempts[0].durationMs).toBeGreaterThanOrEqual(190);
      expect(await log(redirectHook.id)).toMatchObject({ status: 'pending', lastStatusCode: 307 });
      expect((await log(redirectHook.id)).lastError).toMatch(/^HTTP 307: redirects are not followed/);
      // Both are tried again later, and still nothing reaches the redirect's target.
      clock.advance(6 * SECOND);
      expect(await deliver()).toBe(2);
      expect(hanging.received).toHaveLength(2);
      expect(redirecting.received).toHaveLength(2);
      expect(target.received).toHaveLength(0);
    });

    it('fails a delivery after 3 days of retries and disables a webhook that failed for 3 days, with an event', async () => {
      const { api } = await createInstance(t.app);
      const down = await receiver(() => ({ status: 500 }));
      const watcher = await receiver();
      const failing = await subscribe(api, { url: `${down.url}?token=s3cret`, events: ['ticket.created'] });
      const watching = await subscribe(api, { url: watcher.url, events: ['webhook.disabled'] });
      const start = Date.parse(clock.now());
      await createTicket(api);
      const attemptsAt: number[] = [];
      // Steps small where attempts are close together and at the end of the window, large between.
      for (let elapsed = 0; elapsed <= 3 * DAY + HOUR; elapsed = Date.parse(clock.now()) - start) {
        if ((await deliver()) > 0) attemptsAt.push(elapsed);
        clock.advance(elapsed < 15 * MINUTE ? 20 * SECOND : elapsed < 3 * DAY - 15 * MINUTE ? 5 * MINUTE : MINUTE);
      }
      // At 0, ≈5 s, 30 s, 2 min, 10 min, 1 h, 6 h, then daily (±20 %), and a last one at the end of the 3 days.
      expect(attemptsAt.length).toBeGreaterThanOrEqual(10);
      expect(attemptsAt.length).toBeLessThanOrEqual(11);
      expect(attemptsAt[attemptsAt.length - 1]).toBeGreaterThanOrEqual(3 * DAY);
      expect(attemptsAt[attemptsAt.length - 1]).toBeLessThanOrEqual(3 * DAY + MINUTE);
      expect(attemptsAt.slice(0, 2)).toEqual([0, 20 * SECOND]);
      expect(attemptsAt[6]).toBeGreaterThan(6 * HOUR);
      const [delivery] = (await api.get(`/instance/webhooks/${failing.id}/deliveries`)).body.items;
      expect(delivery).toMatchObject({ status: 'failed', attemptCount: attemptsAt.length, nextAttemptOn: null, finishedOn: expect.any(String) });

      const disabled = (await api.get(`/instance/webhooks/${failing.id}`)).body.item;
      expect(disabled).toMatchObject({ enabled: false, disabledReason: 'failing', failingSince: new Date(start).toISOString() });
      const [event] = (await api.get('/instance/events?order=DESC&type=webhook.disabled')).body.items;
      expect(event).toMatchObject({ type: 'webhook.disabled', ticketId: null, data: { webhook: { id: failing.id }, reason: 'failing' } });
      // The URL in the event leaves out its query (a credential, here).
      expect(JSON.stringify(event)).not.toContain('s3cret');
      await deliver();
      expect(watcher.received.map((r) => verified(watching.secret, r).type)).toEqual(['webhook.disabled']);

      // Disabled: new events are not queued for it; enabling it starts afresh.
      await createTicket(api);
      clock.advance(MINUTE);
      await deliver();
      expect((await api.get(`/instance/webhooks/${failing.id}/deliveries`)).body.items).toHaveLength(1);
      const enabled = await api.put(`/instance/webhooks/${failing.id}`, { enabled: true });
      expect(enabled.body.item).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    });

    it('rests an endpoint after repeated failures, then probes it with one delivery before sending the rest', async () => {
      const { api } = await createInstance(t.app);
      let up = false;
      const endpoint = await receiver(() => (up ? { status: 200 } : { status: 503 }));
      const { id } = await subscribe(api, { url: endpoint.url, events: ['ticket.created'] });
      for (let i = 0; i < 8; i++) await createTicket(api, { title: `t${i}` });
      expect(await deliver()).toBe(8); // all fail: 8 in a row
      expect((await api.get(`/instance/webhooks/${id}`)).body.item.failingSince).toBe(clock.now());
      clock.advance(7 * SECOND);
      expect(await deliver()).toBe(1); // the endpoint rested (about 5 s); one probe, the others wait
      expect(endpoint.received).toHaveLength(9);
      up = true;
      clock.advance(MINUTE);
      expect(await deliver()).toBe(1); // the next probe succeeds …
      expect((await api.get(`/instance/webhooks/${id}`)).body.item.failingSince).toBeNull();
      clock.advance(11 * SECOND);
      expect(await deliver()).toBe(7); // … and the others follow
      const log = (await api.get(`/instance/webhooks/${id}/deliveries?status=delivered`)).body.items;
      expect(log).toHaveLength(8);
    });

    it("leaves private notes' text out unless the webhook includes private notes", async () => {
      const { api } = await createInstance(t.app);
      const outside = await receiver();
      const inside = await receiver();
      const plain = await subscribe(api, { url: outside.url, events: ['ticket.commented'] });
      const trusted = await subscribe(api, { url: inside.url, events: ['ticket.commented'], includePrivate: true });
      const ticket = await createTicket(api);
      await api.post(`/tickets/${ticket.id}/comments`, { comment: 'the password is hunter2', isPrivate: true, user: agent });
      await api.post(`/tickets/${ticket.id}/comments`, { comment: 'We are on it', user: agent });
      await deliver();
      // Sent side by side: in either order.
      const outsideData = outside.received.map((r) => verified(plain.secret, r).data);
      expect(outsideData.find((d) => d.isPrivate)).toMatchObject({ isPrivate: true, comment: null, user: agent, ticket: { id: ticket.id } });
      expect(outsideData.find((d) => !d.isPrivate)).toMatchObject({ isPrivate: false, comment: 'We are on it' });
      for (const request of outside.received) expect(request.body).not.toContain('hunter2');
      expect(inside.received.map((r) => verified(trusted.secret, r).data.comment).sort()).toEqual(['We are on it', 'the password is hunter2']);
    });

    it('test-fires a webhook now and redelivers a delivery with the same webhook-id', async () => {
      const { api } = await createInstance(t.app);
      let answer: Answer = { status: 200 };
      const endpoint = await receiver(() => answer);
      const { id, secret } = await subscribe(api, { url: endpoint.url, events: ['ticket.created'], enabled: false, description: 'ops' });

      const tested = await api.post(`/instance/webhooks/${id}/test`);
      expect(tested.status).toBe(200);
      expect(tested.body.item).toMatchObject({ eventType: 'webhook.test', status: 'delivered', attemptCount: 1, lastStatusCode: 200 });
      expect(tested.body.item.attempts).toEqual([
        { attempt: 1, createdOn: clock.now(), durationMs: expect.any(Number), statusCode: 200, error: null, response: null },
      ]);
      const body = verified(secret, endpoint.received[0]!);
      expect(body).toMatchObject({ type: 'webhook.test', data: { webhook: { id, description: 'ops' } } });
      expect(endpoint.received[0]!.headers['webhook-id']).toBe(tested.body.item.id);
      // Not an event of the feed.
      expect((await api.get('/instance/events?order=DESC&type=webhook.test')).body.items).toEqual([]);

      answer = { status: 500 };
      const failed = await api.post(`/instance/webhooks/${id}/test`);
      expect(failed.body.item).toMatchObject({ status: 'failed', lastStatusCode: 500 });
      // A disabled webhook's deliveries are not redelivered; an enabled one's are, due at once.
      const redeliver = `/instance/webhooks/${id}/deliveries/${failed.body.item.id}/redeliver`;
      expect((await api.post(redeliver)).status).toBe(409);
      await api.put(`/instance/webhooks/${id}`, { enabled: true });
      answer = { status: 200 };
      const queued = await api.post(redeliver);
      expect(queued.status).toBe(202);
      expect(queued.body.item).toMatchObject({ status: 'pending', nextAttemptOn: clock.now(), attemptCount: 1 });
      expect(await deliver()).toBe(1);
      expect(endpoint.received.map((r) => r.headers['webhook-id'])).toEqual([tested.body.item.id, failed.body.item.id, failed.body.item.id]);
      const log = (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items;
      expect(log.map((d: { id: string; status: string; attemptCount: number }) => [d.id, d.status, d.attemptCount])).toEqual([
        [failed.body.item.id, 'delivered', 2],
        [tested.body.item.id, 'delivered', 1],
      ]);
      expect((await api.post(`/instance/webhooks/${id}/deliveries/nope/redeliver`)).status).toBe(404);
    });

    it('pages the delivery log newest first', async () => {
      const { api } = await createInstance(t.app);
      const endpoint = await receiver();
      const { id } = await subscribe(api, { url: endpoint.url, events: ['ticket.created'] });
      for (let i = 0; i < 5; i++) await createTicket(api, { title: `t${i}` });
      await deliver();
      const ids: string[] = [];
      let token: string | null = null;
      do {
        const page: { body: { items: { id: string }[]; continuationToken: string | null } } = await api.get(
          `/instance/webhooks/${id}/deliveries?limit=2`,
          token ? { continuationToken: token } : {},
        );
        ids.push(...page.body.items.map((d) => d.id));
        token = page.body.continuationToken;
      } while (token);
      const feed = (await api.get('/instance/events?order=DESC')).body.items.map((e: { id: string }) => e.id);
      expect(ids).toEqual(feed);
      expect((await api.get(`/instance/webhooks/${id}/deliveries?status=failed`)).body.items).toEqual([]);
      expect((await api.get(`/instance/webhooks/${id}/deliveries?status=lost`)).status).toBe(400);
      expect((await api.get(`/instance/webhooks/${id}/deliveries?limit=101`)).status).toBe(400);
    });

    it('posts Microsoft Teams cards and Slack messages that link to the ticket', async () => {
      const { api } = await createInstance(t.app);
      const teams = await receiver(() => ({ status: 202, body: '' }));
      const slack = await receiver(() => ({ status: 200, body: 'ok' }));
      await subscribe(api, { url: teams.url, events: ['ticket.created', 'ticket.statusChanged'], format: 'teams' });
      await subscribe(api, { url: slack.url, events: ['ticket.created'], format: 'slack' });
      const ticket = await createTicket(api, { title: 'VPN <down> & out', priority: 'Urgent', assignee: agent });
      await deliver();
      await api.put(`/tickets/${ticket.id}/status`, { status: 'Resolved', resolution: 'fixed', comment: 'Rebooted', user: agent });
      await deliver();

      const card = JSON.parse(teams.received[0]!.body);
      expect(card.type).toBe('message');
      expect(card.attachments).toHaveLength(1);
      expect(card.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
      const content = card.attachments[0].content;
      expect(content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
      expect(content.body[0]).toMatchObject({ type: 'TextBlock', text: `New ticket #${ticket.ticketId}` });
      expect(content.body[1]).toMatchObject({ type: 'TextBlock', text: 'VPN <down> & out' });
      expect(content.body[2]).toEqual({
        type: 'FactSet',
        facts: [
          { title: 'Status', value: 'Open' },
          { title: 'Priority', value: 'Urgent' },
          { title: 'Assignee', value: agent.name },
          { title: 'Requestor', value: requestor.name },
        ],
      });
      expect(content.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open ticket', url: `http://ticketing.test/tickets/${ticket.ticketId}` }]);
      const resolved = JSON.parse(teams.received[1]!.body).attachments[0].content;
      expect(resolved.body[0].text).toBe(`Ticket #${ticket.ticketId}: Open → Resolved (fixed)`);
      expect(resolved.body.at(-1)).toMatchObject({ type: 'TextBlock', text: 'Rebooted' });
      // Signed like every delivery.
      expect(teams.received[0]!.headers['webhook-signature']).toMatch(/^v1,/);

      const message = JSON.parse(slack.received[0]!.body);
      expect(message.text).toBe(`New ticket #${ticket.ticketId}: VPN <down> & out`);
      expect(message.blocks[0]).toEqual({
        type: 'section',
        text: { type: 'mrkdwn', text: `*<http://ticketing.test/tickets/${ticket.ticketId}|VPN &lt;down&gt; &amp; out>*\nNew ticket #${ticket.ticketId}` },
      });
      expect(message.blocks[1].fields).toContainEqual({ type: 'mrkdwn', text: `*Assignee*\n${agent.name}` });
      expect(message.blocks.at(-1)).toEqual({
        type: 'actions',
        elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open ticket' }, url: `http://ticketing.test/tickets/${ticket.ticketId}` }],
      });
    });

    it('sweeps: queues the events a process was handed and never recorded, from the webhook’s creation on, not while it was disabled', async () => {
      const { api } = await createInstance(t.app);
      const endpoint = await receiver();
      const before = await createTicket(api, { title: 'before the webhook' });
      const { id } = await subscribe(api, { url: endpoint.url, events: ['ticket.created'] });
      const kept = await createTicket(api, { title: 'queued with its event' });
      const lost = await createLostTicket(api, 'handed and lost');
      const ticketsReceived = () => endpoint.received.map((r) => (JSON.parse(r.body) as { data: { ticket: { ticketId: number } } }).data.ticket.ticketId);

      // Within a hand-off's lease (the deadline plus 5 s), the process may still be sending it.
      expect(await deliver()).toBe(1);
      expect(ticketsReceived()).toEqual([kept.ticketId]);
      clock.advance(6 * SECOND);
      // After it, the sweep queues it; not the event from before the webhook.
      expect(await deliverSwept(1)).toBe(1);
      expect(ticketsReceived()).toEqual([kept.ticketId, lost.ticketId]);
      const deliveries = (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items;
      expect(deliveries[0]).toMatchObject({ eventId: endpoint.received[1]!.headers['webhook-id'], status: 'delivered', attemptCount: 1 });

      // Nor one written while the webhook was disabled, once it is enabled again.
      expect((await api.put(`/instance/webhooks/${id}`, { enabled: false })).status).toBe(200);
      await createTicket(api, { title: 'while disabled' });
      expect((await api.put(`/instance/webhooks/${id}`, { enabled: true })).status).toBe(200);
      clock.advance(DAY);
      expect(await deliver()).toBe(0);
      // The sweep has passed those events (not only been held back): one lost after them is sent, and only it.
      const lostAgain = await createLostTicket(api, 'handed and lost, enabled again');
      clock.advance(6 * SECOND);
      expect(await deliverSwept(1)).toBe(1);
      expect(ticketsReceived()).toEqual([kept.ticketId, lost.ticketId, lostAgain.ticketId]);
      expect(ticketsReceived()).not.toContain(before.ticketId);
    });

    it('sweeps: positions a webhook written without a position at the feed’s end, and sends it no history', async () => {
      const { api, id: instanceId } = await createInstance(t.app);
      const endpoint = await receiver();
      await createTicket(api, { title: 'history' });
      const { id } = await subscribe(api, { url: endpoint.url, events: ['ticket.created'] });
      // As a server of the version before migration 019 writes one, during a rolling upgrade.
      await sql`UPDATE webhooks SET swept_tx_id = NULL, swept_seq = NULL WHERE instance_id = ${instanceId} AND id = ${id}`.execute(t.store.db);
      clock.advance(MINUTE);
      expect(await deliver()).toBe(0);
      const { rows } = await sql<{
        swept_seq: number | string | null;
      }>`SELECT swept_seq FROM webhooks WHERE instance_id = ${instanceId} AND id = ${id}`.execute(t.store.db);
      expect(rows[0]!.swept_seq).not.toBeNull();
      // From there on it is swept as any other.
      await createLostTicket(api, 'handed and lost');
      clock.advance(MINUTE);
      expect(await deliverSwept(1)).toBe(1);
      expect(endpoint.received).toHaveLength(1);
    });

    it('records a handed delivery’s outcome on the row the sweep queued meanwhile, unless a claim holds it', async () => {
      const { api, id: instanceId } = await createInstance(t.app);
      const endpoint = await receiver();
      const { id } = await subscribe(api, { url: endpoint.url, events: ['ticket.created'] });
      const webhook = (await findWebhook(t.store.db, t.store.dialect, instanceId, id))!;
      const sender = new WebhookSender({ timeoutMs: 500, allowPrivate: true });
      // The worker's side, without its loop: sweep, claim and record by hand.
      const own = new WebhookDeliveries({ store: t.store, sender, publicUrl: () => 'http://ticketing.test', timeoutMs: 500, now: clock.now });
      try {
        const lostEvent = async (title: string) => {
          await createLostTicket(api, title);
          clock.advance(6 * SECOND);
          // Swept again while the server-wide horizon holds it back (deliverSwept, above).
          const queuedRow = async () => {
            while (await own.sweep());
            return (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items.find((d: { status: string }) => d.status === 'pending');
          };
          await expect.poll(queuedRow, { timeout: 10_000 }).toBeDefined();
          const queued = await queuedRow();
          expect(queued).toMatchObject({ status: 'pending', attemptCount: 0 });
          return queued.eventId as string;
        };
        /** The outcome of its first attempt, as the process it was handed to would record it late. */
        const handedOutcome = (eventId: string, ok: boolean) => ({
          claimed: {
            key: { instanceId, webhookId: id, eventId },
            attempts: 1,
            attemptLog: [],
            retryUntil: clock.now(),
            envelope: { type: 'ticket.created', timestamp: clock.now(), data: {} },
            webhook,
            handed: true as const,
            leaseUntil: Date.parse(clock.now()),
          },
          startedOn: clock.now(),
          result: { ok, statusCode: ok ? 204 : 503, durationMs: 3, error: null, response: null },
        });
        const delivery = async (eventId: string) =>
          (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items.find((d: { eventId: string }) => d.eventId === eventId);

        // Queued, not claimed yet: the late outcome takes the row, and it is not sent again.
        const first = await lostEvent('late outcome, row not claimed');
        await own.record([handedOutcome(first, true)]);
        expect(await delivery(first)).toMatchObject({ status: 'delivered', attemptCount: 1, lastStatusCode: 204 });
        expect(await deliver()).toBe(0);

        // Queued and claimed: the claim's attempt is the one that counts.
        const second = await lostEvent('late outcome, row claimed');
        const [claimed] = await own.claimDue(10);
        expect(claimed!.key.eventId).toBe(second);
        await own.record([handedOutcome(second, false)]);
        expect(await delivery(second)).toMatchObject({ status: 'pending', attemptCount: 1, attempts: [] });
        await own.record([await own.attempt(claimed!)]);
        expect(await delivery(second)).toMatchObject({
          status: 'delivered',
          attemptCount: 1,
          lastStatusCode: 204,
          attempts: [expect.objectContaining({ statusCode: 204 })],
        });
        expect(endpoint.received.map((r) => r.headers['webhook-id'])).toEqual([second]);
      } finally {
        sender.close();
      }
    });

    it('leaves a claimed delivery that could not start early enough in its lease to the next claim, which sends it once', async () => {
      const { api } = await createInstance(t.app);
      const endpoint = await receiver();
      const { id } = await subscribe(api, { url: endpoint.url, events: ['ticket.created'] });
      const sender = new WebhookSender({ timeoutMs: 500, allowPrivate: true });
      const own = new WebhookDeliveries({ store: t.store, sender, publicUrl: () => 'http://ticketing.test', timeoutMs: 500, now: clock.now });
      const log = async () => (await api.get(`/instance/webhooks/${id}/deliveries`)).body.items;
      try {
        await createTicket(api, { title: 'held too long' });
        const [claimed] = await own.claimDue(10);
        expect(claimed).toBeDefined();
        // Its process stalls: a lease of 5.5 s (the 0.5 s deadline and a 5 s margin) leaves no room
        // to send and record it once 2.5 s of it are gone.
        clock.advance(2_600);
        const late = await own.attempt(claimed!);
        expect(late.result).toMatchObject({ ok: false, late: true });
        await own.record([late]);
        expect(endpoint.received).toHaveLength(0);
        // No attempt: the claim gives back the one it counted.
        expect(await log()).toEqual([expect.objectContaining({ status: 'pending', attemptCount: 0, attempts: [] })]);
        // Nobody takes it while the lease holds; the first claim after it sends it.
        expect(await deliver()).toBe(0);
        clock.advance(3_000);
        expect(await deliver()).toBe(1);
        expect(endpoint.received).toHaveLength(1);
        expect(await log()).toEqual([
          expect.objectContaining({ status: 'delivered', attemptCount: 1, attempts: [expect.objectContaining({ attempt: 1, statusCode: 204 })] }),
        ]);
      } finally {
        sender.close();
      }
    });

    it('stops delivering to a deleted webhook', async () => {
      const { api } = await createInstance(t.app);
      const endpoint = await receiver(() => ({ status: 500 }));
      const answer = await api.post('/instance/webhooks', { url: endpoint.url, events: ['*'] });
      await createTicket(api);
      expect(await deliver()).toBe(1);
      expect((await api.delete(`/instance/webhooks/${answer.body.item.id}`)).status).toBe(204);
      clock.advance(DAY);
      expect(await deliver()).toBe(0);
      expect(endpoint.received).toHaveLength(1);
    });

    if (dialect.name === 'postgres')
      it('claims each delivery once when two workers on two connections race for them', async () => {
        const { api } = await createInstance(t.app);
        const endpoint = await receiver(() => ({ status: 200, delayMs: 5 }));
        await subscribe(api, { url: endpoint.url, events: ['*'] });
        for (let i = 0; i < 30; i++) await createTicket(api, { title: `race ${i}` });
        const other = await openMigratedStore(t.databaseUrl, { synchronous: 'NORMAL', poolSize: 4 });
        const sender = new WebhookSender({ timeoutMs: 2000, allowPrivate: true });
        try {
          const rival = new WebhookDeliveries({ store: other, sender, publicUrl: () => 'http://ticketing.test', timeoutMs: 2000, now: clock.now });
          const race = async (deliveries: { claimDue(n: number): Promise<unknown[]> } & Pick<WebhookDeliveries, 'attempt' | 'record'>) => {
            for (;;) {
              const claimed = (await deliveries.claimDue(4)) as Parameters<WebhookDeliveries['attempt']>[0][];
              if (claimed.length === 0) return;
              await deliveries.record(await Promise.all(claimed.map((c) => deliveries.attempt(c))));
            }
          };
          await Promise.all([t.webhooks.runDue(), race(rival), race(rival)]);
        } finally {
          sender.close();
          await other.close();
        }
        const ids = endpoint.received.map((r) => r.headers['webhook-id']);
        expect(ids).toHaveLength(30);
        expect(new Set(ids).size).toBe(30);
      });
  });
}

describe.each(DIALECTS.filter((d) => !d.skip))('webhooks without WEBHOOK_ALLOW_PRIVATE ($name)', ({ name }) => {
  const clock = new FakeClock();
  let t: TestApp;
  let endpoint: Receiver;
  /** DNS as a test sets it: a name resolves to whatever the test says now (rebinding). */
  const dns = new Map<string, string[]>();
  beforeAll(async () => {
    endpoint = await startReceiver();
    t = await createTestApp(name, {
      clock,
      ownDatabase: true,
      env: { WEBHOOK_TIMEOUT_MS: '1000' },
      resolve: async (hostname) => (dns.get(hostname) ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    });
  });
  afterAll(async () => {
    await t?.close();
    await endpoint?.close();
  });

  it('refuses loopback, private, link-local, metadata and CGNAT addresses when saved', async () => {
    const { api } = await createInstance(t.app);
    const port = endpoint.port;
    for (const url of [
      `http://127.0.0.1:${port}/hook`,
      `http://localhost:${port}/hook`,
      'http://api.localhost/hook',
      'http://10.1.2.3/hook',
      'http://172.20.0.1/hook',
      'http://192.168.1.10/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://100.64.0.1/hook',
      'http://0.0.0.0/hook',
      'http://2130706433/hook', // 127.0.0.1 as one number
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://[::ffff:a9fe:a9fe]/hook', // 169.254.169.254, IPv4-mapped
      'http://[fd00:ec2::254]/hook',
      'http://[fe80::1]/hook',
    ]) {
      const answer = await api.post('/instance/webhooks', { url, events: ['*'] });
      expect(answer.status, url).toBe(400);
      expect(answer.body.errors[0].path).toBe('/body/url');
      expect(answer.body.errors[0].message).toContain('WEBHOOK_ALLOW_PRIVATE');
    }
    expect((await api.post('/instance/webhooks', { url: 'https://8.8.8.8/hook', events: ['*'] })).status).toBe(201);
  });

  it('refuses at connect time a name that resolves to a private address now (DNS rebinding)', async () => {
    const { api } = await createInstance(t.app);
    const url = `http://hooks.rebinding.test:${endpoint.port}/hook`;
    dns.set('hooks.rebinding.test', ['93.184.215.14']); // public when saved
    const created = await api.post('/instance/webhooks', { url, events: ['ticket.created'] });
    expect(created.status).toBe(201);
    const id = created.body.item.id;
    dns.set('hooks.rebinding.test', ['10.0.0.7', '192.168.0.7']); // private by the time an event is sent
    await createTicket(api);
    await t.webhooks.runDue();
    const [delivery] = (await api.get(`/instance/webhooks/${id}/deliveries?status=pending`)).body.items;
    expect(delivery.lastError).toBe('refused: hooks.rebinding.test resolves to 10.0.0.7, a private address');
    for (const addresses of [['127.0.0.1'], ['::1'], ['::ffff:127.0.0.1'], ['169.254.169.254']]) {
      dns.set('hooks.rebinding.test', addresses);
      const tested = await api.post(`/instance/webhooks/${id}/test`);
      expect(tested.body.item.status, addresses.join()).toBe('failed');
      expect(tested.body.item.lastError).toMatch(new RegExp(`^refused: hooks.rebinding.test resolves to ${addresses[0]!.replaceAll('.', '\\.')}, a `));
    }
    expect(endpoint.received).toHaveLength(0);
    await api.delete(`/instance/webhooks/${id}`);
  });
});
