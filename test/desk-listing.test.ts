import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, createInstance, createTestApp, createTicket, DIALECTS, type Client, type Reply, type TestApp } from './helpers.js';

/*
 * The agent's desk (docs/api.md §7): `unassigned=true|false` on GET /tickets and /tickets/counts,
 * with exact counts; a search by number (`12345` or `#12345`) lists that ticket first.
 */

const numbers = (items: { ticketId: number }[]) => items.map((i) => i.ticketId);

/** Every page of a listing, following its tokens. */
async function walk(api: Client, url: string): Promise<number[]> {
  const seen: number[] = [];
  let token: string | null = null;
  for (let i = 0; i < 50; i++) {
    const res: Reply = await api.get(url, token ? { continuationToken: token } : {});
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    seen.push(...numbers(res.body.items));
    token = res.body.continuationToken;
    if (!token) return seen;
  }
  throw new Error('the walk did not end');
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`the agent's desk listing (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    it('unassigned=true lists tickets without an assignee, false those with one, with exact counts', async () => {
      const { api } = await createInstance(t.app, 'Unassigned');
      const other = { id: 'agent-2', name: 'Bea Agent', email: 'bea@example.com' };
      const a = await createTicket(api, { assignee: agent });
      const b = await createTicket(api, { priority: 'Urgent' });
      const c = await createTicket(api, { assignee: other, priority: 'Urgent' });
      const d = await createTicket(api);
      // Unassigning moves a ticket over, in the counts too.
      expect((await api.put(`/tickets/${c.ticketId}`, { updates: { assignee: null }, user: agent })).status).toBe(200);
      expect((await api.put(`/tickets/${d.ticketId}/status`, { status: 'Started', user: agent })).status).toBe(200);

      const list = async (query: string) => {
        const res = await api.get(`/tickets?${query}&limit=1000`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        return { items: numbers(res.body.items).sort((x, y) => x - y), itemCount: res.body.itemCount as number };
      };
      expect(await list('unassigned=true')).toEqual({ items: [b.ticketId, c.ticketId, d.ticketId], itemCount: 3 });
      expect(await list('unassigned=false')).toEqual({ items: [a.ticketId], itemCount: 1 });
      expect(await list('unassigned=true&priority=Urgent')).toEqual({ items: [b.ticketId, c.ticketId], itemCount: 2 });
      expect(await list('unassigned=true&status=Started')).toEqual({ items: [d.ticketId], itemCount: 1 });
      expect(await list('unassigned=true&assignee=agent-1')).toEqual({ items: [], itemCount: 0 });
      expect(await list('unassigned=false&assignee=agent-1')).toEqual({ items: [a.ticketId], itemCount: 1 });
      expect(await list('unassigned=true&origin=api')).toEqual({ items: [b.ticketId, c.ticketId, d.ticketId], itemCount: 3 });
      // A small page still counts every match.
      const page = await api.get('/tickets?unassigned=true&limit=1');
      expect(page.body.itemCount).toBe(3);
      expect(page.body.continuationToken).toEqual(expect.any(String));

      const counts = await api.get('/tickets/counts?unassigned=true&groupBy=status');
      expect(counts.status).toBe(200);
      expect(counts.body).toEqual({
        itemCount: 3,
        groups: [
          { key: 'Open', itemCount: 2 },
          { key: 'Started', itemCount: 1 },
        ],
      });
      expect((await api.get('/tickets/counts?unassigned=false&groupBy=priority')).body).toEqual({
        itemCount: 1,
        groups: [{ key: 'Medium', itemCount: 1 }],
      });
      expect((await api.get('/tickets/counts?unassigned=true&groupBy=origin')).body).toEqual({ itemCount: 3, groups: [{ key: 'api', itemCount: 3 }] });

      const bad = await api.get('/tickets?unassigned=maybe');
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([expect.objectContaining({ path: '/query/unassigned' })]);
    });

    it('a search by number lists that ticket first, then the other matches, each once over the pages', async () => {
      const { api } = await createInstance(t.app, 'Search by number');
      const made = [];
      for (let i = 0; i < 6; i++) made.push(await createTicket(api, { title: `Printer ${'abcdef'[i]}` }));
      // Ticket 3's number appears in the text of newer tickets, which match the search too.
      const n = made[2].ticketId as number;
      const mention1 = await createTicket(api, { title: `follow-up of ${n}`, description: 'printer again' });
      const mention2 = await createTicket(api, { title: `duplicate of ticket ${n}` });
      for (const search of [`${n}`, `%23${n}`]) {
        const res = await api.get(`/tickets?search=${search}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        expect(numbers(res.body.items)).toEqual([n, mention2.ticketId, mention1.ticketId]);
        expect(res.body.itemCount).toBe(3);
        // Ascending too, and in any order the number's ticket comes first.
        const asc = await api.get(`/tickets?search=${search}&orderBy=ticketId`);
        expect(numbers(asc.body.items)).toEqual([n, mention1.ticketId, mention2.ticketId]);
        // Pages of one and two, by token and by offset: each ticket once, the number's first.
        expect(await walk(api, `/tickets?search=${search}&limit=1`)).toEqual([n, mention2.ticketId, mention1.ticketId]);
        expect(await walk(api, `/tickets?search=${search}&limit=2`)).toEqual([n, mention2.ticketId, mention1.ticketId]);
        expect(numbers((await api.get(`/tickets?search=${search}&limit=1&offset=1`)).body.items)).toEqual([mention2.ticketId]);
        expect(numbers((await api.get(`/tickets?search=${search}&limit=5&offset=2`)).body.items)).toEqual([mention1.ticketId]);
      }
      // Other filters still apply to the number's ticket.
      const filtered = await api.get(`/tickets?search=${n}&priority=Urgent`);
      expect(filtered.body).toMatchObject({ items: [], itemCount: 0 });
      expect(numbers((await api.get(`/tickets?search=${n}&title=duplicate`)).body.items)).toEqual([mention2.ticketId]);
      // With select, the same order.
      const selected = await api.get(`/tickets?search=${n}&select=title`);
      expect(selected.body.items[0]).toEqual({ id: made[2].id, title: 'Printer c' });
      // A number no ticket has: the text matches only.
      expect((await api.get('/tickets?search=999999')).body).toMatchObject({ items: [], itemCount: 0 });
    });
  });
}
