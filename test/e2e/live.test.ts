import { afterEach, describe, expect, it } from 'vitest';
import { postgresUrl, requestor } from '../helpers.js';
import { EventParser } from '../live-stream.js';
import { dropPostgresDatabase, freshPostgresDatabase, json, startServer, tempSqliteUrl, type ServerProcess } from './server-process.js';

/*
 * Live updates across real server processes (docs/api.md §13.1): a stream on one process hears
 * what is written through another on the same PostgreSQL database (LISTEN/NOTIFY), presence
 * included; and a process with open streams still stops at once on SIGTERM.
 */
const ADMIN_TOKEN = 'tka_live-e2e-test-admin-token-0123456789abcdef';

/** Opens the stream with fetch, as any HTTP client would; resolves once it is connected. */
async function openStream(server: ServerProcess, key: string) {
  const controller = new AbortController();
  const response = await fetch(`${server.url}/api/v1/events/stream`, { headers: { 'x-api-key': key, accept: 'text/event-stream' }, signal: controller.signal });
  expect(response.status).toBe(200);
  const parser = new EventParser();
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        const chunk = decoder.decode(value, { stream: true });
        text += chunk;
        parser.push(chunk);
      }
    } catch {
      // aborted
    }
  })();
  while (!text.includes(': connected')) await new Promise((resolve) => setTimeout(resolve, 20));
  return { parser, ended, close: () => controller.abort() };
}

async function newInstance(server: ServerProcess): Promise<string> {
  const response = await fetch(`${server.url}/api/v1/admin/instances`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Live' }),
  });
  expect(response.status).toBe(201);
  return (await json(response)).primaryKey;
}

const post = (server: ServerProcess, key: string, path: string, body: unknown) =>
  fetch(`${server.url}/api/v1${path}`, { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('live streams across server processes', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  it.skipIf(!postgresUrl)('a stream on one process hears the tickets and presence written through another on the same PostgreSQL', async () => {
    const databaseUrl = await freshPostgresDatabase(postgresUrl!, 'ticketing_live');
    cleanups.push(() => dropPostgresDatabase(databaseUrl));
    const env = { DATABASE_URL: databaseUrl, ADMIN_TOKEN, LOG_LEVEL: 'warn' };
    const writer = await startServer(env);
    cleanups.push(() => writer.stop('SIGKILL'));
    const listener = await startServer(env);
    cleanups.push(() => listener.stop('SIGKILL'));
    const key = await newInstance(writer);

    const stream = await openStream(listener, key);
    cleanups.push(async () => stream.close());
    const created = await json(await post(writer, key, '/tickets', { ticket: { title: 'Across processes', requestor }, user: requestor }));
    const event = await stream.parser.next((e) => e.event === 'ticket.created');
    expect(event.data.ticket).toBe(created.item.id);
    expect(event.data.data.ticket.title).toBe('Across processes');

    expect((await post(writer, key, `/tickets/${created.item.id}/presence`, { state: 'viewing', user: requestor })).status).toBe(204);
    const presence = await stream.parser.next((e) => e.event === 'presence');
    expect(presence.data).toMatchObject({ ticket: { id: created.item.id }, user: { name: requestor.name }, state: 'viewing' });

    // A stream on the writer's own process hears it too, once.
    const own = await openStream(writer, key);
    cleanups.push(async () => own.close());
    await post(writer, key, '/tickets', { ticket: { title: 'Second', requestor }, user: requestor });
    await own.parser.next((e) => e.event === 'ticket.created' && e.data.data.ticket.title === 'Second');
    await stream.parser.next((e) => e.event === 'ticket.created' && e.data.data.ticket.title === 'Second');
    expect(stream.parser.events.filter((e) => e.event === 'ticket.created')).toHaveLength(2);

    // SIGTERM with a stream open: the stream ends and the process exits.
    const stopped = listener.stop('SIGTERM');
    await stream.ended;
    await stopped;
    expect(listener.child.exitCode).toBe(0);
  });

  it('a SQLite server sends its own writes to its streams and stops on SIGTERM with one open', async () => {
    const server = await startServer({ DATABASE_URL: tempSqliteUrl(), ADMIN_TOKEN, LOG_LEVEL: 'warn' });
    cleanups.push(() => server.stop('SIGKILL'));
    const key = await newInstance(server);
    const stream = await openStream(server, key);
    cleanups.push(async () => stream.close());
    await post(server, key, '/tickets', { ticket: { title: 'On SQLite', requestor }, user: requestor });
    expect((await stream.parser.next((e) => e.event === 'ticket.created')).data.data.ticket.title).toBe('On SQLite');
    const stopped = server.stop('SIGTERM');
    await stream.ended;
    await stopped;
    expect(server.child.exitCode).toBe(0);
  });
});
