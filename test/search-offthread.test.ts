import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createTestApp, createTicket, DIALECTS, type Client, type TestApp } from './helpers.js';

/*
 * A search costs what its words cost, not what it answers: one of ten word prefixes, each
 * standing for hundreds of thousands of different words, is an accepted search that takes a
 * store hundreds of milliseconds. It must not stall the other requests of the server (SQLite
 * runs it on a worker thread), and on SQLite it has a time budget: past it, the search answers
 * 400 naming /query/search and the server goes on.
 */

const PREFIXES = ['zqa', 'zqb', 'zqc', 'zqd', 'zqe', 'zqf', 'zqg', 'zqh', 'zqi', 'zqj'].map((p) => `${p}x`);
/** Ten accepted words, each the prefix of every word of its kind in the store. */
const HEAVY = PREFIXES.join(' ');
const TICKETS = 200;
const WORDS_PER_TICKET = 4_500;

const letters = 'abcdefghijklmnopqrstuvwxyz';
/** A distinct five-letter suffix per n: every word of the data set is a word of its own. */
const suffix = (n: number) => Array.from({ length: 5 }, (_, i) => letters[Math.floor(n / 26 ** i) % 26]).join('');

/** Tickets whose descriptions hold 900,000 different words starting with the prefixes. */
async function heavyData(api: Client): Promise<void> {
  const creates: Promise<unknown>[] = [];
  for (let t = 0; t < TICKETS; t++) {
    const words = Array.from({ length: WORDS_PER_TICKET }, (_, j) => `${PREFIXES[j % PREFIXES.length]}${suffix(t * WORDS_PER_TICKET + j)}`);
    creates.push(createTicket(api, { title: `bulk ${t}`, description: words.join(' ') }));
    if (creates.length === 8) await Promise.all(creates.splice(0));
  }
  await Promise.all(creates);
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`searches off the event loop (${dialect.name})`, () => {
    let t: TestApp;
    let api: Client;
    let other: Client;
    let otherTicket: { id: string };
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
      ({ api } = await createInstance(t.app));
      ({ api: other } = await createInstance(t.app));
      otherTicket = await createTicket(other, { title: 'another tenant' });
      await heavyData(api);
    }, 180_000);
    afterAll(() => t.close());

    it('keeps answering other requests while a heavy search runs', async () => {
      const delay = monitorEventLoopDelay({ resolution: 5 });
      delay.enable();
      const started = performance.now();
      let searching = true;
      const search = api.get(`/tickets?search=${encodeURIComponent(HEAVY)}&limit=5`).finally(() => (searching = false));
      // Another tenant reads a ticket, one request after the other, for as long as the search runs.
      let readsDuring = 0;
      while (searching) {
        const read = await other.get(`/tickets/${otherTicket.id}`);
        expect(read.status).toBe(200);
        if (searching) readsDuring++;
        // Requests of a real server arrive as I/O; injected ones would never let the loop get there.
        await new Promise((resolve) => setImmediate(resolve));
      }
      const response = await search;
      const took = performance.now() - started;
      delay.disable();
      expect(response.status, response.body?.detail).toBe(200);
      expect(response.body.items).toHaveLength(5);
      // The event loop never stalled for a large part of the search (on the loop, it stalls for
      // all of it), and the other tenant was answered meanwhile.
      const stalledMs = delay.max / 1e6;
      expect(stalledMs, `search took ${took.toFixed(0)} ms`).toBeLessThan(Math.max(took / 2, 100));
      if (dialect.name === 'sqlite') {
        // Big enough to tell: the search takes hundreds of milliseconds here (SQLite's cost of
        // expanding each prefix), far above the loop's own jitter.
        expect(took).toBeGreaterThan(100);
        expect(readsDuring).toBeGreaterThan(5);
      }
    });
  });
}

describe('a search past its time budget (sqlite)', () => {
  let t: TestApp;
  let api: Client;
  let other: Client;
  let otherTicket: { id: string };
  beforeAll(async () => {
    // 100 ms: the heavy search takes several times that; a light one a millisecond.
    t = await createTestApp('sqlite', { searchBudgetMs: 100 });
    ({ api } = await createInstance(t.app));
    ({ api: other } = await createInstance(t.app));
    otherTicket = await createTicket(other, { title: 'another tenant about printers' });
    await heavyData(api);
  }, 180_000);
  afterAll(() => t.close());

  it('answers 400 naming /query/search, and the next searches and other requests are served', async () => {
    const started = performance.now();
    let searching = true;
    const search = api.get(`/tickets?search=${encodeURIComponent(HEAVY)}`).finally(() => (searching = false));
    let readsDuring = 0;
    while (searching) {
      const read = await other.get(`/tickets/${otherTicket.id}`);
      expect(read.status).toBe(200);
      if (searching) readsDuring++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const response = await search;
    expect(response.status, response.body?.code).toBe(400);
    expect(response.body.code).toBe('validation_failed');
    expect(response.body.errors).toEqual([{ path: '/query/search', message: expect.stringContaining('too much') }]);
    // Answered at the budget, not when the statement would have ended.
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(readsDuring).toBeGreaterThan(0);

    // Searches go on: on the same instance and on another, while the abandoned statement ends.
    const light = await api.get(`/tickets?search=${encodeURIComponent(`bulk ${PREFIXES[3]}${suffix(3)}`)}`);
    expect(light.status, JSON.stringify(light.body)).toBe(200);
    expect(light.body.items.map((item: { title: string }) => item.title)).toEqual(['bulk 0']);
    const elsewhere = await other.get('/tickets?search=printers');
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.items.map((item: { id: string }) => item.id)).toEqual([otherTicket.id]);
    const after = await other.get('/tickets?search=another%20printers');
    expect(after.status).toBe(200);
    expect(after.body.items).toHaveLength(1);
  });
});
