import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, createInstance, createTestApp, createTicket, DIALECTS, type Client, type TestApp } from './helpers.js';

/*
 * Continuation tokens of GET /tickets (docs/api.md §7): present exactly when more items
 * exist, accepted as header or query parameter, ahead of offset, bound to the query, signed,
 * and keyset-based: walking to the end sees every pre-existing ticket once while others write.
 */

type Page = { items: { ticketId: number }[]; continuationToken?: string | null; itemCount: number };

async function page(api: Client, query: string, token?: string, via: 'header' | 'query' = 'header') {
  let url = `/tickets?${query}`;
  let headers: Record<string, string> = {};
  if (token !== undefined && via === 'header') headers = { continuationToken: token };
  if (token !== undefined && via === 'query') url += `&continuationToken=${encodeURIComponent(token)}`;
  const response = await api.get<Page>(url, headers);
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

const ids = (p: Page) => p.items.map((i) => i.ticketId);
const tokenOf = (p: Page) => p.continuationToken ?? null;

async function expect400(api: Client, query: string, token: string, via: 'header' | 'query' = 'header') {
  let url = `/tickets?${query}`;
  const headers: Record<string, string> = via === 'header' ? { continuationToken: token } : {};
  if (via === 'query') url += `&continuationToken=${encodeURIComponent(token)}`;
  const response = await api.get(url, headers);
  expect(response.status, `${query} with token ${token}`).toBe(400);
  expect(response.body.status).toBe(400);
  expect(['invalid_request', 'validation_failed']).toContain(response.body.code);
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing walk can be replayed. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return { next, pick: <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]! };
}

const PRIORITIES = ['Low', 'Medium', 'Important', 'Urgent'] as const;
const TITLES = ['alpha', 'Alpha', 'beta', 'Gamma', 'gamma ray', 'delta'];
const ASSIGNEES = [
  agent,
  { id: 'agent-2', name: 'Sam Carter', email: 'sam@example.com' },
  { id: 'agent-3', name: 'alice', email: 'Alice@example.com' },
  null,
  null,
];
const EXPECTED_DATES = ['2024-01-01T00:00:00Z', '2024-06-30T12:00:00Z', '2025-02-01', null, null];

/** A ticket with sort values drawn from small sets, so that many tie. */
const randomTicket = (rnd: ReturnType<typeof random>) => ({
  title: rnd.pick(TITLES),
  priority: rnd.pick(PRIORITIES),
  assignee: rnd.pick(ASSIGNEES),
  expectedDate: rnd.pick(EXPECTED_DATES),
});

