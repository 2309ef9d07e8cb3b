import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createTestApp, DIALECTS, requestor, type TestApp } from './helpers.js';

/** The web app's sign-in: a key exchanged for an HttpOnly session cookie. */
for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`web sessions (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    const signIn = (key: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { key, user: { name: 'Alex Wilber', email: 'alexw@example.com' } } });
    const cookieOf = (response: { headers: Record<string, unknown> }) => String(response.headers['set-cookie']).split(';')[0]!;

    it('exchanges a key for an HttpOnly, SameSite=Strict cookie that authenticates API calls', async () => {
      const { primaryKey } = await createInstance(t.app, 'Desk');
      const response = await signIn(primaryKey);
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ instance: { name: 'Desk' }, user: { name: 'Alex Wilber', email: 'alexw@example.com' }, which: 'primary' });
      const setCookie = String(response.headers['set-cookie']);
      expect(setCookie).toMatch(/HttpOnly/i);
      expect(setCookie).toMatch(/SameSite=Strict/i);
      expect(setCookie).not.toContain(primaryKey);
      const cookie = cookieOf(response);

      const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
      expect(JSON.parse(me.body).instance.name).toBe('Desk');
      const list = await t.app.inject({ method: 'GET', url: '/api/v1/tickets', headers: { cookie } });
      expect(list.statusCode).toBe(200);

      const body = { ticket: { title: 'From the web app', requestor }, user: requestor };
      const withoutHeader = await t.app.inject({ method: 'POST', url: '/api/v1/tickets', headers: { cookie }, payload: body });
      expect(withoutHeader.statusCode).toBe(403);
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/tickets', headers: { cookie, 'x-requested-with': 'ticketing-web' }, payload: body });
      expect(created.statusCode).toBe(201);
    });

    it('rejects a wrong key, a forged cookie, and sessions of a regenerated key', async () => {
      const { primaryKey, api } = await createInstance(t.app);
      expect((await signIn('tkt_wrong')).statusCode).toBe(401);
      const forged = await t.app.inject({ method: 'GET', url: '/api/v1/tickets', headers: { cookie: 'ticketing_session=%7B%22keyHash%22%3A%22x%22%7D.abc' } });
      expect(forged.statusCode).toBe(401);

      const cookie = cookieOf(await signIn(primaryKey));
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/tickets', headers: { cookie } })).statusCode).toBe(200);
      expect((await api.post('/instance/keys/primary/regenerate')).status).toBe(200);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/tickets', headers: { cookie } })).statusCode).toBe(401);
    });

    it('signs out by clearing the cookie', async () => {
      const { primaryKey } = await createInstance(t.app);
      const response = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: cookieOf(await signIn(primaryKey)) } });
      expect(response.statusCode).toBe(204);
      expect(String(response.headers['set-cookie'])).toMatch(/ticketing_session=;/);
    });
  });
}
