import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, client, createInstance, createTestApp, DIALECTS, FakeClock, PASSWORD, requestor, signInPerson, type TestApp } from './helpers.js';

/** What an admin controls about getting in: the instance keys, live sessions, last sign-ins (docs/api.md §14). */
for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`admin controls (${dialect.name})`, () => {
    let t: TestApp;
    const clock = new FakeClock();
    beforeAll(async () => {
      t = await createTestApp(dialect.name, { clock });
    });
    afterAll(async () => t?.close());

    it('turns the instance keys off and on again: keys get 403, people (sessions and tokens) go on', async () => {
      const { primaryKey, secondaryKey, api } = await createInstance(t.app);
      const admin = await signInPerson(t.app, primaryKey, { role: 'admin' });
      const agent = await signInPerson(t.app, primaryKey);
      const token = client(t.app, (await agent.web.post('/instance/users/me/tokens', {})).body.token);

      // Only an admin person may: a key turning keys off would leave nobody to turn them on.
      const byKey = await api.put('/instance', { instanceKeysEnabled: false });
      expect([byKey.status, byKey.body.errors]).toEqual([
        403,
        [{ path: '/body/instanceKeysEnabled', message: 'can only be changed by an admin, signed in or with a personal access token' }],
      ]);
      expect((await agent.web.put('/instance', { instanceKeysEnabled: false })).status).toBe(403);
      const off = await admin.web.put('/instance', { instanceKeysEnabled: false });
      expect(off.body.item.instanceKeysEnabled).toBe(false);

      for (const key of [primaryKey, secondaryKey]) {
        const refused = await client(t.app, key).get('/tickets');
        expect([refused.status, refused.body.code, refused.body.detail]).toEqual([
          403,
          'forbidden',
          "This instance's keys are turned off: sign in, or use a personal access token",
        ]);
      }
      expect((await token.post('/tickets', { ticket: { title: 'Token still works', requestor } })).status).toBe(201);
      expect((await agent.web.get('/tickets')).status).toBe(200);

      // A sandbox copy has no people yet: its own keys work.
      const sandbox = await t.app.inject({
        method: 'POST',
        url: `/api/v1/admin/instances/${(await token.get('/instance')).body.item.id}/sandbox`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const copy = JSON.parse(sandbox.body);
      expect(copy.item.instanceKeysEnabled).toBe(true);
      expect((await client(t.app, copy.primaryKey).get('/tickets')).status).toBe(200);

      expect((await admin.web.put('/instance', { instanceKeysEnabled: true })).body.item.instanceKeysEnabled).toBe(true);
      expect((await api.get('/tickets')).body.items.map((x: { title: string }) => x.title)).toEqual(['Token still works']);
    });

    it("lists live sessions for admins, ends one or all of a person's at once, and shows each person's last sign-in", async () => {
      const { id, primaryKey, api } = await createInstance(t.app);
      const admin = await signInPerson(t.app, primaryKey, { role: 'admin' });
      const agent = await signInPerson(t.app, primaryKey);
      const second = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session',
        headers: { 'user-agent': 'Second browser' },
        remoteAddress: '198.51.100.7',
        payload: { email: agent.email, password: PASSWORD, instance: id },
      });
      const secondCookie = String(second.headers['set-cookie']).split(';')[0]!;
      const tickets = async (cookie: string) => (await t.app.inject({ method: 'GET', url: '/api/v1/tickets', headers: { cookie } })).statusCode;

      const listed = (await admin.web.get('/instance/sessions')).body.items;
      expect(listed).toHaveLength(3);
      const agentSessions = listed.filter((s: { user: { id: string } }) => s.user.id === agent.person.id);
      expect(agentSessions.map((s: { method: string }) => s.method).sort()).toEqual(['link', 'password']);
      const fromSecond = agentSessions.find((s: { method: string }) => s.method === 'password');
      expect(fromSecond).toMatchObject({ address: '198.51.100.7', userAgent: 'Second browser', user: { email: agent.email }, expiresOn: expect.any(String) });
      // Nothing in the list is a cookie.
      expect(JSON.stringify(listed)).not.toContain(secondCookie.split('=')[1]);
      expect((await agent.web.get('/instance/sessions')).status).toBe(403);

      expect((await admin.web.delete(`/instance/sessions/${fromSecond.id}`)).status).toBe(204);
      expect(await tickets(secondCookie)).toBe(401);
      expect(await tickets(agent.cookie)).toBe(200);
      expect((await admin.web.delete(`/instance/sessions/${fromSecond.id}`)).status).toBe(404);
      // Another instance's admin cannot end it.
      const other = await createInstance(t.app);
      const otherAdmin = await signInPerson(t.app, other.primaryKey, { role: 'admin' });
      const agentSession = (await api.get('/instance/sessions')).body.items.find((s: { user: { id: string } }) => s.user.id === agent.person.id);
      expect((await otherAdmin.web.delete(`/instance/sessions/${agentSession.id}`)).status).toBe(404);
      expect(await tickets(agent.cookie)).toBe(200);

      expect((await admin.web.delete(`/instance/users/${agent.person.id}/sessions`)).status).toBe(204);
      expect(await tickets(agent.cookie)).toBe(401);
      expect((await admin.web.get('/instance/sessions')).body.items.map((s: { user: { id: string } }) => s.user.id)).toEqual([admin.person.id]);

      const signedInAt = clock.now();
      clock.advance(60_000);
      const people = (await admin.web.get('/instance/users')).body.items;
      expect(people.find((p: { id: string }) => p.id === agent.person.id).lastSignInOn).toBe(signedInAt);
      const never = (await api.post('/instance/users', { email: `never-${Date.now()}@example.com` })).body.item;
      expect(never.lastSignInOn).toBeNull();
    });
  });
}
