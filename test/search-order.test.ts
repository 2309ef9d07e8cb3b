import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openBulkLoader } from '../src/store/bulk.repo.js';
import type { StoredTicket } from '../src/domain/ticket.js';
import { client, createInstance, createTestApp, createTicket, DIALECTS, FakeClock, requestor, type Client, type TestApp } from './helpers.js';

/*
 * A search listed by creation date comes back in creation order, page by page, however the
 * store finds it. On SQLite the store walks its full-text index in storage order, which is only
 * creation order while tickets are stored in the order they were created: these tests hold the
 * answer to creation order when the clock is set back and when older tickets are bulk loaded
 * after newer ones (docs/decisions/011-search-in-store-order.md).
 */

type Page = { items: { ticketId: number; createdOn: string }[]; continuationToken?: string | null };

/** Every page of a search, following continuation tokens. */
async function walk(api: Client, query: string): Promise<number[]> {
  const numbers: number[] = [];
  let token: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const response: { status: number; body: Page } = await api.get<Page>(`/tickets?${query}`, token ? { continuationToken: token } : {});
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    numbers.push(...response.body.items.map((item) => item.ticketId));
    token = response.body.continuationToken ?? null;
    if (!token) return numbers;
  }
  throw new Error('more than 100 pages');
}

/** How many FTS5 segments the SQLite store's search index is made of. */
async function countFullTextSegments(databaseUrl: string): Promise<number> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(databaseUrl.replace(/^sqlite:/, ''), { readonly: true });
  try {
    return (db.prepare('SELECT count(DISTINCT segid) AS n FROM search_parts_idx').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`search in creation order (${dialect.name})`, () => {
    // A store of its own per test: the walk is only taken for an instance that holds at least
    // half of the store's tickets.
    let t: TestApp;
    const clock = new FakeClock();
    beforeEach(async () => {
      t = await createTestApp(dialect.name, { clock });
    });
    afterEach(() => t.close());

    it('pages through matches newest first and oldest first, with and without other filters', async () => {
      const { api } = await createInstance(t.app);
      // Matches and non-matches interleaved; every third has another priority.
      for (let i = 1; i <= 14; i++) {
        clock.advance(60_000);
        await createTicket(api, { title: i % 2 === 1 ? `kettle ${i}` : `toaster ${i}`, priority: i % 3 === 0 ? 'Urgent' : 'Low' });
      }
      const odd = [13, 11, 9, 7, 5, 3, 1];
      expect(await walk(api, 'search=kettle&limit=2')).toEqual(odd);
      expect(await walk(api, 'search=kettle&limit=3&orderBy=createdOn&order=ASC')).toEqual([...odd].reverse());
      expect(await walk(api, 'search=kettle&limit=1&priority=Urgent')).toEqual([9, 3]);
      expect(await walk(api, 'search=kettle&offset=2&limit=2')).toEqual([9, 7, 5, 3, 1]);
      // A comment makes an older ticket match; it keeps its place by creation date.
      expect((await api.post('/tickets/2/activities', { comment: 'the kettle again', user: requestor })).status).toBe(201);
      expect(await walk(api, 'search=kettle&limit=2')).toEqual([13, 11, 9, 7, 5, 3, 2, 1]);
    });

    /** Ticket numbers in (createdOn, ticketId) order, newest first. */
    const newestFirst = (tickets: { ticketId: number; createdOn: string }[]) =>
      [...tickets]
        .sort((a, b) => (a.createdOn === b.createdOn ? a.ticketId - b.ticketId : a.createdOn < b.createdOn ? -1 : 1))
        .map((ticket) => ticket.ticketId)
        .reverse();

    it('keeps creation order when the clock steps back less than a second', async () => {
      const { api } = await createInstance(t.app);
      clock.set('2026-12-01T10:00:00.500Z');
      const first = await createTicket(api, { title: 'teapot one' });
      clock.set('2026-12-01T10:00:00.100Z'); // an NTP step back
      const second = await createTicket(api, { title: 'teapot two' });
      clock.set('2026-12-01T10:00:01.000Z');
      const third = await createTicket(api, { title: 'teapot three' });
      // With one writer the ticket takes its predecessor's time; PostgreSQL keeps the clock's.
      expect(second.createdOn).toBe(dialect.name === 'sqlite' ? first.createdOn : '2026-12-01T10:00:00.100Z');
      expect(await walk(api, 'search=teapot&limit=1')).toEqual(newestFirst([first, second, third]));
    });

    it('keeps the real time of a ticket created with the clock set back an hour, and the answer in creation order', async () => {
      const { api } = await createInstance(t.app);
      clock.set('2026-12-02T10:00:00.000Z');
      const first = await createTicket(api, { title: 'saucer one' });
      clock.set('2026-12-02T09:00:00.000Z');
      const second = await createTicket(api, { title: 'saucer two' });
      clock.set('2026-12-02T11:00:00.000Z');
      const third = await createTicket(api, { title: 'saucer three' });
      expect(second.createdOn).toBe('2026-12-02T09:00:00.000Z');
      expect(await walk(api, 'search=saucer&limit=1')).toEqual(newestFirst([first, second, third])); // 3, 1, 2
      expect(await walk(api, 'search=saucer&limit=2&orderBy=createdOn&order=ASC')).toEqual(newestFirst([first, second, third]).reverse());
    });

    it('keeps creation order after older tickets are bulk loaded behind newer ones', async () => {
      const { id, api } = await createInstance(t.app);
      clock.set('2026-12-05T12:00:00.000Z');
      await createTicket(api, { title: 'lamp new' }); // #1, the newest
      const created = await createTicket(api, { title: 'other' });
      const old = (n: number): StoredTicket => ({
        ...created,
        id: `00000000-0000-4000-8000-00000000000${n}`,
        title: `lamp old ${n}`,
        createdOn: `2020-01-0${n}T00:00:00.000Z`,
        lastUpdatedOn: `2020-01-0${n}T00:00:00.000Z`,
        lastInteraction: `2020-01-0${n}T00:00:00.000Z`,
        rtStartedOn: `2020-01-0${n}T00:00:00.000Z`,
        tags: [],
        customFields: {},
      });
      await t.close({ keepData: true }); // the loader wants the store to itself
      const loader = await openBulkLoader(t.databaseUrl, id);
      const comment = (text: string) => ({
        id: `c-${text}`,
        ticketId: 0,
        type: 'comment' as const,
        comment: text,
        isPrivate: false,
        user: requestor,
        createdOn: '2020-01-05T00:00:00.000Z',
      });
      await loader.write([
        { ticket: old(1), activities: [comment('wobbly leg'), comment('still wobbly')] },
        { ticket: old(2), activities: [] },
      ]);
      const result = await loader.finish();
      expect([result.firstTicketNumber, result.lastTicketNumber]).toEqual([3, 4]);
      if (dialect.name === 'sqlite') {
        // The load leaves the full-text index merged (FTS5 would otherwise merge it bit by bit
        // during the writes that follow, slowing each of them): one segment holds every ticket.
        expect(await countFullTextSegments(t.databaseUrl)).toBe(1);
      }
      t = await createTestApp(dialect.name, { clock, databaseUrl: t.databaseUrl });
      const reopened = client(t.app, api.key);
      // #3 and #4 were stored last but created first: newest first is 1, 4, 3.
      expect(await walk(reopened, 'search=lamp&limit=1')).toEqual([1, 4, 3]);
      expect(await walk(reopened, 'search=lamp&limit=2&orderBy=createdOn&order=ASC')).toEqual([3, 4, 1]);
      // The loader's search documents hold the loaded comments too.
      expect(await walk(reopened, 'search=wobbly')).toEqual([3]);
      expect(await walk(reopened, `search=${encodeURIComponent('lamp still')}`)).toEqual([3]);
    });
  });
}

