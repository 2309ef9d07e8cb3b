import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createTestApp, DIALECTS, requestor, signInPerson, type TestApp } from './helpers.js';
import { openStream, streamAnswer } from './live-stream.js';
import { CATCH_UP_LIMIT, STREAMS_PER_INSTANCE } from '../src/domain/live.js';
import { insertEvents } from '../src/store/events.repo.js';

/*
 * Live updates (docs/api.md §13.1): GET /events/stream sends each committed event once, as the
 * caller may see it, resumes from Last-Event-ID, carries presence, and never keeps the server
 * from closing.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`live event stream (${dialect.name})`, () => {
    let t: TestApp;
    const closers: (() => void)[] = [];
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => {
      for (const close of closers) close();
      await t?.close();
    });
    const open = async (headers: Record<string, string>, query = '') => {
      const stream = await openStream(t.app, headers, query);
      closers.push(stream.close);
      return stream;
    };

    it('sends a ticket change to an open stream once it is committed, with the feed item as data', async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const stream = await open({ 'x-api-key': primaryKey });
      expect(stream.status).toBe(200);
      expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
      const ticket = (await api.post('/tickets', { ticket: { title: 'Printer on fire', requestor }, user: requestor })).body.item;
      const created = await stream.parser.next((e) => e.event === 'ticket.created');
      expect(created.data.ticket).toBe(ticket.id);
      expect(created.data.data.ticket.title).toBe('Printer on fire');
      const feed = (await api.get('/instance/events')).body.items;
      expect(created.id).toBe(feed.find((e: { type: string }) => e.type === 'ticket.created').id);
      expect(Object.keys(created.data).sort()).toEqual(Object.keys(feed[0]).sort());
      await api.put(`/tickets/${ticket.id}/status`, { status: 'Started', user: requestor });
      const changed = await stream.parser.next((e) => e.event === 'ticket.statusChanged');
      expect(changed.data.data.to).toBe('Started');
      // Another instance's events are not this stream's.
      const other = await createInstance(t.app);
      await other.api.post('/tickets', { ticket: { title: 'Elsewhere', requestor }, user: requestor });
      await api.post('/tickets', { ticket: { title: 'Marker', requestor }, user: requestor });
      await stream.parser.next((e) => e.event === 'ticket.created' && e.data.data.ticket.title === 'Marker');
      expect(stream.parser.events.filter((e) => e.event === 'ticket.created').map((e) => e.data.data.ticket.title)).toEqual(['Printer on fire', 'Marker']);
    });

    it("withholds a private note's text from a viewer, and gives it to an agent", async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const viewer = await signInPerson(t.app, primaryKey, { role: 'viewer' });
      const agent = await signInPerson(t.app, primaryKey, { role: 'agent' });
      const viewerStream = await open({ cookie: viewer.cookie });
      const agentStream = await open({ cookie: agent.cookie });
      const ticket = (await api.post('/tickets', { ticket: { title: 'Secret', requestor }, user: requestor })).body.item;
      await agent.web.post(`/tickets/${ticket.id}/comments`, { comment: 'The root password is hunter2', isPrivate: true });
      await agent.web.post(`/tickets/${ticket.id}/comments`, { comment: 'We are on it', isPrivate: false });
      const isNote = (e: { event: string; data: any }) => e.event === 'ticket.commented' && e.data.data.isPrivate === true;
      const isReply = (e: { event: string; data: any }) => e.event === 'ticket.commented' && e.data.data.isPrivate === false;
      expect((await agentStream.parser.next(isNote)).data.data.comment).toBe('The root password is hunter2');
      const seenByViewer = await viewerStream.parser.next(isNote);
      expect(seenByViewer.data.data.comment).toBeNull();
      expect(seenByViewer.data.payload.comment).toBeNull();
      expect(seenByViewer.data.data.user.name).toBe(agent.person.name);
      expect((await viewerStream.parser.next(isReply)).data.data.comment).toBe('We are on it');
      expect(viewerStream.text()).not.toContain('hunter2');
    });

    it('resumes from Last-Event-ID with exactly the events missed, and says reset for an unknown one', async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const first = await open({ 'x-api-key': primaryKey });
      await api.post('/tickets', { ticket: { title: 'Before', requestor }, user: requestor });
      const seen = await first.parser.next((e) => e.event === 'ticket.created');
      first.close();
      for (const title of ['Missed 1', 'Missed 2']) await api.post('/tickets', { ticket: { title, requestor }, user: requestor });
      const resumed = await open({ 'x-api-key': primaryKey, 'last-event-id': seen.id! });
      await resumed.parser.next((e) => e.event === 'ticket.created' && e.data.data.ticket.title === 'Missed 2');
      await api.post('/tickets', { ticket: { title: 'Live', requestor }, user: requestor });
      await resumed.parser.next((e) => e.event === 'ticket.created' && e.data.data.ticket.title === 'Live');
      expect(resumed.parser.events.filter((e) => e.event === 'ticket.created').map((e) => e.data.data.ticket.title)).toEqual(['Missed 1', 'Missed 2', 'Live']);
      // The query parameter does the same, for a first connection that knows where it was.
      const byQuery = await open({ 'x-api-key': primaryKey }, `?lastEventId=${seen.id}`);
      await byQuery.parser.next((e) => e.event === 'ticket.created' && e.data.data.ticket.title === 'Live');
      expect(byQuery.parser.events.filter((e) => e.event === 'ticket.created')).toHaveLength(3);
      const unknown = await open({ 'x-api-key': primaryKey, 'last-event-id': 'no-such-event' });
      expect((await unknown.parser.next((e) => e.event === 'reset')).data.reason).toMatch(/no event/);
    });

    it("carries presence to the instance's other streams: the person's name, the ticket and the state", async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const ben = await signInPerson(t.app, primaryKey, { role: 'agent', name: 'Ben' });
      const ada = await signInPerson(t.app, primaryKey, { role: 'agent', name: 'Ada' });
      const adaStream = await open({ cookie: ada.cookie });
      const ticket = (await api.post('/tickets', { ticket: { title: 'Presence', requestor }, user: requestor })).body.item;
      expect((await ben.web.post(`/tickets/${ticket.ticketId}/presence`, { state: 'replying' })).status).toBe(204);
      const presence = await adaStream.parser.next((e) => e.event === 'presence');
      expect(presence.id).toBeUndefined();
      expect(presence.data).toMatchObject({
        ticket: { id: ticket.id, ticketId: ticket.ticketId },
        user: { id: ben.person.id, name: 'Ben' },
        state: 'replying',
      });
      expect(Date.parse(presence.data.expiresOn)).toBeGreaterThan(Date.now());
      // Not in the feed.
      expect((await api.get('/instance/events')).body.items.map((e: { type: string }) => e.type)).toEqual(['ticket.created']);
      // An instance key says who is there; without a user it is a 400.
      expect((await api.post(`/tickets/${ticket.id}/presence`, { state: 'viewing' })).status).toBe(400);
      expect((await api.post(`/tickets/${ticket.id}/presence`, { state: 'viewing', user: requestor })).status).toBe(204);
      await adaStream.parser.next((e) => e.event === 'presence' && e.data.user.name === requestor.name);
      expect((await api.post('/tickets/999999/presence', { state: 'viewing', user: requestor })).body.code).toBe('not_found');
      expect((await api.post(`/tickets/${ticket.id}/presence`, { state: 'dancing', user: requestor })).body.code).toBe('validation_failed');
      const viewer = await signInPerson(t.app, primaryKey, { role: 'viewer' });
      expect((await viewer.web.post(`/tickets/${ticket.id}/presence`, { state: 'viewing' })).status).toBe(403);
    });

    it('tells a client that missed more than it can be sent to reload (reset), then goes on live', async () => {
      const { primaryKey, api, id: instanceId } = await createInstance(t.app);
      const first = await open({ 'x-api-key': primaryKey });
      await api.post('/tickets', { ticket: { title: 'Seen', requestor }, user: requestor });
      const seen = await first.parser.next((e) => e.event === 'ticket.created');
      first.close();
      // 1,001 events while it was away (written directly: the API would take a while).
      await t.store.dialect.transaction(t.store.db, async (tx) => {
        for (let n = 0; n < CATCH_UP_LIMIT + 1; n++) {
          await insertEvents(tx, instanceId, [
            {
              id: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`,
              type: 'ticket.idle',
              ticketId: null,
              ticketNumber: null,
              payload: { n },
              payloadJson: JSON.stringify({ n }),
              createdOn: new Date().toISOString(),
            },
          ]);
        }
      });
      const resumed = await open({ 'x-api-key': primaryKey, 'last-event-id': seen.id! });
      expect((await resumed.parser.next((e) => e.event === 'reset')).data.reason).toMatch(/more than 1000/);
      await api.post('/tickets', { ticket: { title: 'After the reset', requestor }, user: requestor });
      await resumed.parser.next((e) => e.event === 'ticket.created' && e.data.data.ticket.title === 'After the reset');
      expect(resumed.parser.events.filter((e) => e.event === 'ticket.idle')).toHaveLength(CATCH_UP_LIMIT);
    });

    it(`allows ${STREAMS_PER_INSTANCE} open streams per instance on a process, then answers 429`, async () => {
      const { primaryKey } = await createInstance(t.app);
      const streams = [];
      for (let n = 0; n < STREAMS_PER_INSTANCE; n++) streams.push(await open({ 'x-api-key': primaryKey }));
      expect(streams.every((s) => s.status === 200)).toBe(true);
      expect(await streamAnswer(t.app, { 'x-api-key': primaryKey })).toMatchObject({ status: 429, body: { code: 'rate_limited' } });
      // Another instance has its own allowance, and a closed stream frees its place.
      expect((await streamAnswer(t.app, { 'x-api-key': (await createInstance(t.app)).primaryKey })).status).toBe(200);
      streams[0]!.close();
      await streams[0]!.ended;
      await expect.poll(async () => (await streamAnswer(t.app, { 'x-api-key': primaryKey })).status).toBe(200);
      for (const stream of streams) stream.close();
    });

    it('lets a read-only key follow the stream but not announce presence', async () => {
      const { api, secondaryKey } = await createInstance(t.app);
      await api.put('/instance', { keyAccess: { secondary: 'readOnly' } });
      const stream = await open({ 'x-api-key': secondaryKey });
      expect(stream.status).toBe(200);
      const ticket = (await api.post('/tickets', { ticket: { title: 'Read only', requestor }, user: requestor })).body.item;
      await stream.parser.next((e) => e.event === 'ticket.created');
      const refused = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tickets/${ticket.id}/presence`,
        headers: { 'x-api-key': secondaryKey, 'content-type': 'application/json' },
        payload: JSON.stringify({ state: 'viewing', user: requestor }),
      });
      expect(refused.statusCode).toBe(403);
    });

    // PostgreSQL only (SQLite has no LISTEN connection): registered there alone rather than shown as skipped on SQLite.
    if (dialect.name === 'postgres')
      it('keeps streaming when the LISTEN connection is cut: it comes back and reads what it missed', async () => {
        const { primaryKey, api } = await createInstance(t.app);
        const stream = await open({ 'x-api-key': primaryKey });
        const cut =
          await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'ticketing-live'`.execute(
            t.store.db,
          );
        expect(cut.rows.length).toBeGreaterThan(0);
        await api.post('/tickets', { ticket: { title: 'While cut off', requestor }, user: requestor });
        await stream.parser.next((e) => e.event === 'ticket.created' && e.data.data.ticket.title === 'While cut off');
        await api.post('/tickets', { ticket: { title: 'After', requestor }, user: requestor });
        await stream.parser.next((e) => e.event === 'ticket.created' && e.data.data.ticket.title === 'After');
        expect(stream.parser.events.filter((e) => e.event === 'ticket.created')).toHaveLength(2);
      });

    it('needs a credential like every route', async () => {
      expect(await streamAnswer(t.app, {})).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    });

    it('lets the server close while streams are open: they end', async () => {
      const own = await createTestApp(dialect.name);
      const { primaryKey } = await createInstance(own.app);
      const stream = await openStream(own.app, { 'x-api-key': primaryKey });
      await own.close();
      await stream.ended;
      expect(stream.text()).toContain(': connected');
    });
  });
}
