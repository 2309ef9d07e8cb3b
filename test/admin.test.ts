import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, client, createInstance, createTestApp, DIALECTS, PASSWORD, requestor, signInPerson, type TestApp } from './helpers.js';

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`operator settings (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    it('lets the operator make keys writable again after an owner made both read-only', async () => {
      const { id, api } = await createInstance(t.app);
      expect((await api.put('/instance', { keyAccess: { primary: 'readOnly', secondary: 'readOnly' } })).status).toBe(200);
      expect((await api.post('/tickets', { ticket: { title: 'x', requestor }, user: requestor })).status).toBe(403);
      expect((await api.put('/instance', { keyAccess: { primary: 'readWrite' } })).status).toBe(403);

      const denied = await t.app.inject({ method: 'PUT', url: `/api/v1/admin/instances/${id}`, payload: { keyAccess: { primary: 'readWrite' } } });
      expect(denied.statusCode).toBe(401);
      const fixed = await t.app.inject({
        method: 'PUT',
        url: `/api/v1/admin/instances/${id}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { keyAccess: { primary: 'readWrite' } },
      });
      expect(fixed.statusCode).toBe(200);
      expect(JSON.parse(fixed.body).item.keyAccess).toEqual({ primary: 'readWrite', secondary: 'readOnly' });
      expect((await api.post('/tickets', { ticket: { title: 'x', requestor }, user: requestor })).status).toBe(201);
    });

    it('lists every instance with its own custom fields', async () => {
      const a = await createInstance(t.app, 'With fields');
      const b = await createInstance(t.app, 'Without fields');
      await a.api.post('/instance/customFields', { name: 'Site', type: 'textField' });
      const response = await t.app.inject({ method: 'GET', url: '/api/v1/admin/instances', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      const items = JSON.parse(response.body).items as { id: string; customFields: { name: string }[] }[];
      expect(items.find((i) => i.id === a.id)!.customFields.map((f) => f.name)).toEqual(['Site']);
      expect(items.find((i) => i.id === b.id)!.customFields).toEqual([]);
    });

    const operator = (id: string, payload: Record<string, unknown>) =>
      t.app.inject({ method: 'PUT', url: `/api/v1/admin/instances/${id}`, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, payload });

    it("refuses an instance key's change of rateLimit or enabled with 403 naming the field; reading them is fine", async () => {
      const { primaryKey, secondaryKey, api } = await createInstance(t.app);
      for (const key of [primaryKey, secondaryKey]) {
        const tenant = client(t.app, key);
        for (const [field, value] of [
          ['rateLimit', { max: 1_000_000, windowSeconds: 1 }],
          ['rateLimit', null],
          ['enabled', false],
          ['enabled', true],
        ] as const) {
          const res = await tenant.put('/instance', { name: 'Sneaky', [field]: value });
          expect(res.status, `${field}=${JSON.stringify(value)}`).toBe(403);
          expect(res.body).toMatchObject({ code: 'forbidden', errors: [{ path: `/body/${field}`, message: 'is set by the operator' }] });
          expect(res.body.detail).toContain(field);
        }
      }
      const both = await api.put('/instance', { rateLimit: { max: 5, windowSeconds: 5 }, enabled: false });
      expect(both.body.errors.map((e: { path: string }) => e.path)).toEqual(['/body/enabled', '/body/rateLimit']);
      // Nothing was written, and both settings are still readable.
      const item = (await api.get('/instance')).body.item;
      expect(item).toMatchObject({ name: 'Test instance', enabled: true, rateLimit: { max: 100, windowSeconds: 60 } });
    });

    it('lets the operator set rateLimit and enabled', async () => {
      const { id, api } = await createInstance(t.app);
      const res = await operator(id, { rateLimit: { max: 500, windowSeconds: 10 } });
      expect(res.statusCode, res.body).toBe(200);
      expect(JSON.parse(res.body).item.rateLimit).toEqual({ max: 500, windowSeconds: 10 });
      expect((await api.get('/instance')).body.item.rateLimit).toEqual({ max: 500, windowSeconds: 10 });
      expect(JSON.parse((await operator(id, { rateLimit: null })).body).item.rateLimit).toEqual({ max: 100, windowSeconds: 60 });
      const unauthenticated = await t.app.inject({ method: 'PUT', url: `/api/v1/admin/instances/${id}`, payload: { enabled: false } });
      expect(unauthenticated.statusCode).toBe(401);
      expect((await api.get('/instance')).body.item.enabled).toBe(true);
    });

    it("answers 403 instance_disabled to every request of a disabled instance's keys and sessions, at once; re-enabling restores access", async () => {
      const { id, primaryKey, secondaryKey, api } = await createInstance(t.app, 'To disable');
      const other = await createInstance(t.app, 'Bystander');
      const { cookie, email } = await signInPerson(t.app, primaryKey, { role: 'admin' });
      const web = { cookie, 'x-requested-with': 'ticketing-web' };
      const ticket = (await api.post('/tickets', { ticket: { title: 'Before', requestor }, user: requestor })).body.item;
      // Both keys are in the key cache now.
      expect((await client(t.app, secondaryKey).get('/tickets')).status).toBe(200);

      const disabled = await operator(id, { enabled: false });
      expect(JSON.parse(disabled.body).item.enabled).toBe(false);
      const requests: [string, string, unknown?][] = [
        ['GET', '/tickets'],
        ['GET', `/tickets/${ticket.id}`],
        ['POST', '/tickets', { ticket: { title: 'During', requestor }, user: requestor }],
        ['PUT', `/tickets/${ticket.id}/status`, { status: 'Closed', user: requestor }],
        ['GET', '/instance'],
        ['PUT', '/instance', { name: 'x' }],
        ['GET', '/tags'],
        ['POST', '/instance/keys/secondary/regenerate'],
      ];
      for (const key of [primaryKey, secondaryKey]) {
        for (const [method, url, body] of requests) {
          const res = await (client(t.app, key) as any)[method.toLowerCase()](url, body);
          expect(res.status, `${method} ${url}`).toBe(403);
          expect(res.body).toMatchObject({ code: 'instance_disabled', title: 'Instance disabled', status: 403 });
        }
      }
      for (const [method, url, body] of requests) {
        const res = await t.app.inject({ method: method as 'GET', url: `/api/v1${url}`, headers: web, ...(body ? { payload: body as object } : {}) });
        expect(res.statusCode, `session ${method} ${url}`).toBe(403);
        expect(JSON.parse(res.body).code).toBe('instance_disabled');
      }
      const me = await t.app.inject({ method: 'GET', url: '/api/v1/session', headers: { cookie } });
      expect([me.statusCode, JSON.parse(me.body).code]).toEqual([403, 'instance_disabled']);
      const again = await t.app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password: PASSWORD } });
      expect([again.statusCode, JSON.parse(again.body).code]).toEqual([403, 'instance_disabled']);
      expect(again.headers['set-cookie']).toBeUndefined();
      // Other instances are not affected, and the operator still sees it.
      expect((await other.api.get('/tickets')).status).toBe(200);
      const listed = await t.app.inject({ method: 'GET', url: '/api/v1/admin/instances', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(JSON.parse(listed.body).items.find((i: { id: string }) => i.id === id).enabled).toBe(false);

      expect((await operator(id, { enabled: true })).statusCode).toBe(200);
      expect((await api.get(`/tickets/${ticket.id}`)).body.item.title).toBe('Before');
      expect((await client(t.app, secondaryKey).post('/tickets', { ticket: { title: 'After', requestor }, user: requestor })).status).toBe(201);
      expect((await t.app.inject({ method: 'GET', url: '/api/v1/tickets', headers: web })).statusCode).toBe(200);
      expect((await api.get('/tickets')).body.items.map((x: { title: string }) => x.title).sort()).toEqual(['After', 'Before']);
    });

    it('answers 404 for settings of an unknown instance', async () => {
      const response = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/admin/instances/00000000-0000-4000-8000-000000000000',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { name: 'Nope' },
      });
      expect(response.statusCode).toBe(404);
    });
  });
}