describe('which plan a search takes (SQLite)', () => {
  it('walks the full-text index only for an instance in creation order holding at least half the tickets', async () => {
    const clock = new FakeClock();
    const t = await createTestApp('sqlite', { clock });
    try {
      // The SQL of every read, to see which plan answered (both answer the same tickets).
      const statements: string[] = [];
      const readRows = t.store.readRows.bind(t.store);
      t.store.readRows = (query) => {
        statements.push(query.sql);
        return readRows(query);
      };
      const walked = async (api: Client, query: string) => {
        statements.length = 0;
        const numbers = await walk(api, query);
        return { numbers, walked: statements.some((text) => text.includes('FROM search_parts s JOIN tickets t')) };
      };
      const large = await createInstance(t.app);
      const small = await createInstance(t.app);
      for (let i = 1; i <= 3; i++) {
        clock.advance(60_000);
        await createTicket(large.api, { title: `kettle ${i}` });
      }
      clock.advance(60_000);
      await createTicket(small.api, { title: 'kettle small' });
      expect(await walked(large.api, 'search=kettle&limit=2')).toEqual({ numbers: [3, 2, 1], walked: true });
      // A quarter of the store: its own created_on index is the cheaper way.
      expect(await walked(small.api, 'search=kettle&limit=2')).toEqual({ numbers: [1], walked: false });
      // Other filters, or another order, keep the general plan too.
      expect((await walked(large.api, 'search=kettle&priority=Medium')).walked).toBe(false);
      expect((await walked(large.api, 'search=kettle&orderBy=title')).walked).toBe(false);
      // Once a ticket is created with the clock set back an hour, the instance is out of order for good.
      clock.advance(-3_600_000);
      await createTicket(large.api, { title: 'kettle 4' });
      expect(await walked(large.api, 'search=kettle&limit=2')).toEqual({ numbers: [3, 2, 1, 4], walked: false });
    } finally {
      await t.close();
    }
  });
});

describe('migration 005 (SQLite)', () => {
  it('marks the instances whose stored tickets are out of creation order, and only those', async () => {
    const t = await createTestApp('sqlite');
    try {
      const inOrder = await createInstance(t.app);
      const outOfOrder = await createInstance(t.app);
      for (const { api } of [inOrder, outOfOrder]) {
        await createTicket(api, { title: 'kettle one' });
        await createTicket(api, { title: 'kettle two' });
      }
      // As a store from before the service kept creation order might hold: the newest ticket
      // created before the one stored ahead of it.
      await t.store.db
        .updateTable('tickets')
        .set({ created_on: '2001-01-01T00:00:00.000Z' })
        .where('instance_id', '=', outOfOrder.id)
        .where('ticket_number', '=', 2)
        .execute();
      const { creationOrderSchema } = await import('../src/store/migrations/005-creation-order.js');
      const { runStatements } = await import('../src/store/migrate.js');
      await runStatements(t.store.db, creationOrderSchema(t.store.dialect.name));
      const marks = await t.store.db.selectFrom('meta').select('key').where('key', 'like', 'tickets-out-of-creation-order:%').execute();
      expect(marks.map((m) => m.key)).toEqual([`tickets-out-of-creation-order:${outOfOrder.id}`]);
      // #2 now counts as the older: newest first is 1, 2 (the index walk would say 2, 1).
      expect(await walk(outOfOrder.api, 'search=kettle&limit=1')).toEqual([1, 2]);
      expect(await walk(inOrder.api, 'search=kettle&limit=1')).toEqual([2, 1]);
    } finally {
      await t.close();
    }
  });
});