async function inBatches<T>(items: readonly T[], size: number, fn: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function ok(promise: Promise<{ status: number; body: unknown }>, expected = 200) {
  const response = await promise;
  if (response.status !== expected) throw new Error(`expected ${expected}, got ${response.status} ${JSON.stringify(response.body)}`);
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`GET /tickets pagination (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    describe('continuation tokens', () => {
      let api: Client;
      beforeAll(async () => {
        api = (await createInstance(t.app)).api;
        for (let i = 1; i <= 10; i++) await createTicket(api, { title: `Ticket ${i}`, priority: i % 2 ? 'Low' : 'Urgent' });
        for (const n of [2, 4, 6, 8]) await ok(api.put(`/tickets/${n}/status`, { status: 'Closed', user: agent }));
      });

      it('is present exactly when more items exist, also absent when the last page is exactly full', async () => {
        const p1 = await page(api, 'limit=5');
        expect(ids(p1)).toEqual([10, 9, 8, 7, 6]);
        expect(typeof p1.continuationToken).toBe('string');
        const p2 = await page(api, 'limit=5', p1.continuationToken!);
        expect(ids(p2)).toEqual([5, 4, 3, 2, 1]);
        expect(p2.itemCount).toBe(10);
        expect(tokenOf(p2)).toBeNull();

        expect(tokenOf(await page(api, 'limit=10'))).toBeNull();
        const nine = await page(api, 'limit=9');
        expect(typeof nine.continuationToken).toBe('string');
        const last = await page(api, 'limit=9', nine.continuationToken!);
        expect(ids(last)).toEqual([1]);
        expect(last.itemCount).toBe(10);
        expect(tokenOf(last)).toBeNull();

        // With filters: 4 Closed tickets.
        expect(tokenOf(await page(api, 'status=Closed&limit=4'))).toBeNull();
        const c1 = await page(api, 'status=Closed&limit=2');
        expect(ids(c1)).toEqual([8, 6]);
        const c2 = await page(api, 'status=Closed&limit=2', c1.continuationToken!);
        expect(ids(c2)).toEqual([4, 2]);
        expect(tokenOf(c2)).toBeNull();

        expect(tokenOf(await page(api, 'status=Resolved'))).toBeNull();
        const empty = await page((await createInstance(t.app)).api, '');
        expect(empty).toMatchObject({ items: [], itemCount: 0 });
        expect(tokenOf(empty)).toBeNull();
      });

      it('walks pages of 3 to the end, with the token in the header or as a query parameter', async () => {
        for (const via of ['header', 'query'] as const) {
          const seen: number[] = [];
          const counts: number[] = [];
          let token: string | undefined;
          do {
            const p = await page(api, 'orderBy=priority&order=DESC&limit=3', token, via);
            seen.push(...ids(p));
            counts.push(p.itemCount);
            token = p.continuationToken ?? undefined;
          } while (token);
          // Urgent (even numbers) first, ties by ticketId descending.
          expect(seen, via).toEqual([10, 8, 6, 4, 2, 9, 7, 5, 3, 1]);
          // Every page counts every matching ticket.
          expect(counts, via).toEqual([10, 10, 10, 10]);
        }
      });

      it('takes precedence over offset on the same URL', async () => {
        const first = await page(api, 'offset=2&limit=3');
        expect(ids(first)).toEqual([8, 7, 6]);
        const token = first.continuationToken!;
        // The next page follows the previous one; offset is not applied again.
        expect(ids(await page(api, 'offset=2&limit=3', token))).toEqual([5, 4, 3]);
        expect(ids(await page(api, 'offset=2&limit=3', token, 'query'))).toEqual([5, 4, 3]);
        expect(ids(await page(api, 'offset=7&limit=3', token))).toEqual([5, 4, 3]);
      });

      it('answers 400 when reused with other filters or another order', async () => {
        const base = 'status=Open&orderBy=priority&limit=2';
        const token = (await page(api, base)).continuationToken!;
        expect(ids(await page(api, base, token))).toEqual([5, 7]);
        await expect400(api, 'status=Closed&orderBy=priority&limit=2', token);
        await expect400(api, 'orderBy=priority&limit=2', token);
        await expect400(api, 'status=Open&orderBy=priority&priority=Low&limit=2', token);
        await expect400(api, 'status=Open&orderBy=priority&search=ticket&limit=2', token);
        await expect400(api, 'status=Open&orderBy=title&limit=2', token);
        await expect400(api, 'status=Open&orderBy=priority&order=DESC&limit=2', token);
        await expect400(api, 'status=Open&limit=2', token, 'query');
        // Another instance's token, even for the very same query.
        const other = (await createInstance(t.app, 'Other')).api;
        for (let i = 0; i < 6; i++) await createTicket(other);
        await expect400(other, base, token);
      });

      it('answers 400 for a tampered or made-up token', async () => {
        const token = (await page(api, 'limit=3')).continuationToken!;
        const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
        const forged = [
          flip(token, 0),
          flip(token, Math.floor(token.length / 3)),
          flip(token, token.length - 1),
          token.slice(0, -1),
          `${token}x`,
          'not-a-token',
          'e30.e30',
        ];
        for (const bad of forged) {
          expect(bad).not.toBe(token);
          await expect400(api, 'limit=3', bad);
          await expect400(api, 'limit=3', bad, 'query');
        }
        // The genuine token still works.
        expect(ids(await page(api, 'limit=3', token))).toEqual([7, 6, 5]);
      });
    });

    describe('keyset walks while others write', () => {
      let api: Client;
      const rnd = random(20240607);
      const sam = ASSIGNEES[1]!;

      beforeAll(async () => {
        api = (await createInstance(t.app)).api;
        const specs = Array.from({ length: 300 }, () => randomTicket(rnd));
        await inBatches(specs, 10, (spec) => createTicket(api, spec));
        // A third of them leave Open, so statuses vary (and tie) too.
        const moves = Array.from({ length: 300 }, (_, i) => i + 1)
          .filter((n) => n % 3 === 0)
          .map((n) => [n, rnd.pick([{ status: 'Started' }, { status: 'Closed' }, { status: 'Resolved', resolution: 'fixed' }])] as const);
        await inBatches(moves, 10, ([n, change]) => ok(api.put(`/tickets/${n}/status`, { ...change, user: agent })));
      });

      /** Changes to a ticket, each of which leaves some sort values alone. */
      const mutations = {
        comment: (n: number) => ok(api.post(`/tickets/${n}/comments`, { comment: 'still broken', user: sam }), 201),
        priority: (n: number) => ok(api.put(`/tickets/${n}`, { updates: { priority: rnd.pick(PRIORITIES) }, user: sam })),
        title: (n: number) => ok(api.put(`/tickets/${n}`, { updates: { title: rnd.pick(TITLES) }, user: sam })),
        assignee: (n: number) => ok(api.put(`/tickets/${n}`, { updates: { assignee: rnd.pick(ASSIGNEES) }, user: sam })),
        expectedDate: (n: number) => ok(api.put(`/tickets/${n}`, { updates: { expectedDate: rnd.pick(EXPECTED_DATES) }, user: sam })),
      };
      type Mutation = keyof typeof mutations;

      /**
       * Follows the tokens of `query` to the end; between pages creates 2 tickets and applies the
       * allowed mutations to 2 random pre-existing tickets (seen or not yet seen). Then every
       * ticket of the snapshot taken before the walk is seen exactly once, in snapshot order.
       */
      async function walk(query: string, limit: number, allowed: Mutation[], options: { via?: 'header' | 'query'; atLeast?: number } = {}) {
        const { via = 'header', atLeast = 300 } = options;
        const snapshot = await page(api, `${query}&limit=1000&select=ticketId`);
        expect(tokenOf(snapshot)).toBeNull();
        const before = ids(snapshot);
        expect(before.length).toBeGreaterThanOrEqual(atLeast);
        const seen: number[] = [];
        let token: string | undefined;
        let pages = 0;
        let created = 0;
        do {
          // Pages alternate between full tickets (on SQLite written by the store, with tokens that
          // hold the next page's first position) and `select` (rows, tokens that hold the last
          // position): each kind of token must carry on the other.
          const p = await page(api, `${query}&limit=${limit}${pages % 2 === 1 ? '&select=ticketId' : ''}`, token, via);
          pages++;
          seen.push(...ids(p));
          token = p.continuationToken ?? undefined;
          if (token) expect(p.items.length).toBe(limit);
          if (!token) break;
          await Promise.all([createTicket(api, randomTicket(rnd)), createTicket(api, randomTicket(rnd))]);
          created += 2;
          for (let i = 0; i < 2 && allowed.length > 0; i++) {
            const target = rnd.pick(before);
            for (const m of allowed) if (rnd.next() < 0.6) await mutations[m](target);
          }
        } while (pages < 100);
        expect(pages).toBeGreaterThanOrEqual(Math.ceil(before.length / limit));
        expect(new Set(seen).size, 'a ticket was served twice').toBe(seen.length);
        const existed = new Set(before);
        expect(seen.filter((n) => existed.has(n))).toEqual(before);
        return { seen, before, created };
      }

      it('default order (newest first), while tickets are created and edited', async () => {
        const { seen, before } = await walk('timezone=0', 25, ['comment', 'priority', 'title', 'assignee', 'expectedDate']);
        // Tickets created during the walk are newer than the first page: never served.
        expect(seen).toEqual(before);
      });

      it('orderBy=priority (4 values, heavy ties), while tickets get comments, titles and assignees', async () => {
        await walk('orderBy=priority', 30, ['comment', 'title', 'assignee']);
      });

      it('orderBy=status DESC, token as a query parameter, while tickets get priorities and comments', async () => {
        await walk('orderBy=status&order=DESC', 40, ['priority', 'comment', 'assignee'], { via: 'query' });
      });

      it('orderBy=assigneeName (empty last), while tickets get priorities, titles and comments', async () => {
        await walk('orderBy=assigneeName', 25, ['priority', 'title', 'comment']);
      });

      it('orderBy=expectedDate DESC (empty first), while tickets get comments and priorities', async () => {
        await walk('orderBy=expectedDate&order=DESC', 50, ['comment', 'priority', 'assignee']);
      });

      it('orderBy=title DESC (case-insensitive ties), while tickets get priorities and assignees', async () => {
        await walk('orderBy=title&order=DESC', 35, ['priority', 'assignee', 'comment', 'expectedDate']);
      });

      it('orderBy=lastInteraction, while tickets are created', async () => {
        const { seen, before, created } = await walk('orderBy=lastInteraction', 30, []);
        // New tickets have the latest interaction: the walk reaches them at the end, each once.
        expect(created).toBeGreaterThan(0);
        expect(seen.length).toBe(before.length + created);
      });

      it('with filters: priority=Low,Urgent ordered by assigneeEmail DESC, while tickets get comments and titles', async () => {
        // Filter membership must not change either, so no priority changes here.
        await walk(`priority=${encodeURIComponent('Low, Urgent')}&orderBy=assigneeEmail&order=DESC`, 25, ['comment', 'title'], { atLeast: 100 });
      });
    });
  });
}
