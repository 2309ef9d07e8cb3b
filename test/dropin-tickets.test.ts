import { Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredTicket } from '../src/domain/ticket.js';
import { openBulkLoader } from '../src/store/bulk.repo.js';
import { openStore, type Store } from '../src/store/db.js';
import { migrateToLatest, migrations } from '../src/store/migrate.js';
import { toColumns } from '../src/store/tickets.repo.js';
import {
  agent,
  client,
  createInstance,
  createTestApp,
  createTicket,
  DIALECTS,
  FakeClock,
  requestor,
  scratchDatabase,
  signInPerson,
  type Client,
  type TestApp,
} from './helpers.js';

/*
 * What the original product's clients read on tickets (API-CONTRACT §10, docs/api.md §5 and §7):
 * ticketNo, trackingId, origin, the breach flags; the listing filters isResolved, statusId,
 * isFrtBreached, isRtBreached, origin, trackingId, ticketNo; itemCount as the number of matching
 * tickets over all pages, on every listing; GET /tickets/counts; and the count tables staying
 * equal to COUNT(*) through a mixed workload. On both stores.
 */

type Listed = { items: Record<string, any>[]; continuationToken?: string | null; itemCount: number };
const MIN = 60_000;

async function list(api: Client, query = '', token?: string): Promise<Listed> {
  const response = await api.get(`/tickets?${query}`, token ? { continuationToken: token } : {});
  if (response.status !== 200) throw new Error(`GET /tickets?${query}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as Listed;
}

/** Every page of a listing, followed by its tokens: the ticketIds and each page's itemCount. */
async function walk(api: Client, query: string, limit = 3): Promise<{ ids: number[]; counts: number[] }> {
  const ids: number[] = [];
  const counts: number[] = [];
  let token: string | undefined;
  do {
    const page = await list(api, `${query}&limit=${limit}`, token);
    ids.push(...page.items.map((i) => i.ticketId as number));
    counts.push(page.itemCount);
    token = page.continuationToken ?? undefined;
  } while (token);
  return { ids, counts };
}

async function expectBadQuery(api: Client, query: string, parameter: string, path = '/tickets') {
  const response = await api.get(`${path}?${query}`);
  expect(response.status, query).toBe(400);
  expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(response.body.code).toBe('validation_failed');
  expect(response.body.errors.map((e: { path: string }) => e.path)).toContain(`/query/${parameter}`);
}

async function ok<T = any>(call: Promise<{ status: number; body: T }>, status = 200): Promise<T> {
  const response = await call;
  if (response.status !== status) throw new Error(`expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

const setStatus = (api: Client, ticket: number | string, status: string, extra: Record<string, unknown> = {}) =>
  ok(api.put(`/tickets/${ticket}/status`, { status, user: agent, ...extra }));

const trackingIdOf = (ticket: { id: string; ticketId: number }) => `T${ticket.ticketId}-${ticket.id.slice(-8).toUpperCase()}`;

/** The new fields as the contract has them. */
function expectDropInFields(item: Record<string, any>, origin = 'api') {
  expect(item.ticketNo).toBe(item.ticketId);
  expect(item.trackingId).toBe(trackingIdOf(item as { id: string; ticketId: number }));
  expect(item.trackingId).toMatch(/^T\d+-[0-9A-F]{8}$/);
  expect(item.origin).toBe(origin);
  expect(typeof item.isFrtBreached).toBe('boolean');
  expect(typeof item.isRtBreached).toBe('boolean');
}

/** The count tables added up, against COUNT(*) over the tickets, for one instance. */
async function expectCountsEqualTickets(store: Store, instanceId: string) {
  const p = store.dialect.placeholder(1);
  const flags = 'is_frt_escalated, is_rt_escalated, is_frt_breached, is_rt_breached';
  const compare = async (table: string, keys: string, where = '') => {
    const counted = await store.readRows({
      sql: `SELECT ${keys}, sum(n) FROM ${table} WHERE instance_id = ${p} GROUP BY ${keys} HAVING sum(n) <> 0 ORDER BY ${keys}`,
      parameters: [instanceId],
    });
    const actual = await store.readRows({
      sql: `SELECT ${keys}, count(*) FROM tickets WHERE instance_id = ${p} ${where} GROUP BY ${keys} ORDER BY ${keys}`,
      parameters: [instanceId],
    });
    const normal = (rows: unknown[][]) => rows.map((row) => row.map((v) => (typeof v === 'string' ? v : Number(v))));
    expect(normal(counted), table).toEqual(normal(actual));
    return actual.length;
  };
  expect(await compare('ticket_counts', `status_rank, priority_rank, origin, ${flags}`), 'tickets to count').toBeGreaterThan(0);
  await compare('ticket_assignee_counts', `assignee_id, assignee_email_sort, status_rank, priority_rank, ${flags}`, 'AND assignee_id IS NOT NULL');
}

const people = [
  { id: 'ag-1', name: 'Ann Agent', email: 'ann@example.com' },
  { id: 'ag-2', name: 'Ben Agent', email: 'Ben@Example.com' },
  { id: 'ag-3', name: 'Cat Agent', email: 'cat@example.com' },
];

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`drop-in ticket fields, filters and counts (${dialect.name})`, () => {
    const clock = new FakeClock();
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name, { clock });
    });
    afterAll(async () => t?.close());

    /** A web session of a person (the requestor's address, so `user: requestor` is them): the web app's own requests. */
    async function webClient(key: string) {
      const { cookie } = await signInPerson(t.app, key, { email: requestor.email, name: 'Wendy Web' });
      return async (method: 'GET' | 'POST' | 'PUT', url: string, body?: unknown) => {
        const response = await t.app.inject({
          method,
          url: `/api/v1${url}`,
          headers: { cookie, 'x-requested-with': 'ticketing-web', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
        });
        return { status: response.statusCode, body: JSON.parse(response.body) };
      };
    }

    describe('ticket fields', () => {
      it('carries ticketNo, trackingId, origin and the breach flags on every ticket answer', async () => {
        const { api } = await createInstance(t.app);
        const created = (await ok(api.post('/tickets', { ticket: { title: 'Printer jam', requestor }, user: requestor }), 201)).item;
        expectDropInFields(created);
        expect(created).toMatchObject({ isFrtBreached: false, isRtBreached: false, origin: 'api' });

        expectDropInFields((await ok(api.get(`/tickets/${created.id}`))).item);
        expectDropInFields((await ok(api.get(`/tickets/${created.ticketId}`))).item);
        expectDropInFields((await ok(api.put(`/tickets/${created.id}`, { updates: { priority: 'Urgent' }, user: agent }))).item);
        expectDropInFields(await setStatus(api, created.id, 'Started').then((b) => b.item));
        // The list as SQLite writes it, as rows (select) and as a search.
        expectDropInFields((await list(api)).items[0]!);
        expectDropInFields((await list(api, 'search=printer')).items[0]!);
        const selected = (await list(api, 'select=ticketNo,trackingId,origin,isFrtBreached,isRtBreached')).items[0]!;
        expect(Object.keys(selected).sort()).toEqual(['id', 'isFrtBreached', 'isRtBreached', 'origin', 'ticketNo', 'trackingId']);
        expect(selected).toMatchObject({ ticketNo: created.ticketId, trackingId: created.trackingId, origin: 'api', isFrtBreached: false });

        // Stable: the same tracking id on every read, and unique in the instance.
        const second = await createTicket(api, { title: 'Another' });
        expect(second.trackingId).not.toBe(created.trackingId);
        expect((await ok(api.get(`/tickets/${created.ticketId}`))).item.trackingId).toBe(created.trackingId);
      });

      it('is described by the OpenAPI document', async () => {
        const doc = JSON.parse((await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).body);
        const ticket = doc.components.schemas.ITicket;
        for (const name of ['ticketNo', 'trackingId', 'origin', 'isFrtBreached', 'isRtBreached']) expect(ticket.required, name).toContain(name);
        expect(ticket.properties.origin.enum).toEqual(['api', 'web', 'email']);
        const parameters = doc.paths['/tickets'].get.parameters.map((p: { name: string }) => p.name);
        for (const name of ['isResolved', 'statusId', 'isFrtBreached', 'isRtBreached', 'origin', 'trackingId', 'ticketNo']) expect(parameters).toContain(name);
        expect(doc.paths['/tickets/counts'].get.responses['200']).toBeDefined();
      });

      it('takes origin from how the ticket was made: web for the web app, api for keys, email when a key says so', async () => {
        const { api, primaryKey } = await createInstance(t.app);
        const web = await webClient(primaryKey);
        const fromWeb = await web('POST', '/tickets', { ticket: { title: 'From the desk', requestor }, user: requestor });
        expect(fromWeb.status).toBe(201);
        expect(fromWeb.body.item.origin).toBe('web');
        expect((await ok(api.get(`/tickets/${fromWeb.body.item.id}`))).item.origin).toBe('web');

        const fromMail = await ok(api.post('/tickets', { ticket: { title: 'Re: printer', requestor, origin: 'email' }, user: requestor }), 201);
        expect(fromMail.item.origin).toBe('email');
        expect((await ok(api.post('/tickets', { ticket: { title: 'Said api', requestor, origin: 'api' }, user: requestor }), 201)).item.origin).toBe('api');

        // Nobody claims web; the web app creates web tickets only; origin does not change later.
        const claimed = await api.post('/tickets', { ticket: { title: 'x', requestor, origin: 'web' }, user: requestor });
        expect(claimed.status).toBe(400);
        expect(claimed.body.errors.map((e: { path: string }) => e.path)).toContain('/body/ticket/origin');
        expect((await web('POST', '/tickets', { ticket: { title: 'x', requestor, origin: 'email' }, user: requestor })).status).toBe(400);
        expect((await api.post('/tickets', { ticket: { title: 'x', requestor, origin: 'fax' }, user: requestor })).status).toBe(400);
        const changed = await api.put(`/tickets/${fromMail.item.id}`, { updates: { origin: 'api' }, user: agent });
        expect(changed.status).toBe(400);
        expect((await ok(api.get(`/tickets/${fromMail.item.id}`))).item.origin).toBe('email');
        expect((await ok(api.get('/tickets?origin=email'))).items.map((i: { id: string }) => i.id)).toEqual([fromMail.item.id]);
      });

      it('refuses the server-owned fields on create', async () => {
        const { api } = await createInstance(t.app);
        for (const [name, value] of [
          ['ticketNo', 7],
          ['trackingId', 'T7-00000000'],
          ['isFrtBreached', true],
          ['isRtBreached', false],
        ] as const) {
          const response = await api.post('/tickets', { ticket: { title: 'x', requestor, [name]: value }, user: requestor });
          expect(response.status, name).toBe(400);
          expect(response.body.errors).toContainEqual({ path: `/body/ticket/${name}`, message: 'is set by the server and cannot be given' });
        }
        expect((await list(api)).itemCount).toBe(0);
      });

      it('marks a missed target as breached, escalated or not, and keeps a resolution breach after a reopening', async () => {
        clock.set('2026-11-23T08:00:00.000Z'); // Monday 09:00 in Paris
        const { api } = await createInstance(t.app);
        const sla = {
          enabled: true,
          timeZone: 'Europe/Paris',
          workingDays: [1, 2, 3, 4, 5],
          workingHours: { start: '09:00', end: '17:00' },
          holidays: [],
          targets: { Urgent: { firstResponseMinutes: 60, resolutionMinutes: 120 } },
          breachAssignees: [],
        };
        expect((await api.put('/instance', { sla })).status).toBe(200);
        const late = await createTicket(api, { priority: 'Urgent', title: 'late response' });
        const onTime = await createTicket(api, { priority: 'Urgent', title: 'on time' });
        const ignored = await createTicket(api, { priority: 'Urgent', title: 'ignored' });
        expect(late.frtDueOn).toBe('2026-11-23T09:00:00.000Z');

        // On time: nothing breached.
        clock.set('2026-11-23T08:30:00.000Z');
        await ok(api.post(`/tickets/${onTime.id}/comments`, { comment: 'On it', user: agent }), 201);
        expect((await setStatus(api, onTime.id, 'Resolved', { resolution: 'fixed' })).item).toMatchObject({ isRtBreached: false });
        // Late, before the scheduler ran: breached, not escalated (the escalation never comes).
        clock.set('2026-11-23T09:10:00.000Z');
        await ok(api.post(`/tickets/${late.id}/comments`, { comment: 'Sorry for the wait', user: agent }), 201);
        let item = (await ok(api.get(`/tickets/${late.id}`))).item;
        expect(item).toMatchObject({ isFrtBreached: true, isFrtEscalated: false, isRtBreached: false });
        expect((await ok(api.get(`/tickets/${onTime.id}`))).item).toMatchObject({ isFrtBreached: false, isFrtEscalated: false });
        await t.scheduler.runDue();
        item = (await ok(api.get(`/tickets/${late.id}`))).item;
        expect(item).toMatchObject({ isFrtBreached: true, isFrtEscalated: false });
        // Nobody answered: the escalation marks both.
        expect((await ok(api.get(`/tickets/${ignored.id}`))).item).toMatchObject({ isFrtBreached: true, isFrtEscalated: true });

        // Resolved after it was due, before the scheduler: a resolution breach.
        clock.set('2026-11-23T10:05:00.000Z');
        item = (await setStatus(api, late.id, 'Resolved', { resolution: 'fixed' })).item;
        expect(item).toMatchObject({ isRtBreached: true, isRtEscalated: false });
        // Reopened: a new resolution cycle, escalation cleared, the breach stays.
        item = (await setStatus(api, late.id, 'Reopened')).item;
        expect(item).toMatchObject({ isRtBreached: true, isRtEscalated: false });

        expect((await list(api, 'isFrtBreached=true&orderBy=ticketId&select=ticketId')).items.map((i) => i.ticketId)).toEqual([
          late.ticketId,
          ignored.ticketId,
        ]);
        expect((await list(api, 'isFrtBreached=true&isFrtEscalated=false')).items.map((i) => i.ticketId)).toEqual([late.ticketId]);
        expect((await list(api, 'isRtBreached=true')).items.map((i) => i.ticketId)).toEqual([late.ticketId]);
        expect((await list(api, 'isRtBreached=false&orderBy=ticketId')).items.map((i) => i.ticketId)).toEqual([onTime.ticketId, ignored.ticketId]);
        expect((await list(api, 'isFrtBreached=true')).itemCount).toBe(2);
        await expectCountsEqualTickets(t.store, (await ok(api.get('/instance'))).item.id);
      });
    });

    describe('listing filters', () => {
      let api: Client;
      let instanceId: string;
      /** ticketId → the ticket as created. */
      const tickets: Record<number, any> = {};
      beforeAll(async () => {
        const instance = await createInstance(t.app);
        api = instance.api;
        instanceId = instance.id;
        const web = await webClient(instance.primaryKey);
        // 1 Open, 2 Started, 3 Resolved, 4 Closed, 5 Reopened, 6 Open (web), 7 Open (email), 8 Closed
        for (let n = 1; n <= 8; n++) {
          const ticket = { title: `Ticket ${n}`, requestor, priority: n % 2 ? 'Low' : 'Urgent', assignee: people[n % 3] };
          if (n === 6) tickets[n] = (await web('POST', '/tickets', { ticket, user: requestor })).body.item;
          else tickets[n] = (await ok(api.post('/tickets', { ticket: { ...ticket, ...(n === 7 ? { origin: 'email' } : {}) }, user: requestor }), 201)).item;
        }
        await setStatus(api, 2, 'Started');
        await setStatus(api, 3, 'Resolved', { resolution: 'fixed' });
        await setStatus(api, 4, 'Closed');
        await setStatus(api, 5, 'Resolved', { resolution: 'fixed' });
        await setStatus(api, 5, 'Reopened');
        await setStatus(api, 8, 'Closed');
      });
      const ids = async (query: string) => (await walk(api, `orderBy=ticketId&${query}`)).ids;

      it('isResolved: Resolved and Closed, or the others; with status, the statuses of both', async () => {
        expect(await ids('isResolved=true')).toEqual([3, 4, 8]);
        expect(await ids('isResolved=false')).toEqual([1, 2, 5, 6, 7]);
        expect(await ids('isResolved=TRUE&status=Closed,Open')).toEqual([4, 8]);
        expect(await ids('isResolved=false&status=Closed')).toEqual([]);
        expect((await list(api, 'isResolved=false&status=Closed')).itemCount).toBe(0);
      });

      it('statusId: a status name, or several', async () => {
        expect(await ids('statusId=Started')).toEqual([2]);
        expect(await ids('statusId=Open,Reopened')).toEqual([1, 5, 6, 7]);
        expect(await ids('statusId=Open&status=Open,Closed')).toEqual([1, 6, 7]);
        expect(await ids('statusId=Closed&isResolved=true&priority=Urgent')).toEqual([4, 8]);
      });

      it('origin, ticketNo and trackingId', async () => {
        expect(await ids('origin=web')).toEqual([6]);
        expect(await ids('origin=api,email')).toEqual([1, 2, 3, 4, 5, 7, 8]);
        expect(await ids('origin=EMAIL')).toEqual([7]);
        expect(await ids('ticketNo=3')).toEqual([3]);
        expect(await ids('ticketNo=3,5,99')).toEqual([3, 5]);
        expect(await ids(`trackingId=${tickets[4].trackingId}`)).toEqual([4]);
        expect(await ids(`trackingId=${tickets[4].trackingId.toLowerCase()}`)).toEqual([4]);
        // The number of one ticket with the digits of another names no ticket.
        expect(await ids(`trackingId=T4-${tickets[5].trackingId.slice(-8)}`)).toEqual([]);
        expect(await ids(`trackingId=${tickets[4].trackingId}&isResolved=false`)).toEqual([]);
      });

      it('combines with the other filters, orders and pages; the tokens hold', async () => {
        expect(await ids('isResolved=false&priority=Urgent&origin=web,api')).toEqual([2, 6]);
        const { ids: byPriority, counts } = await walk(api, 'isResolved=false&orderBy=priority&order=DESC', 2);
        expect(byPriority).toEqual([6, 2, 7, 5, 1]);
        expect(counts).toEqual([5, 5, 5]);
        const first = await list(api, 'isResolved=false&limit=2');
        // A token is bound to its filters.
        const other = await api.get('/tickets?isResolved=true&limit=2', { continuationToken: first.continuationToken! });
        expect(other.status).toBe(400);
        expect((await list(api, `assignee=${people[1]!.email}&isResolved=false`)).items.map((i) => i.ticketId).sort()).toEqual([1, 7]);
      });

      it('refuses bad values with a 400 naming the parameter', async () => {
        await expectBadQuery(api, 'isResolved=yes', 'isResolved');
        await expectBadQuery(api, 'isFrtBreached=1', 'isFrtBreached');
        await expectBadQuery(api, 'isRtBreached=maybe', 'isRtBreached');
        await expectBadQuery(api, 'statusId=Pending', 'statusId');
        await expectBadQuery(api, 'origin=fax', 'origin');
        await expectBadQuery(api, 'ticketNo=abc', 'ticketNo');
        await expectBadQuery(api, 'ticketNo=1,-2', 'ticketNo');
        await expectBadQuery(api, 'trackingId=12345', 'trackingId');
        await expectBadQuery(api, 'trackingId=T1-XYZ', 'trackingId');
        // Every bad parameter at once.
        const response = await api.get('/tickets?isResolved=no&origin=fax');
        expect(response.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['/query/isResolved', '/query/origin']);
      });

      it('counts the tickets matching the filters, over all pages, on every page and listing', async () => {
        const queries = [
          '',
          'status=Open',
          'isResolved=false',
          'isResolved=true&priority=Urgent',
          'statusId=Closed',
          'origin=api',
          'origin=web,email&isResolved=false',
          'isFrtEscalated=false&isRtBreached=false',
          `assignee=${people[0]!.id}`,
          `assignee=${encodeURIComponent(people[1]!.email.toUpperCase())}&status=Open,Closed`,
          `assignee=${people[2]!.id}&isFrtBreached=false&origin=api`,
          'search=ticket',
          'search=ticket&status=Open',
          'search=5',
          'title=ticket 1',
          `requestor=${requestor.email}`,
          'createdAfter=2000-01-01&priority=Low',
          'ticketNo=1,2,3&isResolved=false',
          `trackingId=${tickets[6].trackingId}`,
          'select=ticketNo,origin&isResolved=false',
        ];
        for (const query of queries) {
          const { ids: all, counts } = await walk(api, query, 2);
          for (const count of counts) expect(count, query).toBe(all.length);
          // One page of many counts the same.
          expect((await list(api, `${query}&limit=1`)).itemCount, query).toBe(all.length);
        }
        // A page past the end, a last page reached by offset, a whole result on one page.
        expect((await list(api, 'offset=100')).itemCount).toBe(8);
        expect((await list(api, 'offset=5')).itemCount).toBe(8);
        expect((await list(api, 'search=ticket&offset=7&select=ticketId')).itemCount).toBe(8);
        expect((await list(api, 'search=ticket&limit=100')).itemCount).toBe(8);
        await expectCountsEqualTickets(t.store, instanceId);
      });

      it('counts searches and other filters anew after a write', async () => {
        expect((await list(api, 'search=wobbly')).itemCount).toBe(0);
        expect((await list(api, 'title=renamed')).itemCount).toBe(0);
        await ok(api.post('/tickets/1/comments', { comment: 'The table is wobbly', user: agent }), 201);
        expect((await list(api, 'search=wobbly')).itemCount).toBe(1);
        await ok(api.put('/tickets/2', { updates: { title: 'Renamed ticket' }, user: agent }));
        expect((await list(api, 'title=renamed')).itemCount).toBe(1);
        await ok(api.post('/tickets/3/comments', { comment: 'Wobbly too', user: agent }), 201);
        expect((await list(api, 'search=wobbly')).itemCount).toBe(2);
        expect((await list(api, 'search=wobbly&limit=1')).items).toHaveLength(1);
      });

      it('GET /tickets/counts: the count, and per status, priority, origin', async () => {
        expect(await ok(api.get('/tickets/counts'))).toEqual({ itemCount: 8 });
        expect(await ok(api.get('/tickets/counts?isResolved=false&priority=Urgent'))).toEqual({ itemCount: 2 });
        expect(await ok(api.get('/tickets/counts?groupBy=status'))).toEqual({
          itemCount: 8,
          groups: [
            { key: 'Open', itemCount: 3 },
            { key: 'Reopened', itemCount: 1 },
            { key: 'Started', itemCount: 1 },
            { key: 'Resolved', itemCount: 1 },
            { key: 'Closed', itemCount: 2 },
          ],
        });
        expect(await ok(api.get('/tickets/counts?isResolved=false&groupBy=priority'))).toEqual({
          itemCount: 5,
          groups: [
            { key: 'Low', itemCount: 3 },
            { key: 'Urgent', itemCount: 2 },
          ],
        });
        expect((await ok(api.get('/tickets/counts?groupBy=origin'))).groups).toEqual([
          { key: 'api', itemCount: 6 },
          { key: 'email', itemCount: 1 },
          { key: 'web', itemCount: 1 },
        ]);
        // The same answers counted on the tickets (a filter the count tables do not have).
        expect((await ok(api.get(`/tickets/counts?requestor=${requestor.id}&groupBy=status`))).groups).toHaveLength(5);
        expect(await ok(api.get(`/tickets/counts?requestor=${requestor.id}&groupBy=priority&isResolved=false`))).toEqual({
          itemCount: 5,
          groups: [
            { key: 'Low', itemCount: 3 },
            { key: 'Urgent', itemCount: 2 },
          ],
        });
        expect(await ok(api.get(`/tickets/counts?assignee=${people[1]!.id}&groupBy=status`))).toEqual({
          itemCount: 3,
          groups: [
            { key: 'Open', itemCount: 2 },
            { key: 'Closed', itemCount: 1 },
          ],
        });
        await expectBadQuery(api, 'groupBy=colour', 'groupBy', '/tickets/counts');
        await expectBadQuery(api, 'groupBy=status&isResolved=perhaps', 'isResolved', '/tickets/counts');
      });
    });

    it('GET /tickets/counts by local day of creation and of last resolution', async () => {
      const { api } = await createInstance(t.app);
      clock.set('2026-11-20T22:30:00.000Z'); // 23:30 on the 20th at UTC+1
      await createTicket(api, { title: 'a' });
      clock.set('2026-11-20T23:30:00.000Z'); // 00:30 on the 21st at UTC+1
      await createTicket(api, { title: 'b' });
      clock.set('2026-11-21T10:00:00.000Z');
      await createTicket(api, { title: 'c' });
      await setStatus(api, 3, 'Resolved', { resolution: 'fixed' });
      const utc = await ok(api.get('/tickets/counts?groupBy=createdOn'));
      expect(utc).toEqual({
        itemCount: 3,
        groups: [
          { key: '2026-11-20', itemCount: 2 },
          { key: '2026-11-21', itemCount: 1 },
        ],
      });
      expect((await ok(api.get('/tickets/counts?groupBy=createdOn&timezone=1'))).groups).toEqual([
        { key: '2026-11-20', itemCount: 1 },
        { key: '2026-11-21', itemCount: 2 },
      ]);
      expect((await ok(api.get('/tickets/counts?groupBy=createdOn&timezone=-5.5&createdAfter=2026-11-20T17:00:00'))).groups).toEqual([
        { key: '2026-11-20', itemCount: 2 },
        { key: '2026-11-21', itemCount: 1 },
      ]);
      expect((await ok(api.get('/tickets/counts?groupBy=lastResolutionOn'))).groups).toEqual([
        { key: '2026-11-21', itemCount: 1 },
        { key: null, itemCount: 2 },
      ]);
    });

    it('keeps the count tables equal to COUNT(*) through a mixed workload of concurrent writes', async () => {
      clock.set('2026-11-23T08:00:00.000Z');
      const { api, id: instanceId, primaryKey } = await createInstance(t.app);
      expect(
        (
          await api.put('/instance', {
            sla: {
              enabled: true,
              timeZone: 'UTC',
              workingDays: [1, 2, 3, 4, 5, 6, 7],
              workingHours: { start: '00:00', end: '24:00' },
              holidays: [],
              targets: { Urgent: { firstResponseMinutes: 30, resolutionMinutes: 60 }, Important: { resolutionMinutes: 90 } },
              breachAssignees: [people[2]],
            },
          })
        ).status,
      ).toBe(200);
      const web = await webClient(primaryKey);
      let seed = 7;
      const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
      const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
      const priorities = ['Low', 'Medium', 'Important', 'Urgent'];
      const next: Record<string, string[]> = {
        Open: ['Started', 'Resolved', 'Closed'],
        Started: ['Resolved', 'Closed'],
        Reopened: ['Started', 'Resolved', 'Closed'],
        Resolved: ['Closed', 'Reopened'],
        Closed: ['Reopened'],
      };
      const status = new Map<number, string>();
      const create = async () => {
        const ticket = { title: 'load', requestor, priority: pick(priorities), ...(random() < 0.6 ? { assignee: pick(people) } : {}) };
        const item =
          random() < 0.3
            ? (await web('POST', '/tickets', { ticket, user: requestor })).body.item
            : (await ok(api.post('/tickets', { ticket: { ...ticket, ...(random() < 0.2 ? { origin: 'email' } : {}) }, user: requestor }), 201)).item;
        status.set(item.ticketId, 'Open');
      };
      for (let round = 0; round < 6; round++) {
        await Promise.all(Array.from({ length: 8 }, create));
        // One write per ticket at a time, all at once: status changes, reassignments, priorities, comments.
        const numbers = [...status.keys()].filter(() => random() < 0.7);
        await Promise.all(
          numbers.map(async (n) => {
            const roll = random();
            if (roll < 0.45) {
              const to = pick(next[status.get(n)!]!);
              await setStatus(api, n, to, to === 'Resolved' ? { resolution: 'fixed' } : {});
              status.set(n, to);
            } else if (roll < 0.7) {
              await ok(api.put(`/tickets/${n}`, { updates: { assignee: random() < 0.3 ? null : pick(people) }, user: agent }));
            } else if (roll < 0.85) {
              await ok(api.put(`/tickets/${n}`, { updates: { priority: pick(priorities) }, user: agent }));
            } else {
              await ok(api.post(`/tickets/${n}/comments`, { comment: 'answer', user: pick(people) }), 201);
            }
          }),
        );
        // Time passes: the engine escalates what is due (flags, and reassignment to breachAssignees).
        clock.advance(20 * MIN);
        await t.scheduler.runDue();
      }
      // Tickets are not deleted through the API; the triggers count a deleted row out all the same.
      const [removed] = await t.store.readRows({
        sql: `SELECT seq FROM tickets WHERE instance_id = ${t.store.dialect.placeholder(1)} AND assignee_id IS NOT NULL ORDER BY seq LIMIT 1`,
        parameters: [instanceId],
      });
      await t.store.db.deleteFrom('tickets').where('instance_id', '=', instanceId).where('seq', '=', Number(removed![0])).execute();

      await expectCountsEqualTickets(t.store, instanceId);
      const escalated = await list(api, 'isFrtEscalated=true&limit=1000');
      expect(escalated.itemCount).toBeGreaterThan(0);
      expect(escalated.itemCount).toBe(escalated.items.length);
      for (const query of [
        '',
        'isResolved=false',
        'isRtBreached=true',
        `assignee=${people[2]!.id}`,
        'origin=web',
        'priority=Urgent,Important&isResolved=false',
      ]) {
        const all = await list(api, `${query}&limit=1000&select=ticketId`);
        expect(all.itemCount, query).toBe(all.items.length);
      }
      expect((await list(api)).itemCount).toBe(status.size - 1);
    });

    it('counts the tickets a bulk load writes', async () => {
      const { id, api } = await createInstance(t.app);
      const created = (await createTicket(api, { title: 'before the load', assignee: people[0] })) as StoredTicket;
      await t.close({ keepData: true }); // the loader wants the store to itself
      const loader = await openBulkLoader(t.databaseUrl, id);
      const loaded = (n: number, overrides: Partial<StoredTicket>): StoredTicket => ({
        ...created,
        id: `00000000-0000-4000-8000-00000000000${n}`,
        title: `loaded ${n}`,
        origin: 'email',
        ...overrides,
      });
      await loader.write([
        { ticket: loaded(1, { status: 'Closed', priority: 'Urgent' }), activities: [] },
        { ticket: loaded(2, { assignee: null, isFrtEscalated: true, isFrtBreached: true }), activities: [] },
        { ticket: loaded(3, { assignee: people[1]! }), activities: [] },
      ]);
      await loader.finish();
      t = await createTestApp(dialect.name, { clock, databaseUrl: t.databaseUrl });
      const reopened = client(t.app, api.key);
      await expectCountsEqualTickets(t.store, id);
      expect((await list(reopened)).itemCount).toBe(4);
      expect((await list(reopened, 'origin=email')).itemCount).toBe(3);
      expect((await list(reopened, 'isFrtBreached=true')).itemCount).toBe(1);
      expect((await list(reopened, `assignee=${people[0]!.id}&isResolved=false`)).itemCount).toBe(1);
      // The triggers are back: a write after the load is counted.
      await createTicket(reopened, { title: 'after the load' });
      expect((await list(reopened)).itemCount).toBe(5);
      await expectCountsEqualTickets(t.store, id);
    });

    // How a search is counted depends on what else the store holds and on how many tickets match
    // (SQLite's readPlans.searchCount); PostgreSQL has one way, which the tests above count with.
    if (dialect.name === 'sqlite') {
      it('counts a search exactly alone in the store, beside other instances, and with many matches', async () => {
        let own = await createTestApp(dialect.name, { clock }); // a store of its own
        const a = await createInstance(own.app);
        try {
          for (const n of [1, 2, 3]) await createTicket(a.api, { title: `lamp ${n}` });
          await createTicket(a.api, { title: 'other' });
          const count = async (api: Client, query: string) => {
            const { ids, counts } = await walk(api, query, 1000);
            expect(counts, query).toEqual([ids.length]);
            return ids.length;
          };
          // The only instance with tickets: the full-text index alone answers.
          expect(await count(a.api, 'search=lamp')).toBe(3);
          const b = await createInstance(own.app);
          for (const n of [1, 2]) await createTicket(b.api, { title: `lamp ${n}`, priority: 'Urgent' });
          // Beside another instance's matches: led by the matches.
          expect(await count(a.api, 'search=lamp')).toBe(3);
          expect(await count(b.api, 'search=lamp')).toBe(2);
          expect(await count(b.api, 'search=lamp&priority=Urgent')).toBe(2);
          // More matches than that reads (5,000): led by the instance's tickets.
          const template = (await ok(b.api.get('/tickets/1'))).item as StoredTicket;
          await own.close({ keepData: true }); // the loader wants the store to itself
          const loader = await openBulkLoader(own.databaseUrl, b.id);
          await loader.write(
            Array.from({ length: 5_100 }, (_, i) => ({
              ticket: {
                ...template,
                id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
                title: `lamp bulk ${i}`,
                priority: i % 2 ? 'Low' : 'Urgent',
              },
              activities: [],
            })),
          );
          await loader.finish();
          own = await createTestApp(dialect.name, { clock, databaseUrl: own.databaseUrl });
          const [apiA, apiB] = [client(own.app, a.api.key), client(own.app, b.api.key)];
          expect((await list(apiA, 'search=lamp')).itemCount).toBe(3);
          expect((await list(apiB, 'search=lamp')).itemCount).toBe(5_102);
          expect((await list(apiB, 'search=lamp&priority=Urgent')).itemCount).toBe(2_552);
          expect((await list(apiB, 'search=bulk')).itemCount).toBe(5_100);
          expect((await ok(apiB.get('/tickets/counts?search=lamp&groupBy=priority'))).groups).toEqual([
            { key: 'Low', itemCount: 2_550 },
            { key: 'Urgent', itemCount: 2_552 },
          ]);
        } finally {
          await own.close();
        }
      });
    }

    it('migration 010 counts the tickets there were before it', async () => {
      const { url, cleanup } = await scratchDatabase(dialect.name, '010');
      const store = openStore(url, { synchronous: 'NORMAL', poolSize: 2 });
      try {
        const provider = { getMigrations: async () => migrations(store.dialect) };
        const before = await new Migrator({ db: store.db, provider }).migrateTo('009-rate-limits');
        expect(before.error).toBeUndefined();
        const at = '2026-01-01T00:00:00.000Z';
        for (const id of ['inst-a', 'inst-b']) {
          await store.db.insertInto('instances').values({ id, name: id, settings: '{}', last_ticket_number: 0, created_on: at, updated_on: at }).execute();
        }
        // Tickets as the schema before 010 held them: no origin, no breach flags.
        const statuses = ['Open', 'Started', 'Resolved', 'Closed', 'Reopened'] as const;
        const priorities = ['Low', 'Medium', 'Important', 'Urgent'] as const;
        for (let n = 1; n <= 60; n++) {
          const ticket = {
            id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
            ticketId: n,
            title: `old ${n}`,
            description: '',
            status: statuses[n % 5]!,
            priority: priorities[n % 4]!,
            requestor,
            assignee: n % 3 === 0 ? null : people[n % 2]!,
            customFields: {},
            tags: [],
            expectedDate: null,
            resolution: null,
            lastResolutionComment: null,
            firstResponseOn: null,
            firstResolutionOn: null,
            lastResolutionOn: null,
            createdOn: at,
            lastUpdatedOn: at,
            lastInteraction: at,
            isFrtEscalated: n % 7 === 0,
            isRtEscalated: n % 11 === 0,
            isFrtBreached: false,
            isRtBreached: false,
            origin: 'api',
            createdBy: requestor,
            lastUpdatedBy: requestor,
            frtDueOn: null,
            rtDueOn: null,
            rtStartedOn: at,
          } satisfies StoredTicket;
          const {
            origin: _origin,
            is_frt_breached: _frt,
            is_rt_breached: _rt,
            description_html: _html,
            ...columns
          } = toColumns(n % 4 === 0 ? 'inst-b' : 'inst-a', ticket);
          // (The schema before 010 lacks the columns 010 and 011 added, which the Database type has now.)
          await store.db
            .insertInto('tickets')
            .values(columns as never)
            .execute();
        }
        await migrateToLatest(store.db, store.dialect);
        for (const instanceId of ['inst-a', 'inst-b']) await expectCountsEqualTickets(store, instanceId);
        const [flags] = await store.readRows({
          sql: `SELECT count(*) FROM tickets WHERE is_frt_breached <> is_frt_escalated OR is_rt_breached <> is_rt_escalated OR origin <> 'api'`,
          parameters: [],
        });
        expect(Number(flags![0])).toBe(0);
      } finally {
        await store.close();
        await cleanup();
      }
    });
  });
}
