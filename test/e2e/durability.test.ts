import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS, postgresUrl, requestor } from '../helpers.js';
import { dropPostgresDatabase, freshPostgresDatabase, json, printedKeys, startServer, tempSqliteUrl, type ServerProcess } from './server-process.js';

/*
 * The real server, killed with SIGKILL while tickets are being created: every ticket the
 * server acknowledged (201) must be there after a restart, numbered without duplicates.
 */
for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`kill -9 durability (${dialect.name})`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup();
    });

    it('keeps every acknowledged ticket across kill -9 and restart', async () => {
      const databaseUrl = dialect.name === 'sqlite' ? tempSqliteUrl() : await freshPostgresDatabase(postgresUrl!, 'ticketing_e2e');
      if (dialect.name === 'postgres') cleanups.push(() => dropPostgresDatabase(databaseUrl));
      const env = { DATABASE_URL: databaseUrl, RATE_LIMIT_MAX: '1000000', ADMIN_TOKEN: 'tka_e2e-durability-admin-token-0123456789' };
      let server: ServerProcess = await startServer(env);
      cleanups.push(() => server.stop('SIGKILL'));
      const { primary } = printedKeys(server.output());

      const acknowledged: { id: string; ticketId: number; title: string }[] = [];
      let killed = false;
      const create = async (n: number) => {
        try {
          const response = await fetch(`${server.url}/api/v1/tickets?key=${primary}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ ticket: { title: `durable ${n}`, requestor }, user: requestor }),
          });
          if (response.status === 201) acknowledged.push((await json(response)).item);
        } catch {
          // the connection died with the server: not acknowledged, nothing to check
        }
      };
      // 8 concurrent writers; the server is killed once 150 tickets are acknowledged.
      let next = 0;
      const writers = Array.from({ length: 8 }, async () => {
        while (!killed && next < 2000) await create(next++);
      });
      while (acknowledged.length < 150) await new Promise((r) => setTimeout(r, 10));
      killed = true;
      // The bundled server's checkpoint worker started and kept working (else it warns and the
      // writer checkpoints again, docs/decisions/009-group-commit.md).
      expect(server.output()).not.toMatch(/checkpoints run in the writer again/);
      await server.stop('SIGKILL');
      await Promise.all(writers);
      expect(acknowledged.length).toBeGreaterThanOrEqual(150);

      server = await startServer(env);
      const missing: string[] = [];
      for (const ticket of acknowledged) {
        const response = await fetch(`${server.url}/api/v1/tickets/${ticket.id}?key=${primary}`);
        if (response.status !== 200) missing.push(`${ticket.ticketId} (${response.status})`);
        else expect((await json(response)).item.title).toBe(ticket.title);
      }
      expect(missing).toEqual([]);

      // Ticket numbers: unique, and with no gaps among what was committed.
      const numbers: number[] = [];
      let token: string | null = null;
      do {
        const response: Response = await fetch(`${server.url}/api/v1/tickets?key=${primary}&orderBy=ticketId&limit=1000&select=ticketId`, {
          headers: token ? { continuationToken: token } : {},
        });
        const page = await json(response);
        numbers.push(...page.items.map((t: { ticketId: number }) => t.ticketId));
        token = page.continuationToken;
      } while (token);
      expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
      expect(numbers.length).toBeGreaterThanOrEqual(acknowledged.length);
      await server.stop();
    });
  });
}
