import { createHash } from 'node:crypto';
import { sign } from '@fastify/cookie';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client, createInstance, createTestApp, DIALECTS, FakeClock, requestor, type TestApp } from './helpers.js';

/** The web app's sign-in: a key exchanged for an HttpOnly cookie naming a session kept on the server. */
for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`web sessions (${dialect.name})`, () => {
    let t: TestApp;
    const clock = new FakeClock();
    beforeAll(async () => {
      t = await createTestApp(dialect.name, { clock });
    });
    afterAll(async () => t?.close());

    const signIn = (key: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { key, user: { name: 'Alex Wilber', email: 'alexw@example.com' } } });
    const cookieOf = (response: { headers: Record<string, unknown> }) => String(response.headers['set-cookie']).split(';')[0]!;
    const tickets = async (cookie: string) => (await t.app.inject({ method: 'GET', url: '/api/v1/tickets', headers: { cookie } })).statusCode;
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    const storedSession = async (cookie: string) => {
      const id = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
      return t.store.db.selectFrom('sessions').selectAll().where('id_hash', '=', sha256(id)).executeTakeFirst();
    };

    it('exchanges a key for an HttpOnly, SameSite=Strict cookie that authenticates API calls', async () => {
      const { primaryKey } = await createInstance(t.app, 'Desk');
      const response = await signIn(primaryKey);
      expect(response.statusCode).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({
        instance: { name: 'Desk' },
        user: { name: 'Alex Wilber', email: 'alexw@example.com' },
        which: 'primary',
      });
      const setCookie = String(response.headers['set-cookie']);
      expect(setCookie).toMatch(/HttpOnly/i);
      expect(setCookie).toMatch(/SameSite=Strict/i);
      expect(setCookie).toMatch(/Path=\//);
      expect(setCookie).toMatch(/Max-Age=1209600/); // 14 days
      expect(setCookie).not.toContain(primaryKey);
      const cookie = cookieOf(response);

      const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
      expect(JSON.parse(me.body).instance.name).toBe('Desk');
      expect(await tickets(cookie)).toBe(200);

      const body = { ticket: { title: 'From the web app', requestor }, user: requestor };
      const withoutHeader = await t.app.inject({ method: 'POST', url: '/api/v1/tickets', headers: { cookie }, payload: body });
      expect(withoutHeader.statusCode).toBe(403);
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/tickets', headers: { cookie, 'x-requested-with': 'ticketing-web' }, payload: body });
      expect(created.statusCode).toBe(201);
    });

    it('rejects a wrong key, a made-up cookie, and sessions of a regenerated key', async () => {
      const { primaryKey, api } = await createInstance(t.app);
      expect((await signIn('tkt_wrong')).statusCode).toBe(401);
      expect(await tickets('ticketing_session=%7B%22keyHash%22%3A%22x%22%7D.abc')).toBe(401);
      expect(await tickets(`ticketing_session=${'A'.repeat(43)}`)).toBe(401);

      const cookie = cookieOf(await signIn(primaryKey));
      expect(await tickets(cookie)).toBe(200);
      expect((await api.post('/instance/keys/primary/regenerate')).status).toBe(200);
      expect(await tickets(cookie)).toBe(401);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } })).statusCode).toBe(401);
    });

    it('keeps only the hash of a random 256-bit session id: what the store holds cannot be turned into a cookie', async () => {
      const { id, primaryKey } = await createInstance(t.app);
      const cookie = cookieOf(await signIn(primaryKey));
      expect(await tickets(cookie)).toBe(200);

      // Everything a database read gives: the stored hashes and the server's stored secret.
      // Before sessions were kept server-side, a cookie signed with that secret over a key's
      // stored hash was a valid session.
      const { key_hash: keyHash } = await t.store.db
        .selectFrom('instance_keys')
        .select('key_hash')
        .where('instance_id', '=', id)
        .where('which', '=', 'primary')
        .executeTakeFirstOrThrow();
      const { value: secret } = await t.store.db.selectFrom('meta').select('value').where('key', '=', 'token_secret').executeTakeFirstOrThrow();
      const forgedValue = sign(JSON.stringify({ keyHash, user: { id: 'x', name: 'Mallory', email: 'm@example.com' } }), secret);
      expect(await tickets(`ticketing_session=${encodeURIComponent(forgedValue)}`)).toBe(401);

      const sessionId = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
      expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes
      const row = await storedSession(cookie);
      expect(row).toMatchObject({ instance_id: id, which: 'primary' });
      expect(JSON.stringify(row)).not.toContain(sessionId);
      for (const stored of [row!.id_hash, keyHash]) expect(await tickets(`ticketing_session=${stored}`)).toBe(401);
    });

    it('signs out: the session ends on the server, so a kept copy of the cookie no longer works', async () => {
      const { primaryKey } = await createInstance(t.app);
      const cookie = cookieOf(await signIn(primaryKey));
      const response = await t.app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } });
      expect(response.statusCode).toBe(204);
      expect(await tickets(cookie)).toBe(401);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } })).statusCode).toBe(401);
      const cleared = String(response.headers['set-cookie']);
      expect(cleared).toMatch(/ticketing_session=;/);
      expect(cleared).toMatch(/HttpOnly/i);
      expect(await storedSession(cookie)).toBeUndefined();
      // Signing out without a session is harmless.
      expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/session' })).statusCode).toBe(204);
    });

    it('ends the sessions of a regenerated key only: those of the other key go on', async () => {
      const { primaryKey, secondaryKey, api } = await createInstance(t.app);
      const byPrimary = cookieOf(await signIn(primaryKey));
      const bySecondary = cookieOf(await signIn(secondaryKey));
      const fresh = await api.post('/instance/keys/secondary/regenerate');
      expect(fresh.status).toBe(200);
      expect(await tickets(bySecondary)).toBe(401);
      expect(await storedSession(bySecondary)).toBeUndefined();
      expect(await tickets(byPrimary)).toBe(200);
      // The secondary key may rotate itself; its sessions end too.
      const again = cookieOf(await signIn(fresh.body.key));
      expect((await client(t.app, fresh.body.key).post('/instance/keys/secondary/regenerate')).status).toBe(200);
      expect(await tickets(again)).toBe(401);
    });

    it('expires sessions 14 days after sign-in, and sweeps expired ones', async () => {
      const { id, primaryKey } = await createInstance(t.app);
      const cookie = cookieOf(await signIn(primaryKey));
      clock.advance(14 * 24 * 3600_000 - 60_000);
      expect(await tickets(cookie)).toBe(200);
      clock.advance(120_000);
      expect(await tickets(cookie)).toBe(401);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } })).statusCode).toBe(401);
      expect(await storedSession(cookie)).toBeDefined();
      // The next sign-in (anyone's) removes expired sessions.
      const next = cookieOf(await signIn(primaryKey));
      expect(await storedSession(cookie)).toBeUndefined();
      expect(await tickets(next)).toBe(200);
      const { rows } = await sql<{ n: number | string }>`SELECT count(*) AS n FROM sessions WHERE instance_id = ${id} AND expires_on <= ${clock.now()}`.execute(
        t.store.db,
      );
      expect(Number(rows[0]!.n)).toBe(0);
    });
  });
}
