import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, createInstance, createTestApp, createTicket, DIALECTS, requestor, type Client, type TestApp } from './helpers.js';

/*
 * docs/api.md §6 (and the acting user of §4) through HTTP: the status machine,
 * resolution bookkeeping, first response, and the activity log with comments.
 */

const STATUSES = ['Open', 'Reopened', 'Started', 'Resolved', 'Closed'] as const;
type Status = (typeof STATUSES)[number];

/** The transitions of docs/api.md §6, written out independently of src/. */
const ALLOWED: Record<Status, Status[]> = {
  Open: ['Started', 'Resolved', 'Closed'],
  Started: ['Resolved', 'Closed'],
  Reopened: ['Started', 'Resolved', 'Closed'],
  Resolved: ['Closed', 'Reopened'],
  Closed: ['Reopened'],
};

/** How to bring a new (Open) ticket to each status. */
const PATH_TO: Record<Status, Status[]> = {
  Open: [],
  Started: ['Started'],
  Resolved: ['Resolved'],
  Closed: ['Closed'],
  Reopened: ['Closed', 'Reopened'],
};

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const statusBody = (status: string, extra: Record<string, unknown> = {}) => ({
  status,
  ...(status.trim() === 'Resolved' ? { resolution: 'fixed' } : {}),
  ...extra,
  user: agent,
});

function expectProblem(response: { status: number; body: any; headers: Record<string, unknown> }, status: number, code?: string) {
  expect(response.status, JSON.stringify(response.body)).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({ status, statusCode: status, error: true });
  if (code) expect(response.body.code).toBe(code);
  expect(response.body.message).toBe(response.body.detail);
}

