import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, createInstance, createTestApp, createTicket, DIALECTS, type Client, type Reply, type TestApp } from './helpers.js';

/*
 * ETags of tickets and If-Match on their writes (docs/api.md §5, docs/decisions/020-ticket-etags.md):
 * a read and a write answer the ticket's ETag; a write sent with a stale If-Match answers 412
 * precondition_failed with the current ticket; the tag changes with every write a client could see.
 */

const etagOf = (res: Reply): string => {
  const tag = res.headers.etag;
  expect(typeof tag, `no ETag on ${res.status}`).toBe('string');
  return tag as string;
};

function expectStale(res: Reply, current: { id: string }) {
  expect(res.status, JSON.stringify(res.body)).toBe(412);
  expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(res.body.code).toBe('precondition_failed');
  expect(res.body.item.id).toBe(current.id);
  expect(typeof res.headers.etag).toBe('string');
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`ticket ETags and If-Match (${dialect.name})`, () => {
    let t: TestApp;
    let api: Client;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
      ({ api } = await createInstance(t.app, 'ETags'));
    });
    afterAll(async () => t?.close());

    it('a read answers a strong ETag, the same until the ticket changes, another with include=description_HTML', async () => {
      const created = await api.post('/tickets', { ticket: { title: 'Printer', requestor: agent }, user: agent });
      expect(created.status).toBe(201);
      const fromCreate = etagOf(created);
      expect(fromCreate).toMatch(/^"[^"]+"$/); // strong: no W/
      const id = created.body.item.id;
      const read = await api.get(`/tickets/${id}`);
      expect(etagOf(read)).toBe(fromCreate);
      expect(etagOf(await api.get(`/tickets/${created.body.item.ticketId}`))).toBe(fromCreate);
      const withHtml = etagOf(await api.get(`/tickets/${id}?include=description_HTML`));
      expect(withHtml).not.toBe(fromCreate);
      // Either representation's tag names the version for If-Match.
      const update = await api.put(`/tickets/${id}?include=description_HTML`, { updates: { title: 'Printer on fire' }, user: agent }, { 'if-match': withHtml });
      expect(update.status).toBe(200);
      expect(etagOf(update)).not.toBe(withHtml);
      expect(etagOf(await api.get(`/tickets/${id}?include=description_HTML`))).toBe(etagOf(update));
    });

    it('changes after an update, a status change, a comment, a private note, an assignment and an attachment', async () => {
      const ticket = await createTicket(api);
      const seen = new Set<string>([etagOf(await api.get(`/tickets/${ticket.id}`))]);
      const step = async (write: () => Promise<Reply>, expected: number) => {
        const res = await write();
        expect(res.status, JSON.stringify(res.body)).toBe(expected);
        const tag = etagOf(await api.get(`/tickets/${ticket.id}`));
        expect(seen.has(tag), `ETag ${tag} seen before`).toBe(false);
        seen.add(tag);
        return tag;
      };
      await step(() => api.put(`/tickets/${ticket.id}`, { updates: { priority: 'Urgent' }, user: agent }), 200);
      await step(() => api.put(`/tickets/${ticket.id}/status`, { status: 'Started', user: agent }), 200);
      await step(() => api.post(`/tickets/${ticket.id}/comments`, { comment: 'On it', user: agent }), 201);
      await step(() => api.post(`/tickets/${ticket.id}/comments`, { comment: 'note to self', isPrivate: true, user: agent }), 201);
      await step(() => api.put(`/tickets/${ticket.id}`, { updates: { assignee: agent }, user: agent }), 200);
      await step(
        () => api.post(`/tickets/${ticket.id}/attachments`, { attachments: [{ src: 'https://example.com/log.txt', caption: 'log' }], user: agent }),
        201,
      );
      await step(() => api.post(`/tickets/${ticket.id}/status`, { status: 'Resolved', resolution: 'fixed', user: agent }), 200);
      // An update that changes nothing keeps the version, and answers the tag the client holds.
      const tag = etagOf(await api.get(`/tickets/${ticket.id}`));
      const same = await api.put(`/tickets/${ticket.id}`, { updates: { priority: 'Urgent' }, user: agent }, { 'if-match': tag });
      expect(same.status).toBe(200);
      expect(etagOf(same)).toBe(tag);
    });

    it('a write with the current tag, *, or none goes through; a stale tag answers 412 with the current ticket and nothing changes', async () => {
      const ticket = await createTicket(api);
      const first = etagOf(await api.get(`/tickets/${ticket.id}`));
      const ok = await api.put(`/tickets/${ticket.id}`, { updates: { title: 'one' }, user: agent }, { 'if-match': first });
      expect(ok.status).toBe(200);
      const second = etagOf(ok);

      const stale = await api.put(`/tickets/${ticket.id}`, { updates: { title: 'two' }, user: agent }, { 'if-match': first });
      expectStale(stale, ticket);
      expect(stale.body.item.title).toBe('one');
      expect(stale.headers.etag).toBe(second);
      expectStale(await api.put(`/tickets/${ticket.id}/status`, { status: 'Started', user: agent }, { 'if-match': first }), ticket);
      expectStale(await api.post(`/tickets/${ticket.id}/status`, { status: 'Started', user: agent }, { 'if-match': first }), ticket);
      expectStale(await api.post(`/tickets/${ticket.id}/comments`, { comment: 'late', user: agent }, { 'if-match': first }), ticket);
      expectStale(await api.post(`/tickets/${ticket.id}/activities`, { comment: 'late', user: agent }, { 'if-match': first }), ticket);
      // A weak tag never matches If-Match (strong comparison, RFC 9110 §13.1.1), nor does an unquoted one.
      expectStale(await api.put(`/tickets/${ticket.id}`, { updates: { title: 'two' }, user: agent }, { 'if-match': `W/${second}` }), ticket);
      expectStale(await api.put(`/tickets/${ticket.id}`, { updates: { title: 'two' }, user: agent }, { 'if-match': second.replace(/"/g, '') }), ticket);

      const after = await api.get(`/tickets/${ticket.id}`);
      expect(after.body.item.title).toBe('one');
      expect(after.body.item.status).toBe('Open');
      expect(etagOf(after)).toBe(second);
      const activities = await api.get(`/tickets/${ticket.id}/activities`);
      expect(activities.body.items.filter((a: { type: string }) => a.type === 'comment')).toEqual([]);

      // A list holding the current tag matches; so does *; no header at all too.
      const listed = await api.put(`/tickets/${ticket.id}`, { updates: { title: 'three' }, user: agent }, { 'if-match': `"nope", ${second}` });
      expect(listed.status).toBe(200);
      expect((await api.put(`/tickets/${ticket.id}`, { updates: { title: 'four' }, user: agent }, { 'if-match': '*' })).status).toBe(200);
      expect((await api.put(`/tickets/${ticket.id}`, { updates: { title: 'five' }, user: agent })).status).toBe(200);
      // A comment with the current tag goes through.
      const current = etagOf(await api.get(`/tickets/${ticket.id}`));
      expect((await api.post(`/tickets/${ticket.id}/comments`, { comment: 'in time', user: agent }, { 'if-match': current })).status).toBe(201);
    });

    it('a read with If-None-Match naming the current tag answers 304 without a body; after a write, 200 with the new tag', async () => {
      const ticket = await createTicket(api);
      const tag = etagOf(await api.get(`/tickets/${ticket.id}`));
      for (const held of [tag, `W/${tag}`, `"0.0", ${tag}`, '*']) {
        const again = await api.get(`/tickets/${ticket.id}`, { 'if-none-match': held });
        expect(again.status, held).toBe(304);
        expect(again.body, held).toBeUndefined();
        expect(again.headers.etag).toBe(tag);
      }
      // Another representation, another tag: the HTML one is sent whole.
      const withHtml = await api.get(`/tickets/${ticket.id}?include=description_HTML`, { 'if-none-match': tag });
      expect(withHtml.status).toBe(200);
      expect(withHtml.body.item.id).toBe(ticket.id);
      expect((await api.get(`/tickets/${ticket.id}`, { 'if-none-match': '"0.0"' })).status).toBe(200);
      expect((await api.put(`/tickets/${ticket.id}`, { updates: { title: 'changed' }, user: agent })).status).toBe(200);
      const changed = await api.get(`/tickets/${ticket.id}`, { 'if-none-match': tag });
      expect(changed.status).toBe(200);
      expect(changed.body.item.title).toBe('changed');
      expect(etagOf(changed)).not.toBe(tag);
      expect((await api.get('/tickets/999999', { 'if-none-match': '*' })).status).toBe(404);
    });

    it('an unknown ticket is 404 whatever If-Match says', async () => {
      const res = await api.put('/tickets/999999', { updates: { title: 'x' }, user: agent }, { 'if-match': '"1.1"' });
      expect(res.status).toBe(404);
    });

    it('of concurrent writes sent with the same If-Match, exactly one goes through', async () => {
      for (const kind of ['update', 'status', 'comment'] as const) {
        const ticket = await createTicket(api);
        const tag = etagOf(await api.get(`/tickets/${ticket.id}`));
        const write = (i: number) =>
          kind === 'update'
            ? api.put(`/tickets/${ticket.id}`, { updates: { title: `racer ${i}` }, user: agent }, { 'if-match': tag })
            : kind === 'status'
              ? api.put(`/tickets/${ticket.id}/status`, { status: i % 2 ? 'Started' : 'Closed', user: agent }, { 'if-match': tag })
              : api.post(`/tickets/${ticket.id}/comments`, { comment: `racer ${i}`, user: agent }, { 'if-match': tag });
        const results = await Promise.all([0, 1, 2, 3, 4, 5].map(write));
        const statuses = results.map((r) => r.status).sort();
        expect(
          statuses.filter((s) => s === 412),
          `${kind}: ${statuses.join(',')}`,
        ).toHaveLength(5);
        expect(
          statuses.filter((s) => s !== 412),
          kind,
        ).toHaveLength(1);
        expect([200, 201]).toContain(statuses.find((s) => s !== 412));
      }
    });

    it('the OpenAPI document names the ETag header, If-Match and the 412, If-None-Match and the 304', async () => {
      const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
      const ticket = doc.paths['/tickets/{ticketId}'];
      expect(ticket.get.responses['200'].headers.ETag).toBeDefined();
      expect(ticket.get.responses['304'].headers.ETag).toBeDefined();
      expect(ticket.get.parameters.some((p: { in: string; name: string }) => p.in === 'header' && p.name === 'if-none-match')).toBe(true);
      expect(ticket.put.responses['200'].headers.ETag).toBeDefined();
      expect(ticket.put.responses['412'].headers.ETag).toBeDefined();
      expect(ticket.put.responses['412'].content['application/problem+json'].schema.properties.item).toBeDefined();
      expect(ticket.put.parameters.some((p: { in: string; name: string }) => p.in === 'header' && p.name === 'if-match')).toBe(true);
      expect(doc.paths['/tickets/{ticketId}/status'].put.responses['412']).toBeDefined();
      expect(doc.paths['/tickets/{ticketId}/comments'].post.responses['412']).toBeDefined();
    });
  });
}
