import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, client, createInstance, createTestApp, createTicket, DIALECTS, requestor, signInPerson, type Client, type TestApp } from './helpers.js';

/*
 * POST /tickets/bulk (docs/api.md §15, docs/decisions/021-bulk-actions.md): one result per
 * ticket, each ticket in a transaction of its own, activities and events exactly as the
 * single-ticket routes write them, at most 1,000 tickets, and the roles of a write under /tickets.
 */

const TAG_CATEGORY = '2283653a-8d36-40eb-9a68-73eb3b331811';

interface FeedEvent {
  id: string;
  type: string;
  ticket: string | null;
  data: Record<string, any>;
}

/** The whole event feed once it holds `count` events (PostgreSQL's feed trails running transactions). */
async function feedOf(api: Client, count: number): Promise<FeedEvent[]> {
  const read = async () => (await api.get('/instance/events?limit=1000')).body.items as FeedEvent[];
  await expect.poll(async () => (await read()).length, { timeout: 10_000 }).toBe(count);
  return read();
}

/** What a ticket's activities record, without ids and times. */
async function activitiesOf(api: Client, id: string) {
  const res = await api.get(`/tickets/${id}/activities`);
  expect(res.status).toBe(200);
  return res.body.items.map((a: any) => ({ type: a.type, changes: a.changes, user: a.user, comment: a.comment ?? null }));
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`bulk actions (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    async function instanceWithTags() {
      const instance = await createInstance(t.app);
      const tags = await instance.api.post('/tags', { id: TAG_CATEGORY, text: 'Topics', tags: [{ text: 'printer' }, { text: 'urgent' }] });
      expect(tags.status, JSON.stringify(tags.body)).toBe(201);
      return instance;
    }

    it('changes each ticket on its own: one that cannot take the changes is left whole, the others change', async () => {
      const { api } = await instanceWithTags();
      const open = await createTicket(api, { tags: [{ tagCategoryId: TAG_CATEGORY, text: 'printer' }] });
      const closed = await createTicket(api);
      expect((await api.put(`/tickets/${closed.id}/status`, { status: 'Closed', user: agent })).status).toBe(200);
      const started = await createTicket(api);

      const res = await api.post('/tickets/bulk', {
        ids: [open.id, closed.ticketId, 9999, String(started.ticketId), 'not-a-ticket'],
        changes: { priority: 'Urgent', assignee: agent, status: 'Started', addTags: [{ tagCategoryId: TAG_CATEGORY, text: 'URGENT' }] },
        user: agent,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const items = res.body.items;
      expect(items.map((i: any) => [i.id, i.ticketId, i.status])).toEqual([
        [open.id, open.ticketId, 200],
        [closed.id, closed.ticketId, 409],
        [null, 9999, 404],
        [started.id, started.ticketId, 200],
        [null, null, 404],
      ]);
      expect(items[0].item).toMatchObject({ status: 'Started', priority: 'Urgent', assignee: agent, lastUpdatedBy: agent });
      expect(items[0].item.tags).toEqual([
        { tagCategoryId: TAG_CATEGORY, text: 'printer' },
        { tagCategoryId: TAG_CATEGORY, text: 'urgent' },
      ]);
      expect(items[1].error).toMatchObject({ status: 409, code: 'invalid_transition', error: true, statusCode: 409 });
      expect(items[1].item).toBeUndefined();
      expect(items[2].error).toMatchObject({ status: 404, code: 'not_found' });

      // The 409 came after the ticket's field changes: they were rolled back with it.
      const after = (await api.get(`/tickets/${closed.id}`)).body.item;
      expect(after).toMatchObject({ status: 'Closed', priority: 'Medium', assignee: null });
      expect((await activitiesOf(api, closed.id)).map((a: any) => a.type)).toEqual(['statusChange']);
    });

    it('writes the activities and events the single-ticket routes write, ticket by ticket', async () => {
      const { api } = await instanceWithTags();
      const viaBulk = await createTicket(api);
      const viaRoutes = await createTicket(api);
      const before = (await feedOf(api, 2)).length;

      const changes = { priority: 'Important', assignee: agent, addTags: [{ tagCategoryId: TAG_CATEGORY, text: 'printer' }] };
      expect(
        (await api.put(`/tickets/${viaRoutes.id}`, { updates: { priority: 'Important', assignee: agent, tags: changes.addTags }, user: agent })).status,
      ).toBe(200);
      expect((await api.put(`/tickets/${viaRoutes.id}/status`, { status: 'Resolved', resolution: 'fixed', comment: 'Done', user: agent })).status).toBe(200);
      const bulk = await api.post('/tickets/bulk', {
        ids: [viaBulk.id],
        changes: { ...changes, status: 'Resolved', resolution: 'fixed', comment: 'Done' },
        user: agent,
      });
      expect(bulk.body.items[0].status, JSON.stringify(bulk.body)).toBe(200);

      expect(await activitiesOf(api, viaBulk.id)).toEqual(await activitiesOf(api, viaRoutes.id));
      const feed = (await feedOf(api, before + 2 * 3)).slice(before);
      const eventsOf = (id: string) => feed.filter((e) => e.ticket === id).map((e) => [e.type, e.data.changedFields ?? e.data.to ?? null]);
      expect(eventsOf(viaBulk.id)).toEqual(eventsOf(viaRoutes.id));
      expect(eventsOf(viaBulk.id).map(([type]) => type)).toEqual(['ticket.updated', 'ticket.assigned', 'ticket.statusChanged']);
      const ticket = (await api.get(`/tickets/${viaBulk.id}`)).body.item;
      expect(ticket).toMatchObject({ status: 'Resolved', resolution: 'fixed', lastResolutionComment: 'Done', priority: 'Important' });
    });

    it('takes tags off, and answers a ticket that needs no change as it is', async () => {
      const { api } = await instanceWithTags();
      const printer = { tagCategoryId: TAG_CATEGORY, text: 'printer' };
      const tagged = await createTicket(api, { tags: [printer] });
      const bare = await createTicket(api);
      const res = await api.post('/tickets/bulk', { ids: [tagged.id, bare.id], changes: { removeTags: [{ ...printer, text: 'PRINTER' }] }, user: agent });
      expect(res.body.items.map((i: any) => [i.status, i.item.tags])).toEqual([
        [200, []],
        [200, []],
      ]);
      expect(await activitiesOf(api, bare.id)).toEqual([]);
      expect((await activitiesOf(api, tagged.id)).map((a: any) => a.type)).toEqual(['fieldChange']);
    });

    it("raises each changed ticket's version: an ETag read before is stale after", async () => {
      const { api } = await createInstance(t.app);
      const ticket = await createTicket(api);
      const etag = (await api.get(`/tickets/${ticket.id}`)).headers.etag as string;
      expect(etag).toBeTruthy();
      expect((await api.post('/tickets/bulk', { ids: [ticket.id], changes: { priority: 'Low' }, user: agent })).body.items[0].status).toBe(200);
      expect((await api.get(`/tickets/${ticket.id}`)).headers.etag).not.toBe(etag);
      const stale = await api.put(`/tickets/${ticket.id}`, { updates: { title: 'Late' }, user: agent }, { 'if-match': etag });
      expect([stale.status, stale.body.code]).toEqual([412, 'precondition_failed']);
    });

    it('takes at most 1,000 tickets, and refuses what would fail on every ticket before changing any', async () => {
      const { api } = await createInstance(t.app);
      const ticket = await createTicket(api);
      const ids = Array.from({ length: 1001 }, (_, i) => i + 1);
      const tooMany = await api.post('/tickets/bulk', { ids, changes: { priority: 'Low' }, user: agent });
      expect([tooMany.status, tooMany.body.code]).toEqual([400, 'validation_failed']);
      expect(tooMany.body.errors[0].path).toBe('/body/ids');

      const full = await api.post('/tickets/bulk', { ids: ids.slice(0, 1000), changes: { priority: 'Low' }, user: agent });
      expect(full.status).toBe(200);
      expect(full.body.items).toHaveLength(1000);
      expect(full.body.items[0]).toMatchObject({ id: ticket.id, status: 200, item: { priority: 'Low' } });
      expect(full.body.items.slice(1).every((i: any) => i.status === 404)).toBe(true);

      for (const [body, path] of [
        [{ ids: [], changes: { priority: 'Low' }, user: agent }, '/body/ids'],
        [{ ids: [ticket.id], changes: {}, user: agent }, '/body/changes'],
        [{ ids: [ticket.id], changes: { status: 'Resolved' }, user: agent }, '/body/changes/resolution'],
        [{ ids: [ticket.id], changes: { status: 'Done' }, user: agent }, '/body/changes/status'],
        [{ ids: [ticket.id], changes: { priority: 'High', resolution: 'fixed' }, user: agent }, '/body/changes/priority'],
        [{ ids: [ticket.id], changes: { priority: 'Low', resolution: 'fixed' }, user: agent }, '/body/changes/resolution'],
        [{ ids: [ticket.id], changes: { priority: 'Low' } }, '/body/user'],
        [{ ids: [ticket.id], changes: { status: 'Closed' }, user: agent, extra: 1 }, '/body/extra'],
      ] as const) {
        const res = await api.post('/tickets/bulk', body);
        expect([res.status, res.body.code], JSON.stringify(body)).toEqual([400, 'validation_failed']);
        expect(
          res.body.errors.map((e: any) => e.path),
          JSON.stringify(body),
        ).toContain(path);
      }
      expect((await api.get(`/tickets/${ticket.id}`)).body.item).toMatchObject({ status: 'Open', priority: 'Low' });
    });

    it('lets agents and admins act as themselves; viewers and read-only keys may not', async () => {
      const { api, primaryKey } = await createInstance(t.app);
      const ticket = await createTicket(api);
      const viewer = await signInPerson(t.app, primaryKey, { role: 'viewer' });
      const denied = await viewer.web.post('/tickets/bulk', { ids: [ticket.id], changes: { priority: 'Low' } });
      expect([denied.status, denied.body.code]).toEqual([403, 'forbidden']);

      const person = await signInPerson(t.app, primaryKey, { role: 'agent' });
      const asPerson = await person.web.post('/tickets/bulk', { ids: [ticket.id], changes: { priority: 'Low' } });
      expect(asPerson.body.items[0].item.lastUpdatedBy).toEqual({ id: person.person.id, name: person.person.name, email: person.person.email });
      const someoneElse = await person.web.post('/tickets/bulk', { ids: [ticket.id], changes: { priority: 'Urgent' }, user: agent });
      expect([someoneElse.status, someoneElse.body.code]).toEqual([400, 'validation_failed']);

      // The instance's userPermission binds people in bulk as it does one ticket at a time.
      expect((await api.put('/instance', { userPermission: [{ key: 'priority', selectedKey: '4_requestorCannotEdit' }] })).status).toBe(200);
      const requestorPerson = await signInPerson(t.app, primaryKey, { role: 'agent', email: 'req-bulk@example.com' });
      const own = await createTicket(api, { requestor: { id: requestorPerson.person.id, name: 'R', email: 'req-bulk@example.com' } });
      const refused = await requestorPerson.web.post('/tickets/bulk', { ids: [own.id, ticket.id], changes: { priority: 'Urgent' } });
      expect(refused.body.items.map((i: any) => [i.status, i.error?.code ?? null])).toEqual([
        [403, 'forbidden'],
        [200, null],
      ]);

      const readOnly = await api.put('/instance', { keyAccess: { secondary: 'readOnly' } });
      expect(readOnly.status).toBe(200);
      const secondary = (await api.post('/instance/keys/secondary/regenerate')).body.key as string;
      const res = await client(t.app, secondary).post('/tickets/bulk', { ids: [ticket.id], changes: { priority: 'Low' }, user: requestor });
      expect([res.status, res.body.code]).toEqual([403, 'forbidden']);
    });
  });
}
