import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartForm, type FormPart } from './attachment-form.js';
import { client, createInstance, createTestApp, DIALECTS, FakeClock, requestor, signInPerson, type TestApp } from './helpers.js';

/** Personal access tokens: scripts and integrations acting as a person (docs/api.md §14). */
for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`personal access tokens (${dialect.name})`, () => {
    let t: TestApp;
    const clock = new FakeClock();
    beforeAll(async () => {
      t = await createTestApp(dialect.name, { clock });
    });
    afterAll(async () => t?.close());

    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const withHeader = (headers: Record<string, string>) => t.app.inject({ method: 'GET', url: '/api/v1/instance/users/me', headers });

    it('shows a token once, keeps only its hash, and acts as its person wherever a key may go', async () => {
      const { primaryKey } = await createInstance(t.app);
      const { person, web } = await signInPerson(t.app, primaryKey, { name: 'Scripting Agent' });
      const made = await web.post('/instance/users/me/tokens', { name: 'Nightly export', expiresOn: '2027-01-01T00:00:00Z' });
      expect(made.status).toBe(201);
      const { token, item } = made.body;
      expect(token).toMatch(/^tkp_[A-Za-z0-9_-]{43}$/);
      expect(item).toEqual({
        id: expect.any(String),
        personId: person.id,
        name: 'Nightly export',
        access: 'readWrite',
        createdOn: clock.now(),
        expiresOn: '2027-01-01T00:00:00.000Z',
      });
      const listed = await web.get('/instance/users/me/tokens');
      expect(listed.body.items).toEqual([item]);
      expect(JSON.stringify(listed.body)).not.toContain(token.slice(4));
      const rows = await t.store.db.selectFrom('person_tokens').selectAll().where('person_id', '=', person.id).execute();
      expect(rows.map((r) => r.token_hash)).toEqual([sha256(token)]);
      expect(JSON.stringify(rows)).not.toContain(token.slice(4));

      for (const headers of [{ authorization: `Bearer ${token}` }, { 'x-api-key': token }] as Record<string, string>[]) {
        const res = await withHeader(headers);
        expect([res.statusCode, JSON.parse(res.body).item.id]).toEqual([200, person.id]);
      }
      const api = client(t.app, token); // ?key=
      const created = await api.post('/tickets', { ticket: { title: 'By script', requestor } });
      expect(created.body.item.createdBy).toEqual({ id: person.id, name: 'Scripting Agent', email: person.email });
      expect((await api.post('/tickets', { ticket: { title: 'As someone else', requestor }, user: requestor })).status).toBe(400);
      // No cookie, so no X-Requested-With needed; and rate limits and all apply as for keys.
      expect((await client(t.app, `${token}x`).get('/tickets')).status).toBe(401);
    });

    it('attaches files and links as its person: the form and the JSON body need no user, and may not name another', async () => {
      const { primaryKey } = await createInstance(t.app);
      const { person, web } = await signInPerson(t.app, primaryKey, { name: 'Uploading Agent' });
      const token = (await web.post('/instance/users/me/tokens', { name: 'uploads' })).body.token as string;
      const ticket = (await client(t.app, token).post('/tickets', { ticket: { title: 'Needs a screenshot', requestor } })).body.item;
      const asPerson = { id: person.id, name: 'Uploading Agent', email: person.email };
      const upload = async (parts: FormPart[]) => {
        const { payload, contentType } = multipartForm(parts);
        const response = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tickets/${ticket.id}/attachments`,
          headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
          payload,
        });
        return { status: response.statusCode, body: JSON.parse(response.body) };
      };
      const file = { name: 'files', filename: 'trace.log', data: Buffer.from('trace'), type: 'text/plain' };

      const uploaded = await upload([file]);
      expect(uploaded.status).toBe(201);
      expect(uploaded.body.item.user).toEqual(asPerson);
      expect(uploaded.body.item.attachments[0].createdBy).toBe(person.id);
      // Naming themselves is fine; naming someone else is a 400, and nothing is attached.
      expect((await upload([{ name: 'user', value: JSON.stringify(asPerson) }, file])).status).toBe(201);
      const other = await upload([{ name: 'user', value: JSON.stringify(requestor) }, file]);
      expect([other.status, other.body.errors]).toEqual([400, [{ path: '/body/user', message: 'must be the signed-in person (or be left out)' }]]);

      const api = client(t.app, token);
      const linked = await api.post(`/tickets/${ticket.id}/attachments`, { attachments: [{ src: 'https://example.com/guide.pdf' }] });
      expect([linked.status, linked.body.item.user]).toEqual([201, asPerson]);
      expect((await api.post(`/tickets/${ticket.id}/attachments`, { attachments: [{ src: 'https://example.com/x' }], user: requestor })).status).toBe(400);
      expect((await api.get(`/tickets/${ticket.id}/attachments`)).body.itemCount).toBe(3);

      // An instance key still names the user, and must.
      const form = multipartForm([file]);
      const keyed = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tickets/${ticket.id}/attachments?key=${primaryKey}`,
        headers: { 'content-type': form.contentType },
        payload: form.payload,
      });
      expect([keyed.statusCode, JSON.parse(keyed.body).errors]).toEqual([400, [{ path: '/body/user', message: 'is required' }]]);
    });

    it('refuses writes with a readOnly token, and a viewer writes nothing with any token', async () => {
      const { primaryKey } = await createInstance(t.app);
      const agent = await signInPerson(t.app, primaryKey);
      const viewer = await signInPerson(t.app, primaryKey, { role: 'viewer' });
      const readOnly = client(t.app, (await agent.web.post('/instance/users/me/tokens', { access: 'readOnly' })).body.token);
      expect((await readOnly.get('/tickets')).status).toBe(200);
      const refused = await readOnly.post('/tickets', { ticket: { title: 'No', requestor } });
      expect([refused.status, refused.body.detail]).toEqual([403, 'The personal access token is read-only']);
      const viewerToken = client(t.app, (await viewer.web.post('/instance/users/me/tokens', { access: 'readWrite' })).body.token);
      expect((await viewerToken.get('/tickets')).status).toBe(200);
      expect((await viewerToken.post('/tickets', { ticket: { title: 'No', requestor } })).status).toBe(403);
    });

    it('stops a token at once when revoked, when it expires, when its person is disabled; its role is read at each request', async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const { person, web } = await signInPerson(t.app, primaryKey, { role: 'admin' });
      const soon = new Date(Date.parse(clock.now()) + 3600_000).toISOString();
      const expiring = client(t.app, (await web.post('/instance/users/me/tokens', { expiresOn: soon })).body.token);
      const kept = (await web.post('/instance/users/me/tokens', { name: 'kept' })).body;
      const revoked = (await web.post('/instance/users/me/tokens', { name: 'revoked' })).body;
      const keptApi = client(t.app, kept.token);
      const revokedApi = client(t.app, revoked.token);
      expect((await revokedApi.get('/tickets')).status).toBe(200);
      expect((await web.delete(`/instance/users/me/tokens/${revoked.item.id}`)).status).toBe(204);
      expect((await revokedApi.get('/tickets')).status).toBe(401);
      expect((await web.delete(`/instance/users/me/tokens/${revoked.item.id}`)).status).toBe(404);

      expect((await expiring.get('/tickets')).status).toBe(200);
      clock.advance(3600_000);
      expect((await expiring.get('/tickets')).status).toBe(401);
      expect((await web.post('/instance/users/me/tokens', { expiresOn: '2020-01-01T00:00:00Z' })).status).toBe(400);

      expect((await keptApi.put('/instance', { name: 'By an admin token' })).status).toBe(200);
      await api.put(`/instance/users/${person.id}`, { role: 'viewer' });
      expect((await keptApi.put('/instance', { name: 'By a viewer token' })).status).toBe(403);
      expect((await keptApi.get('/instance')).status).toBe(200);
      await api.put(`/instance/users/${person.id}`, { disabled: true });
      const stopped = await keptApi.get('/instance');
      expect([stopped.status, stopped.body.detail]).toEqual([401, 'The personal access token is not valid']);
      await api.put(`/instance/users/${person.id}`, { disabled: false });
      expect((await keptApi.get('/instance')).status).toBe(200);
      // Removing the person removes their tokens.
      await api.delete(`/instance/users/${person.id}`);
      expect((await keptApi.get('/instance')).status).toBe(401);
    });

    it("lets a person manage only their own tokens; an admin and the instance key anyone's", async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const ann = await signInPerson(t.app, primaryKey);
      const bob = await signInPerson(t.app, primaryKey);
      const admin = await signInPerson(t.app, primaryKey, { role: 'admin' });
      const bobs = (await bob.web.post('/instance/users/me/tokens', {})).body.item;
      expect((await ann.web.get(`/instance/users/${bob.person.id}/tokens`)).status).toBe(403);
      expect((await ann.web.post(`/instance/users/${bob.person.id}/tokens`, {})).status).toBe(403);
      expect((await ann.web.delete(`/instance/users/${bob.person.id}/tokens/${bobs.id}`)).status).toBe(403);
      // Another instance's person is not found.
      const other = await createInstance(t.app);
      expect((await other.api.get(`/instance/users/${bob.person.id}/tokens`)).status).toBe(404);
      expect((await admin.web.get(`/instance/users/${bob.person.id}/tokens`)).body.items).toEqual([bobs]);
      const forBob = await api.post(`/instance/users/${bob.person.id}/tokens`, { name: 'service', access: 'readOnly' });
      expect(forBob.status).toBe(201);
      expect((await admin.web.delete(`/instance/users/${bob.person.id}/tokens/${bobs.id}`)).status).toBe(204);
      expect((await api.get(`/instance/users/${bob.person.id}/tokens`)).body.items.map((x: { name: string }) => x.name)).toEqual(['service']);
    });
  });
}
