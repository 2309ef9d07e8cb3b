import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, client, createInstance, createTestApp, createTicket, DIALECTS, requestor, signInPerson, type TestApp } from './helpers.js';

/*
 * Canned responses (docs/api.md §16): CRUD under /instance/canned-responses, roles (admins write,
 * agents read and render, viewers neither), HTML sanitised as comments are, placeholders checked
 * on write and filled by render.
 */

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`canned responses (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    it('creates, lists, reads, changes and deletes them', async () => {
      const { api } = await createInstance(t.app);
      const made = await api.post('/instance/canned-responses', { title: 'Thanks', body: 'Hi {{requester.name}},\nthanks!', user: agent });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const item = made.body.item;
      expect(item).toMatchObject({
        title: 'Thanks',
        body: 'Hi {{requester.name}},\nthanks!',
        body_HTML: 'Hi {{requester.name}},<br>thanks!',
        shared: true,
        createdBy: agent,
      });
      expect(made.headers.location).toBe(`/api/v1/instance/canned-responses/${item.id}`);
      expect((await api.post('/instance/canned-responses', { title: 'About', body: 'x' })).body.item.createdBy).toBeNull();

      expect((await api.get('/instance/canned-responses')).body.items.map((r: any) => r.title)).toEqual(['About', 'Thanks']);
      expect((await api.get(`/instance/canned-responses/${item.id}`)).body.item).toEqual(item);

      const changed = await api.put(`/instance/canned-responses/${item.id}`, { title: 'Thank you', body_HTML: '<p>Hi <b>{{ requester.name }}</b></p>' });
      expect(changed.status, JSON.stringify(changed.body)).toBe(200);
      expect(changed.body.item).toMatchObject({ title: 'Thank you', body: 'Hi {{ requester.name }}', body_HTML: '<p>Hi <b>{{ requester.name }}</b></p>' });
      expect(changed.body.item.lastUpdatedOn >= item.lastUpdatedOn).toBe(true);

      expect((await api.delete(`/instance/canned-responses/${item.id}`)).status).toBe(204);
      expect((await api.get(`/instance/canned-responses/${item.id}`)).status).toBe(404);
      expect((await api.delete(`/instance/canned-responses/${item.id}`)).status).toBe(404);
      expect((await api.put(`/instance/canned-responses/${item.id}`, { title: 'x' })).status).toBe(404);

      // Another instance's response is not found, never forbidden.
      const other = await createInstance(t.app);
      const theirs = (await other.api.post('/instance/canned-responses', { title: 'Theirs', body: 'x' })).body.item;
      expect((await api.get(`/instance/canned-responses/${theirs.id}`)).status).toBe(404);
    });

    it('sanitises HTML as comments are, and refuses what is not a canned response', async () => {
      const { api } = await createInstance(t.app);
      const res = await api.post('/instance/canned-responses', {
        title: 'Risky',
        body_HTML: '<p onclick="x()">Hello <script>alert(1)</script><a href="javascript:alert(1)">link</a> {{agent.name}}</p>',
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.item.body_HTML).not.toMatch(/script|onclick|javascript:/);
      expect(res.body.item.body).toContain('Hello');

      for (const [body, path] of [
        [{ title: 'No text' }, '/body/body'],
        [{ title: 'Blank HTML', body_HTML: '<script>x</script>' }, '/body/body_HTML'],
        [{ title: '', body: 'x' }, '/body/title'],
        [{ title: 'Typo', body: 'Hi {{requester.nam}}' }, '/body/body'],
        [{ title: 'Typo', body_HTML: '<p>{{ticket.numbr}}</p>' }, '/body/body_HTML'],
        [{ title: 'Extra', body: 'x', id: 'mine' }, '/body/id'],
      ] as const) {
        const refused = await api.post('/instance/canned-responses', body);
        expect([refused.status, refused.body.code], JSON.stringify(body)).toEqual([400, 'validation_failed']);
        expect(
          refused.body.errors.map((e: any) => e.path),
          JSON.stringify(refused.body),
        ).toContain(path);
      }
    });

    it('fills placeholders in for a ticket, escaping them in HTML', async () => {
      const { api } = await createInstance(t.app);
      const ticket = await createTicket(api, { title: 'Printer <on> fire', requestor: { ...requestor, name: 'Jo <b>Doe</b>' } });
      const response = (
        await api.post('/instance/canned-responses', {
          title: 'Reply',
          body: 'Hi {{requester.name}}, about #{{ticket.number}} ({{ticket.title}}): {{agent.name}} <{{agent.email}}> is on it.',
        })
      ).body.item;
      const rendered = await api.post(`/instance/canned-responses/${response.id}/render`, { ticketId: ticket.ticketId, user: agent });
      expect(rendered.status, JSON.stringify(rendered.body)).toBe(200);
      expect(rendered.body.item).toEqual({
        id: response.id,
        title: 'Reply',
        body: `Hi Jo <b>Doe</b>, about #${ticket.ticketId} (Printer <on> fire): Alex Wilber <alexw@example.com> is on it.`,
        body_HTML: `Hi Jo &lt;b&gt;Doe&lt;/b&gt;, about #${ticket.ticketId} (Printer &lt;on&gt; fire): Alex Wilber &lt;alexw@example.com&gt; is on it.`,
      });
      // With a key and no user, nobody is the agent; by UUID as by number.
      const anonymous = await api.post(`/instance/canned-responses/${response.id}/render`, { ticketId: ticket.id });
      expect(anonymous.body.item.body).toContain(':  <> is on it.');
      // Rendering writes nothing.
      expect((await api.get(`/tickets/${ticket.id}/activities`)).body.items).toEqual([]);

      const noTicket = await api.post(`/instance/canned-responses/${response.id}/render`, { ticketId: 9999 });
      expect([noTicket.status, noTicket.body.errors?.[0]?.path]).toEqual([400, '/body/ticketId']);
      expect((await api.post(`/instance/canned-responses/not-there/render`, { ticketId: ticket.id })).status).toBe(404);
    });

    it('lets admins write them, agents read and render the shared ones, and viewers neither', async () => {
      const { api, primaryKey } = await createInstance(t.app);
      const ticket = await createTicket(api);
      const admin = await signInPerson(t.app, primaryKey, { role: 'admin' });
      const agentPerson = await signInPerson(t.app, primaryKey, { role: 'agent', name: 'Agent Smith' });
      const viewer = await signInPerson(t.app, primaryKey, { role: 'viewer' });

      const shared = await admin.web.post('/instance/canned-responses', { title: 'Shared', body: 'From {{agent.name}}' });
      expect(shared.status).toBe(201);
      expect(shared.body.item.createdBy.id).toBe(admin.person.id);
      const draft = (await admin.web.post('/instance/canned-responses', { title: 'Draft', body: 'x', shared: false })).body.item;

      expect((await admin.web.get('/instance/canned-responses')).body.items.map((r: any) => r.title)).toEqual(['Draft', 'Shared']);
      expect((await api.get('/instance/canned-responses')).body.items).toHaveLength(2);
      expect((await agentPerson.web.get('/instance/canned-responses')).body.items.map((r: any) => r.title)).toEqual(['Shared']);
      expect((await agentPerson.web.get(`/instance/canned-responses/${draft.id}`)).status).toBe(404);

      const rendered = await agentPerson.web.post(`/instance/canned-responses/${shared.body.item.id}/render`, { ticketId: ticket.id });
      expect(rendered.body.item.body).toBe('From Agent Smith');
      // A person renders as themselves, whatever user the body names.
      const asOther = await agentPerson.web.post(`/instance/canned-responses/${shared.body.item.id}/render`, { ticketId: ticket.id, user: agent });
      expect(asOther.status).toBe(400);

      for (const res of [
        await agentPerson.web.post('/instance/canned-responses', { title: 'Mine', body: 'x' }),
        await agentPerson.web.put(`/instance/canned-responses/${draft.id}`, { shared: true }),
        await agentPerson.web.delete(`/instance/canned-responses/${draft.id}`),
        await viewer.web.get('/instance/canned-responses'),
        await viewer.web.post(`/instance/canned-responses/${shared.body.item.id}/render`, { ticketId: ticket.id }),
      ]) {
        expect([res.status, res.body.code]).toEqual([403, 'forbidden']);
      }
      expect((await admin.web.put(`/instance/canned-responses/${draft.id}`, { shared: true })).body.item.shared).toBe(true);
      expect((await agentPerson.web.get('/instance/canned-responses')).body.items).toHaveLength(2);

      // A read-only key reads them; it writes none.
      expect((await api.put('/instance', { keyAccess: { secondary: 'readOnly' } })).status).toBe(200);
      const readOnly = client(t.app, (await api.post('/instance/keys/secondary/regenerate')).body.key);
      expect((await readOnly.get('/instance/canned-responses')).status).toBe(200);
      expect((await readOnly.post('/instance/canned-responses', { title: 'No', body: 'x' })).status).toBe(403);
    });
  });
}
