import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  agent,
  client,
  createInstance,
  createTestApp,
  createTicket,
  DIALECTS,
  requestor,
  signInPerson,
  type Client,
  type TestApp,
} from './helpers.js';

/*
 * docs/api.md §1, §8 and §9 through HTTP: instance keys (where they are read, both keys work,
 * read-only keys, rotation), tenancy (another instance's ticket is a 404), and the operator API.
 */

function expectProblem(response: { status: number; body: any; headers: Record<string, unknown> }, status: number, code: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, statusCode: status, code, error: true });
  expect(response.body.message).toBe(response.body.detail);
}

const parse = (res: LightMyRequestResponse) => ({ status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers });

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`auth and tenancy (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    const raw = async (method: string, url: string, headers: Record<string, string> = {}, body?: unknown) =>
      parse(
        await t.app.inject({
          method: method as 'GET',
          url,
          headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        }),
      );
    const admin = (method: string, url: string, body?: unknown, token = ADMIN_TOKEN) =>
      raw(method, `/api/v1${url}`, token ? { authorization: `Bearer ${token}` } : {}, body);

    it('answers 401 unauthorized without a key, on reads and writes', async () => {
      const { api } = await createInstance(t.app);
      const ticket = await createTicket(api);
      const routes: [string, string, unknown?][] = [
        ['GET', '/api/v1/tickets'],
        ['GET', `/api/v1/tickets/${ticket.id}`],
        ['GET', `/api/v1/tickets/${ticket.id}/activities`],
        ['GET', '/api/v1/instance'],
        ['GET', '/api/v1/tags'],
        ['POST', '/api/v1/tickets', { ticket: { title: 'x', requestor }, user: requestor }],
        ['PUT', `/api/v1/tickets/${ticket.id}`, { updates: { title: 'hacked' }, user: agent }],
        ['PUT', `/api/v1/tickets/${ticket.id}/status`, { status: 'Closed', user: agent }],
        ['POST', `/api/v1/tickets/${ticket.id}/comments`, { comment: 'x', user: agent }],
        ['PUT', '/api/v1/instance', { name: 'hacked' }],
        ['POST', '/api/v1/instance/keys/primary/regenerate'],
      ];
      for (const [method, url, body] of routes) {
        expectProblem(await raw(method, url, {}, body), 401, 'unauthorized');
        expectProblem(await raw(method, `${url}?key=`, {}, body), 401, 'unauthorized');
      }
      const read = await api.get(`/tickets/${ticket.id}`);
      expect(read.body.item.title).toBe(ticket.title);
      expect(read.body.item.status).toBe('Open');
    });

    it('answers 401 unauthorized for an unknown key, wherever it is given', async () => {
      const { api, primaryKey } = await createInstance(t.app);
      await createTicket(api);
      const wrong = [`${primaryKey}x`, primaryKey.slice(0, -1), 'tkt_nope', ADMIN_TOKEN, 'a'.repeat(500)];
      for (const key of wrong) {
        expectProblem(await raw('GET', `/api/v1/tickets?key=${encodeURIComponent(key)}`), 401, 'unauthorized');
        expectProblem(await raw('GET', '/api/v1/tickets', { 'x-api-key': key }), 401, 'unauthorized');
        expectProblem(await raw('GET', '/api/v1/tickets', { authorization: `Bearer ${key}` }), 401, 'unauthorized');
        expectProblem(
          await raw('POST', `/api/v1/tickets?key=${encodeURIComponent(key)}`, {}, { ticket: { title: 'x', requestor }, user: requestor }),
          401,
          'unauthorized',
        );
      }
      // The answer does not echo the key.
      const res = await raw('GET', `/api/v1/tickets?key=${primaryKey}x`);
      expect(JSON.stringify(res.body)).not.toContain(primaryKey);
      expect((await api.get('/tickets')).body.items).toHaveLength(1);
    });

    it('accepts the primary and the secondary key, as ?key=, X-API-Key or Authorization: Bearer', async () => {
      const { id, primaryKey, secondaryKey, api } = await createInstance(t.app);
      const ticket = await createTicket(api, { title: 'Visible to both keys' });
      for (const key of [primaryKey, secondaryKey]) {
        const ways: Record<string, string>[] = [{}, { 'x-api-key': key }, { authorization: `Bearer ${key}` }, { authorization: `bearer ${key}` }];
        for (const headers of ways) {
          const url = Object.keys(headers).length === 0 ? `/api/v1/tickets/${ticket.id}?key=${key}` : `/api/v1/tickets/${ticket.id}`;
          const res = await raw('GET', url, headers);
          expect(res.status, JSON.stringify(headers)).toBe(200);
          expect(res.body.item.title).toBe('Visible to both keys');
        }
        const instance = await raw('GET', '/api/v1/instance', { 'x-api-key': key });
        expect(instance.body.item.id).toBe(id);
        // Writes work with either key by default (both readWrite).
        const created = await raw(
          'POST',
          '/api/v1/tickets',
          { authorization: `Bearer ${key}` },
          { ticket: { title: `by ${key.slice(0, 8)}`, requestor }, user: requestor },
        );
        expect(created.status).toBe(201);
        const comment = await raw('POST', `/api/v1/tickets/${ticket.id}/comments`, { 'x-api-key': key }, { comment: 'hello', user: agent });
        expect(comment.status).toBe(201);
      }
      expect((await api.get('/tickets')).body.items).toHaveLength(3);
      expect((await api.get('/instance')).body.item.keyAccess).toEqual({ primary: 'readWrite', secondary: 'readWrite' });
    });

    describe('tenancy', () => {
      let a: Awaited<ReturnType<typeof createInstance>>;
      let b: Awaited<ReturnType<typeof createInstance>>;
      let ticketOfB: any;
      beforeAll(async () => {
        a = await createInstance(t.app, 'Tenant A');
        b = await createInstance(t.app, 'Tenant B');
        await createTicket(a.api, { title: 'A one' });
        await createTicket(b.api, { title: 'B one' });
        ticketOfB = await createTicket(b.api, { title: 'B secret two', description: 'B only' });
        await b.api.post(`/tickets/${ticketOfB.id}/comments`, { comment: 'B internal', user: agent });
      });

      const everyRoute = (ref: string | number): [string, string, unknown?][] => [
        ['get', `/tickets/${ref}`],
        ['put', `/tickets/${ref}`, { updates: { title: 'hijacked' }, user: agent }],
        ['put', `/tickets/${ref}`, { ticket: { title: 'hijacked' }, user: agent }],
        ['put', `/tickets/${ref}/status`, { status: 'Closed', user: agent }],
        ['post', `/tickets/${ref}/status`, { status: 'Resolved', resolution: 'fixed', user: agent }],
        ['get', `/tickets/${ref}/activities`],
        ['post', `/tickets/${ref}/activities`, { comment: 'hijacked', user: agent }],
        ['post', `/tickets/${ref}/comments`, { comment: 'hijacked', user: agent }],
      ];

      it("answers 404 (never 403) for another instance's ticket by UUID, with either key", async () => {
        for (const key of [a.primaryKey, a.secondaryKey]) {
          const api = client(t.app, key);
          for (const [method, url, body] of everyRoute(ticketOfB.id)) {
            const res = await (api as any)[method](url, body);
            expectProblem(res, 404, 'not_found');
          }
        }
        // Same answer as for a UUID that exists nowhere: no existence oracle.
        const nowhere = await a.api.get('/tickets/3f1b8c52-9a7e-4c1d-8e2f-0a1b2c3d4e5f');
        const other = await a.api.get(`/tickets/${ticketOfB.id}`);
        expect(other.body.detail).toBe(nowhere.body.detail);
        expect(other.body.title).toBe(nowhere.body.title);
      });

      it("answers 404 for a number that only exists in another instance, and a number means this instance's ticket", async () => {
        // B has tickets 1 and 2, A only ticket 1.
        for (const [method, url, body] of everyRoute(2)) {
          const res = await (a.api as any)[method](url, body);
          expectProblem(res, 404, 'not_found');
        }
        const one = await a.api.get('/tickets/1');
        expect(one.body.item.title).toBe('A one');
        const bOne = await b.api.get('/tickets/1');
        expect(bOne.body.item.title).toBe('B one');
      });

      it("leaves the other instance's ticket untouched", async () => {
        const after = await b.api.get(`/tickets/${ticketOfB.id}`);
        expect(after.body.item).toMatchObject({ title: 'B secret two', status: 'Open', resolution: null });
        const activities = await b.api.get(`/tickets/${ticketOfB.id}/activities`);
        expect(activities.body.items.map((x: { comment?: string }) => x.comment)).toEqual(['B internal']);
      });

      it("never lists another instance's tickets", async () => {
        const listed = await a.api.get('/tickets?limit=1000');
        expect(listed.body.items.map((x: { title: string }) => x.title)).toEqual(['A one']);
        for (const query of [
          'search=secret',
          'search=2',
          'title=B',
          `requestor=${requestor.email}&limit=1000`,
          'status=Open,Closed&limit=1000',
          'orderBy=ticketId&order=DESC',
        ]) {
          const res = await a.api.get(`/tickets?${query}`);
          expect(res.status, query).toBe(200);
          expect(
            res.body.items.every((x: { title: string }) => !x.title.startsWith('B')),
            query,
          ).toBe(true);
        }
        const listedB = await b.api.get('/tickets');
        expect(listedB.body.items.map((x: { title: string }) => x.title).sort()).toEqual(['B one', 'B secret two']);
        // Each instance numbers its tickets from 1.
        const next = await createTicket(a.api, { title: 'A two' });
        expect(next.ticketId).toBe(2);
      });

      it('scopes instance settings, custom fields and tags to the key', async () => {
        const field = await b.api.post('/instance/customFields', { name: 'B field', type: 'textField' });
        expect(field.status).toBe(201);
        const category = await b.api.post('/tags', { text: 'B tags', tags: [{ text: 'b' }] });
        expect(category.status).toBe(201);
        expect((await a.api.get('/instance')).body.item.id).toBe(a.id);
        expect((await a.api.get('/instance')).body.item.customFields).toEqual([]);
        expect((await a.api.get('/tags')).body.items).toEqual([]);
        expectProblem(await a.api.put(`/instance/customFields/${field.body.item.id}`, { name: 'hijacked' }), 404, 'not_found');
        expectProblem(await a.api.delete(`/instance/customFields/${field.body.item.id}`), 404, 'not_found');
        expectProblem(await a.api.put(`/tags/${category.body.item.id}`, { text: 'hijacked' }), 404, 'not_found');
        expectProblem(await a.api.delete(`/tags/${category.body.item.id}`), 404, 'not_found');
        // A's ticket can't use B's custom field or tag category.
        const withB = await a.api.post('/tickets', {
          ticket: { title: 'x', requestor, customFields: { [field.body.item.id]: 'v' }, tags: [{ tagCategoryId: category.body.item.id, text: 'b' }] },
          user: requestor,
        });
        expect(withB.status).toBe(400);
        expect((await b.api.get('/instance')).body.item.customFields.map((f: { name: string }) => f.name)).toEqual(['B field']);
        expect((await b.api.get('/tags')).body.items.map((c: { text: string; deleted: boolean }) => [c.text, c.deleted])).toEqual([['B tags', false]]);
      });
    });

    describe('read-only keys', () => {
      it('merges keyAccess field by field and keeps it across other settings changes', async () => {
        const { api } = await createInstance(t.app);
        const first = await api.put('/instance', { keyAccess: { secondary: 'readOnly' } });
        expect(first.status).toBe(200);
        expect(first.body.item.keyAccess).toEqual({ primary: 'readWrite', secondary: 'readOnly' });
        const second = await api.put('/instance', { keyAccess: { primary: 'readWrite' } });
        expect(second.body.item.keyAccess).toEqual({ primary: 'readWrite', secondary: 'readOnly' });
        const renamed = await api.put('/instance', { name: 'Renamed' });
        expect(renamed.body.item).toMatchObject({ name: 'Renamed', keyAccess: { primary: 'readWrite', secondary: 'readOnly' } });
        expect((await api.get('/instance')).body.item.keyAccess).toEqual({ primary: 'readWrite', secondary: 'readOnly' });
        expect((await api.put('/instance', { keyAccess: { secondary: 'readSome' } })).status).toBe(400);
      });

      it('answers 403 forbidden to every write with a read-only key; reads work; the other key still writes', async () => {
        const { api: primary, secondaryKey } = await createInstance(t.app);
        const field = (await primary.post('/instance/customFields', { name: 'Team', type: 'textField' })).body.item;
        const category = (await primary.post('/tags', { text: 'Area', tags: [{ text: 'printers' }] })).body.item;
        const ticket = await createTicket(primary, { title: 'Untouchable' });
        expect((await primary.put('/instance', { keyAccess: { secondary: 'readOnly' } })).status).toBe(200);

        const secondary = client(t.app, secondaryKey);
        const writes: [keyof Client, string, unknown?][] = [
          ['post', '/tickets', { ticket: { title: 'nope', requestor }, user: requestor }],
          ['put', `/tickets/${ticket.id}`, { updates: { title: 'changed' }, user: agent }],
          ['put', `/tickets/${ticket.ticketId}`, { ticket: { title: 'changed' }, user: agent }],
          ['put', `/tickets/${ticket.id}/status`, { status: 'Closed', user: agent }],
          ['post', `/tickets/${ticket.id}/status`, { status: 'Resolved', resolution: 'fixed', user: agent }],
          ['post', `/tickets/${ticket.id}/comments`, { comment: 'nope', user: agent }],
          ['post', `/tickets/${ticket.id}/activities`, { comment: 'nope', user: agent }],
          ['put', '/instance', { name: 'nope' }],
          ['put', '/instance', { keyAccess: { secondary: 'readWrite' } }],
          ['post', '/tags', { text: 'nope' }],
          ['put', `/tags/${category.id}`, { text: 'nope' }],
          ['delete', `/tags/${category.id}`],
          ['post', '/instance/customFields', { name: 'nope', type: 'toggle' }],
          ['put', `/instance/customFields/${field.id}`, { name: 'nope' }],
          ['delete', `/instance/customFields/${field.id}`],
          ['post', '/instance/keys/primary/regenerate'],
          ['post', '/instance/keys/secondary/regenerate'],
        ];
        for (const [method, url, body] of writes) {
          const res = await (secondary as any)[method](url, body);
          expectProblem(res, 403, 'forbidden');
        }
        // Via headers too.
        expectProblem(
          await raw('POST', `/api/v1/tickets/${ticket.id}/comments`, { 'x-api-key': secondaryKey }, { comment: 'nope', user: agent }),
          403,
          'forbidden',
        );
        expectProblem(
          await raw('POST', `/api/v1/tickets/${ticket.id}/comments`, { authorization: `Bearer ${secondaryKey}` }, { comment: 'nope', user: agent }),
          403,
          'forbidden',
        );

        // Reads work with the read-only key.
        for (const url of ['/tickets', `/tickets/${ticket.id}`, `/tickets/${ticket.ticketId}`, `/tickets/${ticket.id}/activities`, '/instance', '/tags']) {
          expect((await secondary.get(url)).status, url).toBe(200);
        }
        // Nothing changed, and the old keys still both work.
        const instance = (await secondary.get('/instance')).body.item;
        expect(instance.name).toBe('Test instance');
        expect(instance.keyAccess).toEqual({ primary: 'readWrite', secondary: 'readOnly' });
        expect(instance.customFields).toEqual([expect.objectContaining({ id: field.id, name: 'Team', deleted: false })]);
        expect((await secondary.get('/tags')).body.items).toEqual([expect.objectContaining({ id: category.id, text: 'Area', deleted: false })]);
        expect((await secondary.get(`/tickets/${ticket.id}`)).body.item).toMatchObject({ title: 'Untouchable', status: 'Open' });
        expect((await secondary.get(`/tickets/${ticket.id}/activities`)).body.items).toEqual([]);
        expect((await secondary.get('/tickets')).body.items).toHaveLength(1);

        // The primary key still writes.
        expect((await primary.put(`/tickets/${ticket.id}`, { updates: { title: 'Changed by primary' }, user: agent })).status).toBe(200);
        expect((await primary.post(`/tickets/${ticket.id}/comments`, { comment: 'ok', user: agent })).status).toBe(201);
        expect((await primary.put(`/tickets/${ticket.id}/status`, { status: 'Started', user: agent })).status).toBe(200);
        expect((await primary.post('/tickets', { ticket: { title: 'new', requestor }, user: requestor })).status).toBe(201);

        // Making the secondary key read-write again (with the primary key) restores its writes at once.
        expect((await primary.put('/instance', { keyAccess: { secondary: 'readWrite' } })).status).toBe(200);
        expect((await secondary.post(`/tickets/${ticket.id}/comments`, { comment: 'back', user: agent })).status).toBe(201);
      });

      it('works the same way for a read-only primary key', async () => {
        const { id, api: primary, secondaryKey } = await createInstance(t.app);
        const ticket = await createTicket(primary);
        expect((await primary.put('/instance', { keyAccess: { primary: 'readOnly' } })).body.item.keyAccess).toEqual({
          primary: 'readOnly',
          secondary: 'readWrite',
        });
        expectProblem(await primary.post(`/tickets/${ticket.id}/comments`, { comment: 'x', user: agent }), 403, 'forbidden');
        expectProblem(await primary.put('/instance', { keyAccess: { primary: 'readWrite' } }), 403, 'forbidden');
        expect((await primary.get(`/tickets/${ticket.id}`)).status).toBe(200);
        const secondary = client(t.app, secondaryKey);
        expect((await secondary.post(`/tickets/${ticket.id}/comments`, { comment: 'x', user: agent })).status).toBe(201);
        // Only the primary key manages keys; the operator makes it writable again.
        expectProblem(await secondary.put('/instance', { keyAccess: { primary: 'readWrite' } }), 403, 'forbidden');
        expect((await admin('PUT', `/admin/instances/${id}`, { keyAccess: { primary: 'readWrite' } })).body.item.keyAccess).toEqual({
          primary: 'readWrite',
          secondary: 'readWrite',
        });
        expect((await primary.post(`/tickets/${ticket.id}/comments`, { comment: 'y', user: agent })).status).toBe(201);
      });

      it('can be set when the instance is created through the operator API', async () => {
        const created = await admin('POST', '/admin/instances', { name: 'RO at birth', keyAccess: { secondary: 'readOnly' } });
        expect(created.status).toBe(201);
        expect(created.body.item.keyAccess).toEqual({ primary: 'readWrite', secondary: 'readOnly' });
        const secondary = client(t.app, created.body.secondaryKey);
        expectProblem(await secondary.post('/tickets', { ticket: { title: 'x', requestor }, user: requestor }), 403, 'forbidden');
        expect((await client(t.app, created.body.primaryKey).post('/tickets', { ticket: { title: 'x', requestor }, user: requestor })).status).toBe(201);
      });
    });

    describe('key management', () => {
      it('lets only the primary key change keyAccess: a read-write secondary key gets 403 naming the field, and nothing changes', async () => {
        const { api: primary, secondaryKey } = await createInstance(t.app);
        const secondary = client(t.app, secondaryKey);
        for (const keyAccess of [{ primary: 'readOnly' }, { secondary: 'readOnly' }, { primary: 'readWrite' }]) {
          const res = await secondary.put('/instance', { keyAccess });
          expectProblem(res, 403, 'forbidden');
          expect(res.body.errors).toEqual([{ path: '/body/keyAccess', message: 'can only be changed with the primary key' }]);
        }
        // Refused whole: the other settings of the same request are not written either.
        expectProblem(await secondary.put('/instance', { name: 'Renamed', keyAccess: { primary: 'readOnly' } }), 403, 'forbidden');
        const instance = (await primary.get('/instance')).body.item;
        expect(instance).toMatchObject({ name: 'Test instance', keyAccess: { primary: 'readWrite', secondary: 'readWrite' } });
        expect((await primary.post('/tickets', { ticket: { title: 'still writable', requestor }, user: requestor })).status).toBe(201);
        // The secondary key still changes other settings, and the primary key manages both keys.
        expect((await secondary.put('/instance', { name: 'By secondary' })).status).toBe(200);
        expect((await primary.put('/instance', { keyAccess: { secondary: 'readOnly' } })).body.item.keyAccess).toEqual({
          primary: 'readWrite',
          secondary: 'readOnly',
        });
      });

      it('lets only the primary key regenerate the primary key; the secondary key may regenerate itself', async () => {
        const { primaryKey, secondaryKey } = await createInstance(t.app);
        const secondary = client(t.app, secondaryKey);
        const refused = await secondary.post('/instance/keys/primary/regenerate');
        expectProblem(refused, 403, 'forbidden');
        expect(JSON.stringify(refused.body)).not.toMatch(/tkt_/);
        expect((await client(t.app, primaryKey).get('/tickets')).status).toBe(200);

        const rotated = await secondary.post('/instance/keys/secondary/regenerate');
        expect(rotated.status).toBe(200);
        expectProblem(await secondary.get('/tickets'), 401, 'unauthorized');
        expect((await client(t.app, rotated.body.key).get('/tickets')).status).toBe(200);
        expectProblem(await client(t.app, rotated.body.key).post('/instance/keys/primary/regenerate'), 403, 'forbidden');
        expect((await client(t.app, primaryKey).post('/tickets', { ticket: { title: 'owner', requestor }, user: requestor })).status).toBe(201);
      });

      it('lets an admin manage keys through a session, and not an agent', async () => {
        const { primaryKey } = await createInstance(t.app);
        const agent = await signInPerson(t.app, primaryKey, { role: 'agent' });
        expectProblem(await agent.web.put('/instance', { keyAccess: { primary: 'readOnly' } }), 403, 'forbidden');
        expectProblem(await agent.web.post('/instance/keys/primary/regenerate'), 403, 'forbidden');
        expect((await client(t.app, primaryKey).get('/instance')).body.item.keyAccess).toEqual({ primary: 'readWrite', secondary: 'readWrite' });
        const admin = await signInPerson(t.app, primaryKey, { role: 'admin' });
        expect((await admin.web.put('/instance', { keyAccess: { secondary: 'readOnly' } })).status).toBe(200);
        const regenerated = await admin.web.post('/instance/keys/primary/regenerate');
        expect(regenerated.status).toBe(200);
        expect((await client(t.app, regenerated.body.key).get('/instance')).body.item.keyAccess).toEqual({ primary: 'readWrite', secondary: 'readOnly' });
      });
    });

    describe('key regeneration', () => {
      for (const which of ['primary', 'secondary'] as const) {
        it(`regenerates the ${which} key: the old one gets 401, the other and the new one work`, async () => {
          const { id, primaryKey, secondaryKey } = await createInstance(t.app);
          const oldKey = which === 'primary' ? primaryKey : secondaryKey;
          const otherKey = which === 'primary' ? secondaryKey : primaryKey;
          const ticket = await createTicket(client(t.app, primaryKey), { title: 'Survives rotation' });
          // Regenerate with the key being replaced (a client rotating its own key) or with the other one.
          const res = await client(t.app, which === 'primary' ? oldKey : otherKey).post(`/instance/keys/${which}/regenerate`);
          expect(res.status).toBe(200);
          expect(Object.keys(res.body).sort()).toEqual(['key', 'which']);
          expect(res.body.which).toBe(which);
          expect(typeof res.body.key).toBe('string');
          expect(res.body.key.length).toBeGreaterThanOrEqual(20);
          expect(res.body.key).not.toBe(oldKey);
          expect(res.body.key).not.toBe(otherKey);

          expectProblem(await client(t.app, oldKey).get('/tickets'), 401, 'unauthorized');
          expectProblem(await raw('GET', '/api/v1/tickets', { 'x-api-key': oldKey }), 401, 'unauthorized');
          expectProblem(await raw('GET', '/api/v1/tickets', { authorization: `Bearer ${oldKey}` }), 401, 'unauthorized');
          for (const key of [otherKey, res.body.key]) {
            const api = client(t.app, key);
            expect((await api.get('/instance')).body.item.id).toBe(id);
            expect((await api.get(`/tickets/${ticket.id}`)).body.item.title).toBe('Survives rotation');
            expect(
              (await api.post(`/tickets/${ticket.id}/comments`, { comment: `with ${which === 'primary' ? 'new/other' : 'other/new'}`, user: agent })).status,
            ).toBe(201);
          }
          // The new key is never shown again: the instance doesn't expose keys.
          const instance = await client(t.app, res.body.key).get('/instance');
          expect(JSON.stringify(instance.body)).not.toContain(res.body.key);
          expect(JSON.stringify(instance.body)).not.toContain(otherKey);
        });
      }

      it('answers 400 or 404 for an unknown key name, and rotation can be done twice', async () => {
        const { api, secondaryKey } = await createInstance(t.app);
        const bad = await api.post('/instance/keys/tertiary/regenerate');
        expect([400, 404]).toContain(bad.status);
        const first = await api.post('/instance/keys/secondary/regenerate');
        const second = await api.post('/instance/keys/secondary/regenerate');
        expect(first.body.key).not.toBe(second.body.key);
        expect((await client(t.app, secondaryKey).get('/tickets')).status).toBe(401);
        expect((await client(t.app, first.body.key).get('/tickets')).status).toBe(401);
        expect((await client(t.app, second.body.key).get('/tickets')).status).toBe(200);
        expect((await api.get('/tickets')).status).toBe(200);
      });

      it("doesn't touch another instance's keys", async () => {
        const one = await createInstance(t.app);
        const two = await createInstance(t.app);
        await one.api.post('/instance/keys/primary/regenerate');
        await one.api.get('/tickets').catch(() => undefined);
        expect((await two.api.get('/tickets')).status).toBe(200);
        expect((await client(t.app, two.secondaryKey).get('/tickets')).status).toBe(200);
      });
    });

    describe('operator API', () => {
      it('answers 401 without the admin token, with a wrong one, or with an instance key', async () => {
        const { primaryKey } = await createInstance(t.app);
        for (const token of ['', 'wrong', `${ADMIN_TOKEN}x`, primaryKey]) {
          expectProblem(await admin('POST', '/admin/instances', { name: 'Nope' }, token), 401, 'unauthorized');
          expectProblem(await admin('GET', '/admin/instances', undefined, token), 401, 'unauthorized');
        }
        // The token is read from Authorization only, not from ?key= or X-API-Key.
        expectProblem(await raw('GET', `/api/v1/admin/instances?key=${ADMIN_TOKEN}`), 401, 'unauthorized');
        expectProblem(await raw('GET', '/api/v1/admin/instances', { 'x-api-key': ADMIN_TOKEN }), 401, 'unauthorized');
        // And the admin token is not an instance key.
        expectProblem(await raw('GET', '/api/v1/tickets', { authorization: `Bearer ${ADMIN_TOKEN}` }), 401, 'unauthorized');
        const listed = await admin('GET', '/admin/instances');
        expect(listed.body.items.some((i: { name: string }) => i.name === 'Nope')).toBe(false);
      });

      it('creates instances with their own keys and lists them', async () => {
        const created = await admin('POST', '/admin/instances', { name: 'Helpdesk', mailAddress: 'help@example.com' });
        expect(created.status).toBe(201);
        expect(created.body.item).toMatchObject({ name: 'Helpdesk', mailAddress: 'help@example.com', enabled: true });
        expect(created.body.primaryKey).not.toBe(created.body.secondaryKey);
        for (const key of [created.body.primaryKey, created.body.secondaryKey]) {
          expect((await client(t.app, key).get('/instance')).body.item.id).toBe(created.body.item.id);
        }
        const other = await admin('POST', '/admin/instances', { name: 'Facilities' });
        const listed = await admin('GET', '/admin/instances');
        expect(listed.status).toBe(200);
        const ids = listed.body.items.map((i: { id: string }) => i.id);
        expect(ids).toEqual(expect.arrayContaining([created.body.item.id, other.body.item.id]));
        expect(listed.body.items.find((i: { id: string }) => i.id === created.body.item.id)).toMatchObject({ name: 'Helpdesk' });
        // Keys are shown only when generated.
        expect(JSON.stringify(listed.body)).not.toContain(created.body.primaryKey);
        expect(JSON.stringify(listed.body)).not.toContain(created.body.secondaryKey);
        expect((await admin('POST', '/admin/instances', {})).status).toBe(400);
      });

      it('sandboxes an instance: same settings, custom fields and tags, no tickets, its own keys', async () => {
        const source = await createInstance(t.app, 'Production', { mailAddress: 'prod@example.com', isAutomaticAssignTickets: true, dayBeforeTicketsIdle: 5 });
        const field = await source.api.post('/instance/customFields', {
          name: 'Severity',
          type: 'singleItemPicker',
          required: false,
          options: [{ text: 'S1' }, { text: 'S2' }],
        });
        expect(field.status).toBe(201);
        const category = await source.api.post('/tags', { text: 'Area', color: '#ff0000', tags: [{ text: 'printers' }, { text: 'network' }] });
        expect(category.status).toBe(201);
        await createTicket(source.api, { title: 'Production ticket' });
        const sourceInstance = (await source.api.get('/instance')).body.item;

        const sandbox = await admin('POST', `/admin/instances/${source.id}/sandbox`, {});
        expect(sandbox.status).toBe(201);
        expect(sandbox.body.item.id).not.toBe(source.id);
        for (const key of [sandbox.body.primaryKey, sandbox.body.secondaryKey]) {
          expect(typeof key).toBe('string');
          expect([source.primaryKey, source.secondaryKey]).not.toContain(key);
        }
        const box = client(t.app, sandbox.body.primaryKey);
        const boxInstance = (await box.get('/instance')).body.item;
        expect(boxInstance.id).toBe(sandbox.body.item.id);
        expect(boxInstance).toMatchObject({ mailAddress: 'prod@example.com', isAutomaticAssignTickets: true, dayBeforeTicketsIdle: 5 });
        expect(boxInstance.customFields).toEqual(sourceInstance.customFields);
        expect((await box.get('/tags')).body.items.map(({ instanceId: _i, ...c }: { instanceId: string }) => c)).toEqual(
          (await source.api.get('/tags')).body.items.map(({ instanceId: _i, ...c }: { instanceId: string }) => c),
        );
        expect((await box.get('/tickets')).body.items).toEqual([]);
        expect((await box.get('/tickets/1')).status).toBe(404);

        // The sandbox is a tenant of its own: its tickets start at 1 and stay out of the source.
        const boxTicket = await createTicket(box, {
          title: 'Sandbox ticket',
          customFields: { [field.body.item.id]: [field.body.item.options[0].id] },
          tags: [{ tagCategoryId: category.body.item.id, text: 'printers' }],
        });
        expect(boxTicket.ticketId).toBe(1);
        expect((await source.api.get('/tickets')).body.items.map((x: { title: string }) => x.title)).toEqual(['Production ticket']);
        expect((await source.api.get(`/tickets/${boxTicket.id}`)).status).toBe(404);
        // Changing the sandbox's settings doesn't change the source.
        await box.put('/instance', { mailAddress: 'sandbox@example.com' });
        await box.put(`/instance/customFields/${field.body.item.id}`, { name: 'Renamed in sandbox' });
        expect((await source.api.get('/instance')).body.item.mailAddress).toBe('prod@example.com');
        expect((await source.api.get('/instance')).body.item.customFields[0].name).toBe('Severity');
        // Both sandbox keys work; the source keys don't reach it.
        expect((await client(t.app, sandbox.body.secondaryKey).get('/instance')).body.item.id).toBe(sandbox.body.item.id);
        expect((await source.api.get('/instance')).body.item.id).toBe(source.id);
        // Listed by the operator API.
        const listed = await admin('GET', '/admin/instances');
        expect(listed.body.items.map((i: { id: string }) => i.id)).toContain(sandbox.body.item.id);
      });

      it('sandboxes without a body, and answers 404 for an unknown instance and 401 without the token', async () => {
        const source = await createInstance(t.app, 'No body');
        const res = await t.app.inject({
          method: 'POST',
          url: `/api/v1/admin/instances/${source.id}/sandbox`,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(res.statusCode, res.body).toBe(201);
        const body = JSON.parse(res.body);
        expect(body.item.id).not.toBe(source.id);
        expect((await client(t.app, body.primaryKey).get('/tickets')).status).toBe(200);
        expectProblem(await admin('POST', '/admin/instances/3f1b8c52-9a7e-4c1d-8e2f-0a1b2c3d4e5f/sandbox', {}), 404, 'not_found');
        expectProblem(await admin('POST', '/admin/instances/not-an-id/sandbox', {}), 404, 'not_found');
        expectProblem(await admin('POST', `/admin/instances/${source.id}/sandbox`, {}, 'wrong'), 401, 'unauthorized');
        expectProblem(await admin('POST', `/admin/instances/${source.id}/sandbox`, {}, source.primaryKey), 401, 'unauthorized');
      });
    });
  });
}
