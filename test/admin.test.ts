import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, createInstance, createTestApp, DIALECTS, requestor, type TestApp } from './helpers.js';

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
