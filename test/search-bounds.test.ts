import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { SEARCH_LIMITS } from '../src/domain/listing.js';
import { agent, createInstance, createTestApp, createTicket, DIALECTS, type Client, type TestApp } from './helpers.js';

/*
 * Full-text search stays bounded: the search text is limited (words, word length, length, and
 * short words are whole words, not prefixes), and adding a comment indexes that comment only,
 * however many large comments the ticket has (migration 007).
 */

async function matching(api: Client, search: string): Promise<number[]> {
  const response = await api.get(`/tickets?limit=1000&search=${encodeURIComponent(search)}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return (response.body.items as { ticketId: number }[]).map((item) => item.ticketId).sort((a, b) => a - b);
}

async function comment(api: Client, ticketId: number, text: string, isPrivate = false): Promise<void> {
  const response = await api.post(`/tickets/${ticketId}/comments`, { comment: text, isPrivate, user: agent });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
}

/** Words made of letters only, distinct per (seed, i): the tokenizer keeps each one whole. */
const word = (seed: number, i: number) => `w${(seed * 100_003 + i).toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)]!)}`;
/** About `bytes` of text of distinct words. */
const bigText = (seed: number, bytes: number) => {
  const words: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const w = word(seed, i);
    words.push(w);
    length += w.length + 1;
  }
  return words.join(' ');
};

/**
 * SQLite: how many tokens the full-text index (re)wrote since `origin`, and the newest origin.
 * FTS5 keeps, per indexed row, its token count per column (a varint each) and the origin of the
 * write that indexed it (contentless_delete tables); a row re-indexed gets a new origin.
 */
function sqliteTokensWritten(file: string, since: number): Promise<{ tokens: number; origin: number }> {
  return import('better-sqlite3').then(({ default: Database }) => {
    const db = new Database(file, { readonly: true });
    try {
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_docsize' ESCAPE '\\'`).all() as { name: string }[];
      let tokens = 0;
      let origin = since;
      for (const { name } of tables) {
        for (const row of db.prepare(`SELECT sz, origin FROM "${name}" WHERE origin > ?`).all(since) as { sz: Buffer; origin: number }[]) {
          origin = Math.max(origin, row.origin);
          // FTS5 varints: 7 bits a byte, high bit set on all but the last.
          let value = 0;
          for (const byte of row.sz) {
            value = value * 128 + (byte & 0x7f);
            if ((byte & 0x80) === 0) {
              tokens += value;
              value = 0;
            }
          }
        }
      }
      return { tokens, origin };
    } finally {
      db.close();
    }
  });
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`bounded search (${dialect.name})`, () => {
    let t: TestApp;
    let api: Client;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
      ({ api } = await createInstance(t.app));
    });
    afterAll(() => t.close());

    it('rejects too many words, too long a word or too long a search with 400 naming /query/search', async () => {
      expect(SEARCH_LIMITS).toEqual({ maxLength: 200, maxWords: 10, maxWordLength: 64, minPrefixLength: 3 });
      const tooMany = Array.from({ length: SEARCH_LIMITS.maxWords + 1 }, (_, i) => word(1, i)).join(' ');
      const tooLong = 'a'.repeat(SEARCH_LIMITS.maxWordLength + 1);
      const tooLongText = `${'ab '.repeat(Math.ceil(SEARCH_LIMITS.maxLength / 3))}x`;
      for (const search of [tooMany, tooLong, tooLongText]) {
        const response = await api.get(`/tickets?search=${encodeURIComponent(search)}`);
        expect(response.status, search).toBe(400);
        expect(response.body.code).toBe('validation_failed');
        expect(response.body.errors.map((e: { path: string }) => e.path)).toContain('/query/search');
      }
      // At the limits, accepted.
      const atLimit = Array.from({ length: SEARCH_LIMITS.maxWords }, (_, i) => (i === 0 ? 'b'.repeat(SEARCH_LIMITS.maxWordLength) : word(2, i))).join(' ');
      expect(atLimit.length).toBeLessThanOrEqual(SEARCH_LIMITS.maxLength);
      expect(await matching(api, atLimit)).toEqual([]);
    });

    it('matches words shorter than three letters whole, longer ones as prefixes', async () => {
      const { api: own } = await createInstance(t.app);
      await createTicket(own, { title: 'vpn drops at night', description: 'on wifi' });
      await createTicket(own, { title: 'vp of sales needs a laptop' });
      expect(await matching(own, 'vp')).toEqual([2]);
      expect(await matching(own, 'vpn')).toEqual([1]);
      expect(await matching(own, 'lapt')).toEqual([2]);
      expect(await matching(own, 'wi')).toEqual([]);
      // A word that is the prefix of another word of the search adds nothing.
      expect(await matching(own, 'nig night')).toEqual([1]);
    });

    it('finds a ticket whose words are in its title, description and different comments, private ones included', async () => {
      const { api: own } = await createInstance(t.app);
      const one = await createTicket(own, { title: 'kettle leaking', description: 'in the basement' });
      const two = await createTicket(own, { title: 'kettle fine', description: 'basement dry' });
      await comment(own, one.ticketId, 'the plumber came on monday');
      await comment(own, one.ticketId, 'replaced a gasket', true);
      await comment(own, two.ticketId, 'plumber not needed');
      expect(await matching(own, 'kettle basement plumber gasket')).toEqual([one.ticketId]);
      expect(await matching(own, 'kettle plumber')).toEqual([one.ticketId, two.ticketId]);
      expect(await matching(own, 'leaking monday gask')).toEqual([one.ticketId]);
      expect(await matching(own, 'kettle plumber unicorn')).toEqual([]);
      // Editing the title re-indexes the title, and the comments still count.
      const edited = await own.put(`/tickets/${one.ticketId}`, { updates: { title: 'teapot dripping' }, user: agent });
      expect(edited.status).toBe(200);
      expect(await matching(own, 'kettle gasket')).toEqual([]);
      expect(await matching(own, 'teapot gasket monday')).toEqual([one.ticketId]);
      // Newest first by default, one entry per ticket even when the word is in several parts.
      await comment(own, two.ticketId, 'plumber again, plumber twice');
      const response = await own.get(`/tickets?search=plumber`);
      expect(response.body.items.map((item: { ticketId: number }) => item.ticketId)).toEqual([two.ticketId, one.ticketId]);
    });

    it('indexes a new comment on a ticket with many large comments without re-indexing the others', async () => {
      const { api: own } = await createInstance(t.app);
      const ticket = await createTicket(own, { title: 'many comments' });
      for (let i = 0; i < 8; i++) await comment(own, ticket.ticketId, bigText(10 + i, 20_000));
      const small = 'fresh note about zygomorphic flowers';
      if (dialect.name === 'sqlite') {
        const file = t.databaseUrl.replace(/^sqlite:/, '');
        const { origin } = await sqliteTokensWritten(file, 0);
        await comment(own, ticket.ticketId, small);
        // The five words of the new comment, not the 20,000 of the ticket's other comments.
        expect((await sqliteTokensWritten(file, origin)).tokens).toBe(5);
      } else {
        await comment(own, ticket.ticketId, small);
        // The ticket's row (what its GIN index holds) carries no comment's words: each comment's
        // words are in its own activity row, indexed once.
        const [row] = (
          await sql<{
            text: string;
          }>`SELECT t::text AS text FROM tickets t WHERE instance_id = (SELECT instance_id FROM tickets WHERE id = ${ticket.id}) AND id = ${ticket.id}`.execute(
            t.store.db,
          )
        ).rows;
        expect(row!.text).not.toContain('zygomorphic');
        expect(row!.text).not.toContain(word(10, 0));
      }
      expect(await matching(own, 'zygomorphic many')).toEqual([ticket.ticketId]);
      expect(await matching(own, `${word(13, 7)} zygo`)).toEqual([ticket.ticketId]);
    });
  });
}
