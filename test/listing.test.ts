import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, createInstance, createTestApp, createTicket, DIALECTS, requestor, type Client, type TestApp } from './helpers.js';

/*
 * GET /tickets through HTTP (docs/api.md §7): every filter, every orderBy name in both
 * directions, select, limit/offset, validation and the response shape, on both stores.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** GET /tickets?<query>, failing the test on anything but 200. */
async function list(api: Client, query = '') {
  const response = await api.get(`/tickets?${query}`);
  if (response.status !== 200) throw new Error(`GET /tickets?${query}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body as { items: any[]; continuationToken?: string | null; itemCount: number };
}

/** ticketIds of one page, in the order the server gave them. */
async function numbers(api: Client, query = '') {
  return (await list(api, query)).items.map((item) => item.ticketId as number);
}

/** ticketIds of one page, sorted, for filters where only membership matters. */
async function matching(api: Client, query: string) {
  return (await numbers(api, `limit=1000&${query}`)).sort((a, b) => a - b);
}

/** Asserts a 400 problem whose `errors` point at the named query parameter. */
async function expectBadQuery(api: Client, query: string, parameter: string) {
  const response = await api.get(`/tickets?${query}`);
  expect(response.status, query).toBe(400);
  expect(response.body.status).toBe(400);
  expect(['invalid_request', 'validation_failed']).toContain(response.body.code);
  expect(JSON.stringify(response.body.errors ?? response.body.detail), query).toContain(parameter);
}

async function setStatus(api: Client, ticketId: number, status: string, extra: Record<string, unknown> = {}) {
  const response = await api.put(`/tickets/${ticketId}/status`, { status, user: agent, ...extra });
  if (response.status !== 200) throw new Error(`status ${status} failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.item;
}

async function comment(api: Client, ticketId: number, text: string) {
  const response = await api.post(`/tickets/${ticketId}/comments`, { comment: text, user: agent });
  if (response.status !== 201) throw new Error(`comment failed: ${response.status} ${JSON.stringify(response.body)}`);
}

/** An ISO instant as local wall-clock time at `hours` from UTC, without offset: what a browser in that zone sends. */
function localTime(instant: string, hours: number): string {
  return new Date(Date.parse(instant) + hours * 3_600_000).toISOString().slice(0, -1);
}

const person = (id: string, name: string, email: string) => ({ id, name, email });

/**
 * Seven tickets whose sort values tie and differ in case, so that every order can be checked
 * against a hand-written expectation (ticketIds 1..7 in creation order).
 */
async function sortFixture(api: Client) {
  const zoe = person('r-zoe', 'zoe', 'zoe@x.com');
  const bob = person('r-bob', 'Bob', 'Bob@x.com');
  const alice = person('r-alice', 'alice', 'adam@x.com');
  const carl = person('r-carl', 'Carl', 'Ann@x.com');
  const aAlice = person('a-alice', 'alice', 'Zed@x.com');
  const aBob = person('a-bob', 'Bob', 'bea@x.com');
  const aCarl = person('a-carl', 'Carl', 'Carl@x.com');
  const specs = [
    { title: 'banana split', priority: 'Urgent', requestor: zoe, assignee: null, expectedDate: null },
    { title: 'Apple pie', priority: 'Low', requestor: bob, assignee: aAlice, expectedDate: '2024-05-01T00:00:00Z' },
    { title: 'cherry', priority: 'Important', requestor: alice, assignee: aBob, expectedDate: '2024-01-01T00:00:00Z' },
    { title: 'apple pie', priority: 'Medium', requestor: bob, assignee: aAlice, expectedDate: '2024-05-01T00:00:00Z' },
    { title: 'Date', priority: 'Low', requestor: carl, assignee: null, expectedDate: '2023-12-31T00:00:00Z' },
    { title: 'Banana split', priority: 'Urgent', requestor: zoe, assignee: aCarl, expectedDate: null },
    { title: 'Zucchini', priority: 'Medium', requestor, assignee: null, expectedDate: '2025-01-01T00:00:00Z' },
  ];
  for (const spec of specs) {
    await createTicket(api, spec);
    await sleep(3);
  }
  // Statuses (and lastInteraction, in this order): 2 Started, 3 Closed, 4 Resolved, 5 Reopened, 7 Started, then a comment on 1.
  const steps: [number, () => Promise<unknown>][] = [
    [2, () => setStatus(api, 2, 'Started')],
    [3, () => setStatus(api, 3, 'Closed')],
    [4, () => setStatus(api, 4, 'Resolved', { resolution: 'fixed' })],
    [
      5,
      async () => {
        await setStatus(api, 5, 'Resolved', { resolution: 'fixed' });
        await setStatus(api, 5, 'Reopened');
      },
    ],
    [7, () => setStatus(api, 7, 'Started')],
    [1, () => comment(api, 1, 'any news?')],
  ];
  for (const [, step] of steps) {
    await step();
    await sleep(3);
  }
}

/** The expected ascending order of sortFixture for each orderBy name; DESC is its exact reverse. */
const ASCENDING: Record<string, number[]> = {
  ticketId: [1, 2, 3, 4, 5, 6, 7],
  createdDateTime: [1, 2, 3, 4, 5, 6, 7],
  // Open(1,6) Reopened(5) Started(2,7) Resolved(4) Closed(3): the reference's order, not alphabetical.
  status: [1, 6, 5, 2, 7, 4, 3],
  // Low(2,5) Medium(4,7) Important(3) Urgent(1,6): severity, not alphabetical.
  priority: [2, 5, 4, 7, 3, 1, 6],
  // apple pie(2,4) banana split(1,6) cherry date zucchini: case-insensitive.
  title: [2, 4, 1, 6, 3, 5, 7],
  // alice Bob(2,4) Carl Jason zoe(1,6)
  requestorName: [3, 2, 4, 5, 7, 1, 6],
  // adam ann bob(2,4) john zoe(1,6)
  requestorEmail: [3, 5, 2, 4, 7, 1, 6],
  // alice(2,4) Bob Carl, then no assignee (1,5,7) last
  assigneeName: [2, 4, 3, 6, 1, 5, 7],
  // bea carl zed(2,4), then no assignee
  assigneeEmail: [3, 6, 2, 4, 1, 5, 7],
  // 2023-12-31, 2024-01-01, 2024-05-01(2,4), 2025-01-01, then no expected date (1,6)
  expectedDate: [5, 3, 2, 4, 7, 1, 6],
  // 6 untouched since creation, then the status changes in order, then the comment on 1
  lastInteraction: [6, 2, 3, 4, 5, 7, 1],
};

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`GET /tickets listing (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    describe('response shape, limit and offset', () => {
      it('answers { items, continuationToken, itemCount } with full tickets, 10 per page by default, newest first', async () => {
        const { api } = await createInstance(t.app);
        for (let i = 1; i <= 12; i++) await createTicket(api, { title: `Ticket ${i}` });
        const body = await list(api);
        expect(Object.keys(body).sort()).toEqual(['continuationToken', 'itemCount', 'items']);
        expect(body.items.map((i) => i.ticketId)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
        // The matching tickets over all pages (docs/api.md §7), not this page's 10.
        expect(body.itemCount).toBe(12);
        expect(typeof body.continuationToken).toBe('string');
        const first = body.items[0];
        expect(first).toMatchObject({ title: 'Ticket 12', status: 'Open', priority: 'Medium', requestor, assignee: null });
        expect(first.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(first.createdOn).toMatch(/Z$/);

        const all = await list(api, 'limit=1000');
        expect(all.itemCount).toBe(12);
        expect(all.continuationToken ?? null).toBeNull();
        expect(await numbers(api, 'limit=1')).toEqual([12]);
      });

      it('pages with offset and limit', async () => {
        const { api } = await createInstance(t.app);
        for (let i = 1; i <= 12; i++) await createTicket(api, { title: `Ticket ${i}` });
        expect(await numbers(api, 'offset=3&limit=4')).toEqual([9, 8, 7, 6]);
        expect(await numbers(api, 'orderBy=ticketId&offset=10')).toEqual([11, 12]);
        expect(await numbers(api, 'offset=0&limit=2')).toEqual([12, 11]);
        const past = await list(api, 'offset=12');
        expect(past.items).toEqual([]);
        expect(past.itemCount).toBe(12);
        expect(past.continuationToken ?? null).toBeNull();
      });

      it('rejects limit outside 1..1000 and a negative or non-numeric offset with 400', async () => {
        const { api } = await createInstance(t.app);
        await createTicket(api);
        for (const limit of ['0', '1001', '-1', 'abc', '1.5']) await expectBadQuery(api, `limit=${limit}`, 'limit');
        for (const offset of ['-1', 'abc', '2.5']) await expectBadQuery(api, `offset=${offset}`, 'offset');
        expect((await list(api, 'limit=1000&offset=0')).itemCount).toBe(1);
      });
    });

    describe('orderBy and order', () => {
      let api: Client;
      beforeAll(async () => {
        api = (await createInstance(t.app)).api;
        await sortFixture(api);
      });

      for (const [name, ascending] of Object.entries(ASCENDING)) {
        it(`orders by ${name} ASC and DESC, ties by ticketId in the same direction`, async () => {
          expect(await numbers(api, `orderBy=${name}&order=ASC&limit=100`)).toEqual(ascending);
          expect(await numbers(api, `orderBy=${name}&order=DESC&limit=100`)).toEqual([...ascending].reverse());
        });
      }

      it('without orderBy lists newest first; orderBy without order is ASC; order is case-insensitive', async () => {
        expect(await numbers(api, 'limit=100')).toEqual([7, 6, 5, 4, 3, 2, 1]);
        expect(await numbers(api, 'order=DESC&limit=100')).toEqual([7, 6, 5, 4, 3, 2, 1]);
        expect(await numbers(api, 'orderBy=priority&limit=100')).toEqual(ASCENDING.priority);
        expect(await numbers(api, 'orderBy=title&order=desc&limit=100')).toEqual([...ASCENDING.title!].reverse());
        expect(await numbers(api, 'orderBy=status&order=Asc&limit=100')).toEqual(ASCENDING.status);
        // Names and values are trimmed.
        expect(await numbers(api, '%20orderBy%20=%20expectedDate%20&order=%20desc%20&limit=%20100%20')).toEqual([...ASCENDING.expectedDate!].reverse());
      });

      it('keeps the order when a page is cut with offset', async () => {
        expect(await numbers(api, 'orderBy=assigneeName&order=DESC&offset=2&limit=3')).toEqual([...ASCENDING.assigneeName!].reverse().slice(2, 5));
      });

      it('rejects an unknown orderBy or order with 400', async () => {
        await expectBadQuery(api, 'orderBy=colour', 'orderBy');
        await expectBadQuery(api, 'orderBy=priority&order=UP', 'order');
        await expectBadQuery(api, 'order=sideways', 'order');
      });
    });

    describe('select', () => {
      it('returns only the selected keys plus id, with flattened requestor and assignee names', async () => {
        const { api } = await createInstance(t.app);
        await createTicket(api, { title: 'Unassigned' });
        await createTicket(api, { title: 'Assigned', assignee: agent, priority: 'Urgent' });
        const body = await list(api, 'select=ticketId,title,requestorName,requestorEmail,assigneeName,assigneeEmail');
        expect(body.items).toHaveLength(2);
        const [assigned, unassigned] = body.items;
        expect(Object.keys(assigned).sort()).toEqual(['assigneeEmail', 'assigneeName', 'id', 'requestorEmail', 'requestorName', 'ticketId', 'title']);
        expect(assigned).toMatchObject({
          ticketId: 2,
          title: 'Assigned',
          requestorName: requestor.name,
          requestorEmail: requestor.email,
          assigneeName: agent.name,
          assigneeEmail: agent.email,
        });
        expect(assigned.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(unassigned).toMatchObject({ ticketId: 1, assigneeName: null, assigneeEmail: null });

        // Names are trimmed; nested fields come whole; id is always there.
        const nested = await list(api, `select=${encodeURIComponent(' priority , requestor,assignee , tags')}`);
        expect(Object.keys(nested.items[0]).sort()).toEqual(['assignee', 'id', 'priority', 'requestor', 'tags']);
        expect(nested.items[0]).toMatchObject({ priority: 'Urgent', requestor, assignee: agent, tags: [] });
        expect(Object.keys((await list(api, 'select=id')).items[1])).toEqual(['id']);
        // Fields come in the ITicket schema's order, whatever order they are asked in.
        expect(Object.keys((await list(api, 'select=assigneeEmail,title,ticketId')).items[0])).toEqual(['id', 'ticketId', 'title', 'assigneeEmail']);
      });

      it('rejects an unknown select name with 400', async () => {
        const { api } = await createInstance(t.app);
        await createTicket(api);
        await expectBadQuery(api, 'select=title,colour', 'select');
        await expectBadQuery(api, 'select=password', 'select');
      });

      it("serves the reference's example URL, space after & included", async () => {
        const { api } = await createInstance(t.app);
        await sortFixture(api);
        const body = await list(api, 'timezone=0&%20orderBy=status&order=ASC&select=id,ticketId,title,description,status,requestorName&offset=0&limit=20');
        expect(body.items.map((i) => i.ticketId)).toEqual(ASCENDING.status);
        expect(body.items.map((i) => i.status)).toEqual(['Open', 'Open', 'Reopened', 'Started', 'Started', 'Resolved', 'Closed']);
        for (const item of body.items) expect(Object.keys(item).sort()).toEqual(['description', 'id', 'requestorName', 'status', 'ticketId', 'title']);
        expect(body.items[0]).toMatchObject({ ticketId: 1, title: 'banana split', requestorName: 'zoe', description: '' });
        expect(body.itemCount).toBe(7);
      });
    });

    describe('search and title', () => {
      let api: Client;
      beforeAll(async () => {
        api = (await createInstance(t.app)).api;
        await createTicket(api, { title: 'Printer on fire', description: 'The office printer is burning' }); // 1
        await createTicket(api, { title: 'Network down', description: 'Cannot reach the VPN' }); // 2
        await createTicket(api, { title: 'Coffee machine', description: 'Needs descaling' }); // 3
        await comment(api, 3, 'Ordered a new capacitor');
        await createTicket(api, { title: 'Keyboard', description: 'Keys stuck' }); // 4
        await setStatus(api, 4, 'Resolved', { resolution: 'fixed', comment: 'Replaced the xylophone module' });
        await createTicket(api, { title: 'Monitor flicker', description: 'error code 2001' }); // 5
        await createTicket(api, { title: '100% uptime' }); // 6
        await createTicket(api, { title: 'snake_case names' }); // 7
        await createTicket(api, { title: 'snakeXcase names' }); // 8
        // Another tenant with the same words must never show up.
        const other = (await createInstance(t.app, 'Other')).api;
        await createTicket(other, { title: 'Printer jam', description: 'capacitor xylophone 2001' });
      });

      it('finds words in the title and the description, by word prefix, case-insensitively', async () => {
        expect(await matching(api, 'search=printer')).toEqual([1]);
        expect(await matching(api, 'search=PRINT')).toEqual([1]);
        expect(await matching(api, 'search=burning')).toEqual([1]);
        expect(await matching(api, 'search=descal')).toEqual([3]);
        expect(await matching(api, 'search=vpn')).toEqual([2]);
        expect(await matching(api, 'search=nothing-like-this')).toEqual([]);
      });

      it('searches the current title and description after an update', async () => {
        const { api: own } = await createInstance(t.app);
        await createTicket(own, { title: 'Old wording', description: 'stale text' });
        const updated = await own.put('/tickets/1', { updates: { title: 'Fresh wording', description: 'crisp text' }, user: agent });
        expect(updated.status).toBe(200);
        expect(await matching(own, 'search=old')).toEqual([]);
        expect(await matching(own, 'search=stale')).toEqual([]);
        expect(await matching(own, 'search=fresh')).toEqual([1]);
        expect(await matching(own, 'search=crisp')).toEqual([1]);
      });

      it('keeps finding earlier comments after the title changes, and finds each new comment', async () => {
        const { api: own } = await createInstance(t.app);
        await createTicket(own, { title: 'Scanner', description: 'slow' });
        await comment(own, 1, 'tried the gizmo');
        await own.put('/tickets/1', { updates: { title: 'Scanner offline' }, user: agent });
        await comment(own, 1, 'now the widget');
        expect(await matching(own, 'search=gizmo')).toEqual([1]);
        expect(await matching(own, 'search=widget')).toEqual([1]);
        expect(await matching(own, `search=${encodeURIComponent('offline gizmo widget')}`)).toEqual([1]);
        expect(await matching(own, 'search=scanner')).toEqual([1]);
      });

      it('finds words in comments, status-change comments included', async () => {
        expect(await matching(api, 'search=capacitor')).toEqual([3]);
        expect(await matching(api, 'search=xylophone')).toEqual([4]);
      });

      it('needs every word of a multi-word search, wherever on the ticket each one is', async () => {
        expect(await matching(api, `search=${encodeURIComponent('printer fire')}`)).toEqual([1]);
        expect(await matching(api, `search=${encodeURIComponent('printer vpn')}`)).toEqual([]);
        // title word + comment word
        expect(await matching(api, `search=${encodeURIComponent('coffee capacitor')}`)).toEqual([3]);
        // description word + status-change comment word
        expect(await matching(api, `search=${encodeURIComponent('stuck xylophone')}`)).toEqual([4]);
      });

      it('matches a number against ticketId as well as text', async () => {
        // "2" is too short to be a prefix (SEARCH_LIMITS): ticket 2 only, not the 2001 of ticket 5.
        expect(await numbers(api, 'search=2')).toEqual([2]);
        expect(await numbers(api, 'search=200')).toEqual([5]);
        expect(await matching(api, 'search=7')).toEqual([7]);
        expect(await matching(api, 'search=2001')).toEqual([5]);
      });

      it('treats an empty search as no filter', async () => {
        expect(await matching(api, 'search=')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(await matching(api, 'search=%20%20')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      });

      it('combines search with other filters', async () => {
        expect(await matching(api, 'search=xylophone&status=Open')).toEqual([]);
        expect(await matching(api, 'search=xylophone&status=Resolved')).toEqual([4]);
      });

      it('filters title by case-insensitive substring, taking % and _ literally', async () => {
        expect(await matching(api, 'title=RINTER%20ON')).toEqual([1]);
        expect(await matching(api, 'title=down')).toEqual([2]);
        expect(await matching(api, 'title=vpn')).toEqual([]); // description is not the title
        expect(await matching(api, 'title=%25')).toEqual([6]);
        expect(await matching(api, 'title=e_c')).toEqual([7]);
        expect(await matching(api, 'title=')).toHaveLength(8);
      });
    });

    describe('status, priority and tags', () => {
      it('filters by one or several statuses, values trimmed; unknown status is 400', async () => {
        const { api } = await createInstance(t.app);
        for (let i = 1; i <= 5; i++) await createTicket(api, { title: `T${i}` });
        await setStatus(api, 2, 'Started');
        await setStatus(api, 3, 'Resolved', { resolution: 'fixed' });
        await setStatus(api, 4, 'Closed');
        await setStatus(api, 5, 'Closed');
        await setStatus(api, 5, 'Reopened');
        expect(await matching(api, 'status=Open')).toEqual([1]);
        expect(await matching(api, 'status=Reopened')).toEqual([5]);
        expect(await matching(api, 'status=Open,Closed')).toEqual([1, 4]);
        expect(await matching(api, 'status=%20Closed')).toEqual([4]); // the reference writes ' Closed'
        expect(await matching(api, `status=${encodeURIComponent('Started, Resolved ,Reopened')}`)).toEqual([2, 3, 5]);
        await expectBadQuery(api, 'status=Pending', 'status');
        await expectBadQuery(api, 'status=Open,Pending', 'status');
        // A list of no values is no filter (PostgreSQL would refuse an empty IN ()).
        expect(await matching(api, 'status=,&priority=%20,%20&tags=,')).toEqual([1, 2, 3, 4, 5]);
      });

      it('filters by one or several priorities; unknown priority is 400', async () => {
        const { api } = await createInstance(t.app);
        for (const priority of ['Low', 'Medium', 'Important', 'Urgent', 'Low']) await createTicket(api, { priority });
        expect(await matching(api, 'priority=Low')).toEqual([1, 5]);
        expect(await matching(api, 'priority=Urgent,Low')).toEqual([1, 4, 5]);
        expect(await matching(api, `priority=${encodeURIComponent(' Important , Medium')}`)).toEqual([2, 3]);
        expect(await matching(api, 'priority=Low&status=Open')).toEqual([1, 5]);
        await expectBadQuery(api, 'priority=Critical', 'priority');
      });

      it('filters by tags tagCategoryId_tagText, comma-separated, matching any of them', async () => {
        const { api } = await createInstance(t.app);
        const category = async (text: string) => {
          const response = await api.post('/tags', { text });
          expect(response.status).toBe(201);
          return response.body.item.id as string;
        };
        const a = await category('Hardware');
        const b = await category('Site');
        await createTicket(api, { tags: [{ tagCategoryId: a, text: 'printer' }] }); // 1
        await createTicket(api, { tags: [{ tagCategoryId: a, text: 'my tag' }] }); // 2
        await createTicket(api, { tags: [{ tagCategoryId: b, text: 'printer' }] }); // 3
        await createTicket(api, {
          tags: [
            { tagCategoryId: a, text: 'printer' },
            { tagCategoryId: a, text: 'network' },
          ],
        }); // 4
        await createTicket(api); // 5
        await createTicket(api, { tags: [{ tagCategoryId: b, text: 'snake_case' }] }); // 6
        expect(await matching(api, `tags=${a}_printer`)).toEqual([1, 4]);
        expect(await matching(api, `tags=${a}_printer,${b}_printer`)).toEqual([1, 3, 4]);
        // A ticket with several of the tags comes once.
        expect(await numbers(api, `tags=${encodeURIComponent(`${a}_network, ${a}_printer`)}`)).toEqual([4, 1]);
        expect(await matching(api, `tags=${encodeURIComponent(`${a}_my tag`)}`)).toEqual([2]);
        expect(await matching(api, `tags=${b}_snake_case`)).toEqual([6]);
        expect(await matching(api, `tags=${b}_network`)).toEqual([]);
      });
    });

    describe('assignee and requestor', () => {
      it('filters by user id or by email', async () => {
        const { api } = await createInstance(t.app);
        const mary = person('req-2', 'Mary', 'mary@example.com');
        const sam = person('agent-2', 'Sam', 'sam@example.com');
        await createTicket(api, { requestor, assignee: agent }); // 1
        await createTicket(api, { requestor: mary }); // 2
        await createTicket(api, { requestor, assignee: sam }); // 3
        await createTicket(api, { requestor: mary, assignee: agent }); // 4
        expect(await matching(api, `assignee=${agent.id}`)).toEqual([1, 4]);
        expect(await matching(api, `assignee=${encodeURIComponent(agent.email)}`)).toEqual([1, 4]);
        expect(await matching(api, `assignee=${encodeURIComponent('AlexW@Example.com')}`)).toEqual([1, 4]);
        expect(await matching(api, `assignee=%20${sam.id}%20`)).toEqual([3]);
        expect(await matching(api, 'assignee=nobody')).toEqual([]);
        expect(await matching(api, `requestor=${requestor.id}`)).toEqual([1, 3]);
        expect(await matching(api, `requestor=${encodeURIComponent(mary.email)}`)).toEqual([2, 4]);
        expect(await matching(api, `requestor=${mary.id}&assignee=${encodeURIComponent(agent.email)}`)).toEqual([4]);
      });
    });

    describe('date ranges', () => {
      it('filters createdAfter (inclusive) and createdBefore (exclusive), local time in timezone', async () => {
        const { api } = await createInstance(t.app);
        const created: string[] = [];
        for (let i = 0; i < 3; i++) {
          created.push((await createTicket(api)).createdOn);
          await sleep(5);
        }
        const [, c2, c3] = created.map(encodeURIComponent) as [string, string, string];
        expect(await matching(api, `createdAfter=${c2}`)).toEqual([2, 3]);
        expect(await matching(api, `createdBefore=${c2}`)).toEqual([1]);
        expect(await matching(api, `createdAfter=${c2}&createdBefore=${c3}`)).toEqual([2]);
        // Without an offset the value is the caller's local time.
        expect(await matching(api, `timezone=7&createdAfter=${localTime(created[1]!, 7)}`)).toEqual([2, 3]);
        expect(await matching(api, `timezone=-5.5&createdBefore=${localTime(created[1]!, -5.5)}`)).toEqual([1]);
        // Read as UTC it would be 7 hours later than ticket 2, and match nothing.
        expect(await matching(api, `createdAfter=${localTime(created[1]!, 7)}`)).toEqual([]);
        // An explicit offset wins over timezone.
        const withOffset = encodeURIComponent(`${localTime(created[1]!, 2)}+02:00`);
        expect(await matching(api, `timezone=7&createdAfter=${withOffset}`)).toEqual([2, 3]);
        expect(await matching(api, 'createdBefore=2000-01-01')).toEqual([]);
        expect(await matching(api, 'createdAfter=2000-01-01')).toEqual([1, 2, 3]);
      });

      it('filters lastUpdateAfter (inclusive) and lastUpdateBefore (exclusive)', async () => {
        const { api } = await createInstance(t.app);
        for (let i = 0; i < 3; i++) await createTicket(api);
        await sleep(5);
        const u2 = (await api.put('/tickets/2', { updates: { priority: 'Urgent' }, user: agent })).body.item.lastUpdatedOn as string;
        await sleep(5);
        const u1 = (await api.put('/tickets/1', { updates: { title: 'Renamed' }, user: agent })).body.item.lastUpdatedOn as string;
        expect(u1 > u2).toBe(true);
        expect(await matching(api, `lastUpdateAfter=${encodeURIComponent(u2)}`)).toEqual([1, 2]);
        expect(await matching(api, `lastUpdateBefore=${encodeURIComponent(u2)}`)).toEqual([3]);
        expect(await matching(api, `lastUpdateAfter=${encodeURIComponent(u2)}&lastUpdateBefore=${encodeURIComponent(u1)}`)).toEqual([2]);
        expect(await matching(api, `timezone=3&lastUpdateAfter=${localTime(u1, 3)}`)).toEqual([1]);
      });

      it('filters expectedDateAfter (inclusive) and expectedDateBefore (exclusive); a date is local midnight', async () => {
        const { api } = await createInstance(t.app);
        for (const expectedDate of ['2024-03-09T16:59:59Z', '2024-03-09T17:00:00Z', '2024-03-10T16:59:59Z', '2024-03-10T17:00:00Z', null]) {
          await createTicket(api, { expectedDate });
        }
        // 2024-03-10 at GMT+7 is 2024-03-09T17:00Z .. 2024-03-10T17:00Z
        expect(await matching(api, 'timezone=7&expectedDateAfter=2024-03-10&expectedDateBefore=2024-03-11')).toEqual([2, 3]);
        expect(await matching(api, 'expectedDateAfter=2024-03-10&expectedDateBefore=2024-03-11')).toEqual([3, 4]);
        expect(await matching(api, 'timezone=0&expectedDateBefore=2024-03-09T17:00:00Z')).toEqual([1]);
        expect(await matching(api, 'expectedDateAfter=2024-03-09T17:00:00Z')).toEqual([2, 3, 4]);
        expect(await matching(api, `expectedDateAfter=${encodeURIComponent('2024-03-10T00:00:00+07:00')}`)).toEqual([2, 3, 4]);
        expect(await matching(api, 'timezone=-3&expectedDateAfter=2024-03-10T13:59:59')).toEqual([3, 4]);
      });

      it('rejects a date that is not an ISO date or date-time, and a bad timezone, with 400', async () => {
        const { api } = await createInstance(t.app);
        await createTicket(api);
        await expectBadQuery(api, 'createdAfter=yesterday', 'createdAfter');
        await expectBadQuery(api, 'createdBefore=2024-02-30', 'createdBefore');
        await expectBadQuery(api, 'lastUpdateAfter=2024-13-01', 'lastUpdateAfter');
        await expectBadQuery(api, 'expectedDateBefore=31/12/2024', 'expectedDateBefore');
        await expectBadQuery(api, 'timezone=15', 'timezone');
        await expectBadQuery(api, 'timezone=7.3', 'timezone');
      });
    });
  });
}