async function bringTo(api: Client, id: string, target: Status) {
  for (const step of PATH_TO[target]) {
    const res = await api.put(`/tickets/${id}/status`, statusBody(step));
    if (res.status !== 200) throw new Error(`setup ${step}: ${res.status} ${JSON.stringify(res.body)}`);
  }
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`status and activities (${dialect.name})`, () => {
    let t: TestApp;
    let api: Client;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
      api = (await createInstance(t.app)).api;
    });
    afterAll(async () => t?.close());

    describe('transition matrix', () => {
      for (const from of STATUSES) {
        for (const to of STATUSES) {
          const allowed = ALLOWED[from].includes(to);
          it(`${from} → ${to}: ${allowed ? 'allowed' : '409 invalid_transition'} (PUT and POST)`, async () => {
            for (const method of ['put', 'post'] as const) {
              const ticket = await createTicket(api, { title: `${from} to ${to}` });
              await bringTo(api, ticket.id, from);
              const before = await api.get(`/tickets/${ticket.id}/activities`);
              const beforeTicket = (await api.get(`/tickets/${ticket.id}`)).body.item;
              const res = await api[method](`/tickets/${method === 'put' ? ticket.id : ticket.ticketId}/status`, statusBody(to));
              const after = await api.get(`/tickets/${ticket.id}`);
              const activities = await api.get(`/tickets/${ticket.id}/activities`);
              if (allowed) {
                expect(res.status, JSON.stringify(res.body)).toBe(200);
                expect(Object.keys(res.body)).toEqual(['item']);
                expect(res.body.item).toMatchObject({ id: ticket.id, ticketId: ticket.ticketId, status: to });
                expect(after.body.item.status).toBe(to);
                expect(activities.body.items).toHaveLength(before.body.items.length + 1);
                expect(activities.body.items.at(-1)).toMatchObject({ type: 'statusChange', from, to, user: agent });
              } else {
                expectProblem(res, 409, 'invalid_transition');
                expect(after.body.item.status).toBe(from);
                expect(after.body.item).toEqual(beforeTicket);
                expect(activities.body.items).toHaveLength(before.body.items.length);
              }
            }
          });
        }
      }
    });

    it('answers { item } to the reference example body, verbatim, on POST /tickets/{id}/status', async () => {
      const { primaryKey, api: own } = await createInstance(t.app);
      const ticket = await createTicket(own);
      const payload =
        '{ "status" : "Resolved", "resolution": "fixed", "comment": "Great job!" , "user": { "id": "23424-xxxx-xxxx-xxxx-xxxxxxxxxxx", "name": "Jason Doe", "email": "jason.doe@wwww.com" } }';
      const res = await t.app.inject({
        method: 'POST',
        url: `/api/v1/tickets/${ticket.id}/status?key=${primaryKey}`,
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(res.statusCode, res.body).toBe(200);
      const body = JSON.parse(res.body);
      expect(Object.keys(body)).toEqual(['item']);
      const user = { id: '23424-xxxx-xxxx-xxxx-xxxxxxxxxxx', name: 'Jason Doe', email: 'jason.doe@wwww.com' };
      expect(body.item).toMatchObject({ id: ticket.id, status: 'Resolved', resolution: 'fixed', lastResolutionComment: 'Great job!', lastUpdatedBy: user });
      expect(body.item.firstResolutionOn).toMatch(ISO_UTC);
      const activities = await own.get(`/tickets/${ticket.ticketId}/activities`);
      expect(activities.body.items).toEqual([
        expect.objectContaining({ type: 'statusChange', from: 'Open', to: 'Resolved', resolution: 'fixed', comment: 'Great job!', user }),
      ]);
      // The same body with PUT on a second ticket.
      const second = await createTicket(own);
      const put = await t.app.inject({
        method: 'PUT',
        url: `/api/v1/tickets/${second.ticketId}/status?key=${primaryKey}`,
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(put.statusCode).toBe(200);
      expect(JSON.parse(put.body).item.status).toBe('Resolved');
    });

    it("never sets Open, trims status values, and takes 'In Progress' for Started", async () => {
      const ticket = await createTicket(api);
      expectProblem(await api.put(`/tickets/${ticket.id}/status`, statusBody('Open')), 409, 'invalid_transition');
      expectProblem(await api.put(`/tickets/${ticket.id}/status`, statusBody(' Open ')), 409, 'invalid_transition');
      const started = await api.put(`/tickets/${ticket.id}/status`, statusBody('In Progress'));
      expect(started.status).toBe(200);
      expect(started.body.item.status).toBe('Started');
      const activities = await api.get(`/tickets/${ticket.id}/activities`);
      expect(activities.body.items[0]).toMatchObject({ from: 'Open', to: 'Started' });
      expectProblem(await api.put(`/tickets/${ticket.id}/status`, statusBody('In Progress')), 409, 'invalid_transition');
      const closed = await api.put(`/tickets/${ticket.id}/status`, statusBody(' Closed'));
      expect(closed.status).toBe(200);
      expect(closed.body.item.status).toBe('Closed');
      const reopened = await api.post(`/tickets/${ticket.id}/status`, statusBody('Reopened  '));
      expect(reopened.body.item.status).toBe('Reopened');
      expectProblem(await api.put(`/tickets/${ticket.id}/status`, statusBody('Open')), 409, 'invalid_transition');
      const resolved = await api.put(`/tickets/${ticket.id}/status`, statusBody(' Resolved '));
      expect(resolved.body.item.status).toBe('Resolved');
      // Unknown statuses are a 400, not a transition error.
      for (const status of ['Done', '', '   ', 'Closedd', 'In  Progress']) {
        const res = await api.put(`/tickets/${ticket.id}/status`, { status, user: agent });
        expect(res.status, status).toBe(400);
      }
      expect((await api.get(`/tickets/${ticket.id}`)).body.item.status).toBe('Resolved');
    });

    it('needs a resolution to resolve (400), and only a known one', async () => {
      const ticket = await createTicket(api);
      for (const body of [
        { status: 'Resolved', user: agent },
        { status: 'Resolved', resolution: null, user: agent },
        { status: 'Resolved', resolution: '', user: agent },
        { status: 'Resolved', resolution: 'solved', user: agent },
        { status: 'Resolved', comment: 'no resolution', user: agent },
      ]) {
        const res = await api.put(`/tickets/${ticket.id}/status`, body);
        expectProblem(res, 400);
        expect(['validation_failed', 'invalid_request']).toContain(res.body.code);
        expect(JSON.stringify(res.body)).toContain('resolution');
      }
      const after = await api.get(`/tickets/${ticket.id}`);
      expect(after.body.item).toMatchObject({ status: 'Open', resolution: null, firstResolutionOn: null, lastResolutionOn: null });
      expect((await api.get(`/tickets/${ticket.id}/activities`)).body.items).toEqual([]);
      for (const resolution of ['fixed', 'cannotResolve', 'cancelled'] as const) {
        const other = await createTicket(api);
        const res = await api.post(`/tickets/${other.id}/status`, { status: 'Resolved', resolution, user: agent });
        expect(res.body.item.resolution).toBe(resolution);
      }
    });

    it('sets firstResolutionOn once, lastResolutionOn and lastResolutionComment on each resolve; reopening clears resolution', async () => {
      const ticket = await createTicket(api);
      expect(ticket).toMatchObject({ resolution: null, firstResolutionOn: null, lastResolutionOn: null, lastResolutionComment: null });
      const first = (await api.put(`/tickets/${ticket.id}/status`, { status: 'Resolved', resolution: 'fixed', comment: 'Restarted the spooler', user: agent }))
        .body.item;
      expect(first.resolution).toBe('fixed');
      expect(first.lastResolutionComment).toBe('Restarted the spooler');
      expect(first.firstResolutionOn).toMatch(ISO_UTC);
      expect(first.lastResolutionOn).toBe(first.firstResolutionOn);
      expect(first.lastUpdatedOn).toBe(first.lastResolutionOn);
      expect(Date.parse(first.firstResolutionOn)).toBeGreaterThanOrEqual(Date.parse(ticket.createdOn));

      await sleep(15);
      const reopened = (await api.put(`/tickets/${ticket.id}/status`, { status: 'Reopened', comment: 'Still broken', user: requestor })).body.item;
      expect(reopened.status).toBe('Reopened');
      expect(reopened.resolution).toBeNull();
      expect(reopened.firstResolutionOn).toBe(first.firstResolutionOn);

      await sleep(15);
      const second = (
        await api.put(`/tickets/${ticket.id}/status`, { status: 'Resolved', resolution: 'cannotResolve', comment: 'Replace the printer', user: agent })
      ).body.item;
      expect(second.resolution).toBe('cannotResolve');
      expect(second.lastResolutionComment).toBe('Replace the printer');
      expect(second.firstResolutionOn).toBe(first.firstResolutionOn);
      expect(Date.parse(second.lastResolutionOn)).toBeGreaterThan(Date.parse(first.lastResolutionOn));

      // Closing a resolved ticket keeps the resolution data; what GET answers is what PUT answered.
      const closed = (await api.put(`/tickets/${ticket.id}/status`, { status: 'Closed', user: agent })).body.item;
      expect(closed.firstResolutionOn).toBe(first.firstResolutionOn);
      expect(closed.lastResolutionOn).toBe(second.lastResolutionOn);
      const read = (await api.get(`/tickets/${ticket.id}`)).body.item;
      expect(read).toEqual(closed);

      // Reopening from Closed clears the resolution too.
      const again = (await api.put(`/tickets/${ticket.id}/status`, { status: 'Reopened', user: requestor })).body.item;
      expect(again.resolution).toBeNull();
      expect(again.firstResolutionOn).toBe(first.firstResolutionOn);
    });

    it('records the acting user and timestamps on a status change', async () => {
      const ticket = await createTicket(api);
      await sleep(5);
      const res = await api.put(`/tickets/${ticket.id}/status`, { status: 'Started', comment: 'On it', user: agent });
      const item = res.body.item;
      expect(item.lastUpdatedBy).toEqual(agent);
      expect(item.createdBy).toEqual(requestor);
      expect(item.lastUpdatedOn).toMatch(ISO_UTC);
      expect(Date.parse(item.lastUpdatedOn)).toBeGreaterThan(Date.parse(ticket.lastUpdatedOn));
      for (const field of ['createdOn', 'lastUpdatedOn', 'lastInteraction', 'firstResponseOn']) expect(item[field], field).toMatch(ISO_UTC);
    });

    describe('firstResponseOn', () => {
      it("is not set by the requestor's own comments or status changes", async () => {
        const ticket = await createTicket(api);
        expect(ticket.firstResponseOn).toBeNull();
        expect((await api.post(`/tickets/${ticket.id}/comments`, { comment: 'Any news?', user: requestor })).status).toBe(201);
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.firstResponseOn).toBeNull();
        // The requestor with another name/email is still the requestor (users are identified by id).
        await api.post(`/tickets/${ticket.id}/activities`, { comment: 'Me again', user: { ...requestor, name: 'J. Doe' } });
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.firstResponseOn).toBeNull();
        const started = await api.put(`/tickets/${ticket.id}/status`, { status: 'Started', user: requestor });
        expect(started.body.item.firstResponseOn).toBeNull();
        await api.put(`/tickets/${ticket.id}/status`, { status: 'Closed', user: requestor });
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.firstResponseOn).toBeNull();
      });

      it('is set by the first comment of another user, and not changed afterwards', async () => {
        const ticket = await createTicket(api);
        await api.post(`/tickets/${ticket.id}/comments`, { comment: 'Please hurry', user: requestor });
        await sleep(5);
        const reply = await api.post(`/tickets/${ticket.id}/comments`, { comment: 'Looking into it', user: agent });
        const afterReply = (await api.get(`/tickets/${ticket.id}`)).body.item;
        expect(afterReply.firstResponseOn).toBe(reply.body.item.createdOn);
        await sleep(15);
        await api.post(`/tickets/${ticket.id}/comments`, { comment: 'Still looking', user: agent });
        const other = { id: 'agent-2', name: 'Megan Bowen', email: 'meganb@example.com' };
        await api.post(`/tickets/${ticket.id}/comments`, { comment: 'Me too', user: other });
        const resolved = await api.put(`/tickets/${ticket.id}/status`, { status: 'Resolved', resolution: 'fixed', user: other });
        expect(resolved.body.item.firstResponseOn).toBe(reply.body.item.createdOn);
      });

      it('is set by the first status change of another user', async () => {
        const ticket = await createTicket(api);
        const started = await api.put(`/tickets/${ticket.id}/status`, { status: 'Started', user: agent });
        expect(started.body.item.firstResponseOn).toMatch(ISO_UTC);
        expect(started.body.item.firstResponseOn).toBe(started.body.item.lastUpdatedOn);
        await sleep(15);
        const resolved = await api.post(`/tickets/${ticket.id}/status`, { status: 'Resolved', resolution: 'fixed', user: agent });
        expect(resolved.body.item.firstResponseOn).toBe(started.body.item.firstResponseOn);
      });

      it('is not set by creating the ticket for the requestor or by field updates, only by comments and status changes', async () => {
        const ticket = await createTicket(api, {}, agent);
        // Created by an agent on behalf of the requestor: no response yet.
        expect(ticket.firstResponseOn).toBeNull();
        await api.put(`/tickets/${ticket.id}`, { updates: { priority: 'Urgent' }, user: agent });
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.firstResponseOn).toBeNull();
        const comment = await api.post(`/tickets/${ticket.id}/comments`, { comment: 'Hi', user: agent });
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.firstResponseOn).toBe(comment.body.item.createdOn);
      });
    });

    describe('comments', () => {
      for (const route of ['activities', 'comments'] as const) {
        it(`POST /tickets/{id}/${route} answers 201 { item: IComment } with the ticket's UUID as ticketId and its number as ticketNo`, async () => {
          const ticket = await createTicket(api);
          const other = await createTicket(api);
          for (const ref of [other.id, other.ticketId, other.id.toUpperCase()]) {
            const res = await api.post(`/tickets/${ref}/${route}`, { comment: `via ${ref}`, user: agent });
            expect(res.status, JSON.stringify(res.body)).toBe(201);
            expect(Object.keys(res.body)).toEqual(['item']);
            expect(Object.keys(res.body.item).sort()).toEqual([
              'activityId',
              'attachments',
              'comment',
              'comment_HTML',
              'createdBy',
              'createdDateTime',
              'createdOn',
              'id',
              'isPrivate',
              'ticketId',
              'ticketNo',
              'user',
            ]);
            expect(res.body.item).toMatchObject({ ticketId: other.id, ticketNo: other.ticketId, comment: `via ${ref}`, isPrivate: false, user: agent });
            expect(res.body.item.ticketId).not.toBe(ticket.id);
            expect(typeof res.body.item.id).toBe('string');
            expect(res.body.item.createdOn).toMatch(ISO_UTC);
          }
          const note = await api.post(`/tickets/${other.id}/${route}`, { comment: 'internal note', isPrivate: true, user: agent });
          expect(note.status).toBe(201);
          expect(note.body.item.isPrivate).toBe(true);
          const explicitPublic = await api.post(`/tickets/${other.id}/${route}`, { comment: 'public', isPrivate: false, user: agent });
          expect(explicitPublic.body.item.isPrivate).toBe(false);
          // The activities list has them, with the same ids.
          const listed = (await api.get(`/tickets/${other.id}/activities`)).body.items;
          expect(listed).toHaveLength(5);
          expect(listed[3]).toMatchObject({
            id: note.body.item.id,
            type: 'comment',
            comment: 'internal note',
            isPrivate: true,
            ticketId: other.id,
            ticketNo: other.ticketId,
          });
          expect(new Set(listed.map((a: { id: string }) => a.id)).size).toBe(5);
          // The other ticket has none.
          expect((await api.get(`/tickets/${ticket.id}/activities`)).body.items).toEqual([]);
          // A comment counts as an interaction.
          expect((await api.get(`/tickets/${other.id}`)).body.item.lastInteraction).toBe(explicitPublic.body.item.createdOn);
        });
      }

      it('rejects a missing, blank or non-string comment with 400', async () => {
        const ticket = await createTicket(api);
        for (const body of [
          { user: agent },
          { comment: '', user: agent },
          { comment: '   ', user: agent },
          { comment: 42, user: agent },
          { comment: 'x', isPrivate: 'yes', user: agent },
        ]) {
          expectProblem(await api.post(`/tickets/${ticket.id}/comments`, body), 400);
          expectProblem(await api.post(`/tickets/${ticket.id}/activities`, body), 400);
        }
        expect((await api.get(`/tickets/${ticket.id}/activities`)).body.items).toEqual([]);
      });
    });

    it('lists comments, status changes and field changes oldest first, each with id, type, user, createdOn', async () => {
      const ticket = await createTicket(api, { title: 'Printer jammed', priority: 'Low' });
      await api.put(`/tickets/${ticket.id}`, { updates: { title: 'Printer jammed again' }, user: agent });
      await api.post(`/tickets/${ticket.id}/comments`, { comment: 'It makes a noise', user: requestor });
      await api.put(`/tickets/${ticket.id}/status`, { status: 'Started', user: agent });
      await api.put(`/tickets/${ticket.ticketId}`, { updates: { priority: 'Urgent', assignee: agent }, user: agent });
      await api.post(`/tickets/${ticket.id}/activities`, { comment: 'Ordered a part', isPrivate: true, user: agent });
      await api.post(`/tickets/${ticket.id}/status`, { status: 'Resolved', resolution: 'fixed', comment: 'Part replaced', user: agent });
      await api.put(`/tickets/${ticket.id}/status`, { status: 'Closed', user: requestor });

      const res = await api.get(`/tickets/${ticket.ticketId}/activities`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['items', 'continuationToken', 'itemCount']);
      expect(res.body).toMatchObject({ continuationToken: null, itemCount: 8 });
      const items = res.body.items;
      expect(items.map((a: { type: string }) => a.type)).toEqual([
        'fieldChange',
        'comment',
        'statusChange',
        'fieldChange',
        'fieldChange',
        'comment',
        'statusChange',
        'statusChange',
      ]);
      for (const activity of items) {
        expect(typeof activity.id).toBe('string');
        expect(activity.id.length).toBeGreaterThan(0);
        expect(activity.createdOn).toMatch(ISO_UTC);
        expect(activity.user).toEqual(expect.objectContaining({ id: expect.any(String), name: expect.any(String), email: expect.any(String) }));
        expect(activity.ticketId).toBe(ticket.id);
        expect(activity.ticketNo).toBe(ticket.ticketId);
      }
      const times = items.map((a: { createdOn: string }) => Date.parse(a.createdOn));
      expect([...times].sort((x, y) => x - y)).toEqual(times);
      expect(new Set(items.map((a: { id: string }) => a.id)).size).toBe(items.length);

      expect(items[0]).toMatchObject({ type: 'fieldChange', field: 'title', from: 'Printer jammed', to: 'Printer jammed again', user: agent });
      expect(items[1]).toMatchObject({ type: 'comment', comment: 'It makes a noise', isPrivate: false, user: requestor });
      expect(items[2]).toMatchObject({ type: 'statusChange', from: 'Open', to: 'Started', resolution: null, comment: null, user: agent });
      const changes = [items[3], items[4]].sort((x, y) => x.field.localeCompare(y.field));
      expect(changes[0]).toMatchObject({ type: 'fieldChange', field: 'assignee', from: null, to: agent });
      expect(changes[1]).toMatchObject({ type: 'fieldChange', field: 'priority', from: 'Low', to: 'Urgent' });
      expect(items[5]).toMatchObject({ type: 'comment', comment: 'Ordered a part', isPrivate: true });
      expect(items[6]).toMatchObject({ type: 'statusChange', from: 'Started', to: 'Resolved', resolution: 'fixed', comment: 'Part replaced', user: agent });
      expect(items[7]).toMatchObject({ type: 'statusChange', from: 'Resolved', to: 'Closed', resolution: null, comment: null, user: requestor });

      // An update that changes nothing adds no activity.
      await api.put(`/tickets/${ticket.id}`, { updates: { priority: 'Urgent' }, user: agent });
      expect((await api.get(`/tickets/${ticket.id}/activities`)).body.items).toHaveLength(items.length);
      // A new ticket has none; an unknown one is a 404.
      expect((await api.get(`/tickets/${(await createTicket(api)).id}/activities`)).body).toEqual({ items: [], continuationToken: null, itemCount: 0 });
      expectProblem(await api.get('/tickets/99999/activities'), 404, 'not_found');
    });

    it('answers 400 when the acting user is missing or invalid, on every ticket write', async () => {
      const ticket = await createTicket(api);
      const badUsers: unknown[] = [
        undefined,
        null,
        {},
        { name: 'No id', email: 'x@example.com' },
        { id: '', name: 'Empty id', email: 'x@example.com' },
        'agent-1',
      ];
      for (const user of badUsers) {
        const withUser = (body: Record<string, unknown>) => (user === undefined ? body : { ...body, user });
        const writes: [keyof Client, string, Record<string, unknown>][] = [
          ['post', '/tickets', withUser({ ticket: { title: 'No user', requestor } })],
          ['put', `/tickets/${ticket.id}`, withUser({ updates: { title: 'No user' } })],
          ['put', `/tickets/${ticket.id}`, withUser({ ticket: { title: 'No user' } })],
          ['put', `/tickets/${ticket.id}/status`, withUser({ status: 'Started' })],
          ['post', `/tickets/${ticket.id}/status`, withUser({ status: 'Resolved', resolution: 'fixed', comment: 'x' })],
          ['post', `/tickets/${ticket.id}/comments`, withUser({ comment: 'No user' })],
          ['post', `/tickets/${ticket.id}/activities`, withUser({ comment: 'No user' })],
        ];
        for (const [method, url, body] of writes) {
          const res = await (api as any)[method](url, body);
          expectProblem(res, 400);
          expect(JSON.stringify(res.body.errors ?? res.body.detail), `${method} ${url} ${JSON.stringify(user)}`).toContain('user');
        }
      }
      const after = await api.get(`/tickets/${ticket.id}`);
      expect(after.body.item).toMatchObject({ title: ticket.title, status: 'Open', lastUpdatedOn: ticket.lastUpdatedOn });
      expect((await api.get(`/tickets/${ticket.id}/activities`)).body.items).toEqual([]);
      expect((await api.get('/tickets?title=No user')).body.items).toEqual([]);
      // Any non-empty id will do, like the reference's own '053660b7-xxxx-…' ids.
      const odd = { id: '053660b7-xxxx-xxxx-xxxx-xxxxxxxxxxx', name: 'Jason Doe', email: 'jason.doe@teamswork.app' };
      expect((await api.post(`/tickets/${ticket.id}/comments`, { comment: 'ok', user: odd })).status).toBe(201);
    });
  });
}
