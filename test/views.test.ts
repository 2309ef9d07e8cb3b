import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createTestApp, createTicket, DIALECTS, signInPerson, type TestApp } from './helpers.js';

/*
 * Saved views (docs/api.md §17): a person's own listings and the shared ones admins keep, each
 * the query of GET /tickets, checked as GET /tickets checks it, with live counts on request.
 */

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`saved views (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    it('keeps a person’s own views from the others, and shows shared ones to everyone, with counts', async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const admin = await signInPerson(t.app, primaryKey, { role: 'admin' });
      const ann = await signInPerson(t.app, primaryKey, { role: 'agent', name: 'Ann' });
      const ben = await signInPerson(t.app, primaryKey, { role: 'agent', name: 'Ben' });
      await createTicket(api, { priority: 'Urgent' });
      await createTicket(api, { priority: 'Urgent' });
      await createTicket(api, { priority: 'Low' });

      const mine = await ann.web.post('/instance/views', { name: 'My urgent', query: { priority: 'Urgent', orderBy: 'ticketId', order: 'DESC' } });
      expect(mine.status, JSON.stringify(mine.body)).toBe(201);
      expect(mine.body.item).toMatchObject({ name: 'My urgent', shared: false, owner: { id: ann.person.id }, createdBy: { id: ann.person.id, name: 'Ann' } });
      expect(mine.headers.location).toBe(`/api/v1/instance/views/${mine.body.item.id}`);

      const shared = await admin.web.post('/instance/views', { name: 'All open', query: { status: 'Open' }, shared: true });
      expect(shared.status, JSON.stringify(shared.body)).toBe(201);
      expect(shared.body.item).toMatchObject({ shared: true, owner: null });

      // An agent may not share; a key's views are shared.
      expect((await ben.web.post('/instance/views', { name: 'Team', query: {}, shared: true })).status).toBe(403);
      const byKey = await api.post('/instance/views', { name: 'Low ones', query: { priority: 'Low' } });
      expect(byKey.body.item).toMatchObject({ shared: true, owner: null, createdBy: null });

      const names = async (web: typeof ann.web) => (await web.get('/instance/views')).body.items.map((v: { name: string }) => v.name);
      expect(await names(ann.web)).toEqual(['All open', 'Low ones', 'My urgent']);
      expect(await names(ben.web)).toEqual(['All open', 'Low ones']);
      expect((await api.get('/instance/views')).body.items.map((v: { name: string }) => v.name)).toEqual(['All open', 'Low ones']);
      expect((await ben.web.get(`/instance/views/${mine.body.item.id}`)).status).toBe(404);
      expect((await ben.web.put(`/instance/views/${mine.body.item.id}`, { name: 'Taken' })).status).toBe(404);
      expect((await ben.web.delete(`/instance/views/${mine.body.item.id}`)).status).toBe(404);
      // Only admins change shared views.
      expect((await ben.web.put(`/instance/views/${shared.body.item.id}`, { name: 'Renamed' })).status).toBe(403);
      expect((await ben.web.delete(`/instance/views/${shared.body.item.id}`)).status).toBe(403);

      const counted = await ann.web.get('/instance/views?withCounts=true');
      expect(counted.body.items.map((v: { name: string; itemCount: number }) => [v.name, v.itemCount])).toEqual([
        ['All open', 3],
        ['Low ones', 1],
        ['My urgent', 2],
      ]);
      expect((await ann.web.get('/instance/views')).body.items[0]).not.toHaveProperty('itemCount');

      // The view lists with its query: the same tickets as GET /tickets with it.
      const view = (await ann.web.get(`/instance/views/${mine.body.item.id}`)).body.item;
      const listed = await ann.web.get(`/tickets?${new URLSearchParams(view.query)}`);
      expect(listed.body.itemCount).toBe(2);
      expect(listed.body.items[0].ticketId).toBeGreaterThan(listed.body.items[1].ticketId);

      const renamed = await ann.web.put(`/instance/views/${mine.body.item.id}`, { name: 'Urgent', query: { priority: 'Urgent,Important' } });
      expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
      expect(renamed.body.item).toMatchObject({ name: 'Urgent', query: { priority: 'Urgent,Important' }, shared: false });
      // An admin shares a view of their own.
      const adminOwn = (await admin.web.post('/instance/views', { name: 'Draft', query: {} })).body.item;
      expect((await admin.web.put(`/instance/views/${adminOwn.id}`, { shared: true })).body.item).toMatchObject({ shared: true, owner: null });
      expect(await names(ben.web)).toContain('Draft');

      expect((await ann.web.delete(`/instance/views/${mine.body.item.id}`)).status).toBe(204);
      expect((await ann.web.get(`/instance/views/${mine.body.item.id}`)).status).toBe(404);
      // Another instance's view is not found.
      const other = await createInstance(t.app);
      expect((await other.api.get(`/instance/views/${shared.body.item.id}`)).status).toBe(404);
    });

    it('refuses a query GET /tickets would refuse, or one that is not a listing, naming each parameter', async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const ann = await signInPerson(t.app, primaryKey, { role: 'agent' });
      const bad = await ann.web.post('/instance/views', { name: 'Bad', query: { priority: 'Soon', orderBy: 'mood', limit: '5', unassigned: 'maybe' } });
      expect(bad.status).toBe(400);
      expect(bad.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual([
        '/body/query/limit',
        '/body/query/orderBy',
        '/body/query/priority',
        '/body/query/unassigned',
      ]);
      expect((await ann.web.post('/instance/views', { name: '  ', query: {} })).status).toBe(400);
      expect((await ann.web.post('/instance/views', { name: 'No query' })).status).toBe(400);
      expect((await api.post('/instance/views', { name: 'Mine', query: {}, shared: false })).status).toBe(400);
      expect((await ann.web.get('/instance/views')).body.items).toEqual([]);
      // Empty values are no filter, and are not kept.
      const made = await ann.web.post('/instance/views', { name: 'Trimmed', query: { status: ' Open ', title: '' } });
      expect(made.body.item.query).toEqual({ status: 'Open' });
    });
  });
}
