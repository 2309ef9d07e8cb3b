import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresUrl, requestor } from '../helpers.js';
import { dropPostgresDatabase, freshPostgresDatabase, json, printedKeys, startServer, type ServerProcess } from './server-process.js';

/*
 * The real server while PostgreSQL goes away: its connections killed under load, or the path
 * to it cut while idle. The process must live on, answer 503 `unavailable` with Retry-After
 * (never 500) while the database is away, and serve again by itself when it is back.
 */
const ADMIN_TOKEN = 'tka_outage-test-admin-token-of-32-chars';

/** Ends every connection to `database` but the caller's, as an operator or a failover would. */
async function terminateBackends(admin: pg.Client, database: string): Promise<number> {
  const result = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  return result.rowCount ?? 0;
}

/**
 * A TCP proxy on 127.0.0.1 to PostgreSQL that the test can cut (connections refused) or stall
 * (connections accepted and never answered, as over a path that drops packets), and restore
 * on the same port.
 */
class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private stalled = false;
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    const server = createServer((client) => {
      if (this.stalled) {
        this.sockets.add(client);
        client.on('close', () => this.sockets.delete(client));
        client.on('error', () => undefined);
        return;
      }
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** No new connections, and every open one dies: the database is gone for the server. */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** Open connections die; new ones are accepted and then hear nothing. */
  stall(): void {
    this.stalled = true;
    for (const socket of this.sockets) socket.destroy();
  }

  unstall(): void {
    this.stalled = false;
    for (const socket of this.sockets) socket.destroy();
  }
}

const post = (url: string, key: string, title: string) =>
  fetch(`${url}/api/v1/tickets?key=${key}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ticket: { title, requestor }, user: requestor }),
  });

describe.skipIf(!postgresUrl)('the server while PostgreSQL goes away (real process)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function serverOn(databaseUrl: string): Promise<{ server: ServerProcess; key: string }> {
    const server = await startServer({ DATABASE_URL: databaseUrl, ADMIN_TOKEN, RATE_LIMIT_MAX: '1000', LOG_LEVEL: 'warn', JOBS_POLL_MS: '50' });
    cleanups.push(() => server.stop('SIGKILL'));
    return { server, key: printedKeys(server.output()).primary };
  }

  it('survives its connections being terminated under load: no 500, every 201 kept, serving afterwards', async () => {
    const databaseUrl = await freshPostgresDatabase(postgresUrl!, 'ticketing_outage');
    cleanups.push(() => dropPostgresDatabase(databaseUrl));
    const { server, key } = await serverOn(databaseUrl);
    const adminUrl = new URL(databaseUrl);
    adminUrl.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    cleanups.push(() => admin.end());

    const statuses: Record<string, number> = {};
    const refusals: { status: number; code?: string; retryAfter: string | null }[] = [];
    const acknowledged: { id: string; ticketId: number; title: string }[] = [];
    let killing = true;
    let n = 0;
    const writers = Array.from({ length: 8 }, async () => {
      while (killing && n < 3000) {
        const title = `outage ${n++}`;
        try {
          const response = await post(server.url, key, title);
          statuses[response.status] = (statuses[response.status] ?? 0) + 1;
          const body = await json(response);
          if (response.status === 201) acknowledged.push(body.item);
          else refusals.push({ status: response.status, code: body?.code, retryAfter: response.headers.get('retry-after') });
        } catch (error) {
          statuses[`network: ${(error as Error).message}`] = (statuses[`network: ${(error as Error).message}`] ?? 0) + 1;
        }
      }
    });
    // Let the writers get going, then kill every connection of the server 8 times, 50-100 ms apart.
    while (acknowledged.length < 20 && server.child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    let terminated = 0;
    for (let round = 0; round < 8; round++) {
      terminated += await terminateBackends(admin, new URL(databaseUrl).pathname.slice(1));
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 50));
    }
    killing = false;
    await Promise.all(writers);

    expect(terminated).toBeGreaterThan(0);
    expect(server.child.exitCode, server.output()).toBeNull();
    expect(server.child.signalCode).toBeNull();
    expect(
      Object.keys(statuses).filter((s) => s !== '201' && s !== '503'),
      JSON.stringify(statuses),
    ).toEqual([]);
    for (const refusal of refusals) {
      expect(refusal).toEqual({ status: 503, code: 'unavailable', retryAfter: expect.stringMatching(/^[1-9]\d*$/) });
    }

    // Serving normally again: a new ticket, and every acknowledged one is there as written.
    const after = await post(server.url, key, 'after the outage');
    expect(after.status).toBe(201);
    const missing: string[] = [];
    for (const ticket of acknowledged) {
      const response = await fetch(`${server.url}/api/v1/tickets/${ticket.id}?key=${key}`);
      if (response.status !== 200) missing.push(`${ticket.ticketId} (${response.status})`);
      else expect((await json(response)).item.title).toBe(ticket.title);
    }
    expect(missing).toEqual([]);
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
  });

  it('answers 503 unavailable with Retry-After while the database is away, idle, and recovers without a restart', async () => {
    const databaseUrl = await freshPostgresDatabase(postgresUrl!, 'ticketing_outage');
    cleanups.push(() => dropPostgresDatabase(databaseUrl));
    const target = new URL(databaseUrl);
    const proxy = new CuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.open();
    cleanups.push(() => proxy.cut());
    const viaProxy = new URL(databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const { server, key } = await serverOn(viaProxy.toString());

    const created = await post(server.url, key, 'before the cut');
    expect(created.status).toBe(201);
    const ticket = (await json(created)).item;

    await proxy.cut();
    // Past the key cache (2 s), so the key lookup itself meets the outage too.
    await new Promise((r) => setTimeout(r, 2100));
    for (const request of [
      () => fetch(`${server.url}/api/v1/tickets/${ticket.id}?key=${key}`),
      () => fetch(`${server.url}/api/v1/tickets?key=${key}`),
      () => post(server.url, key, 'during the cut'),
      () => fetch(`${server.url}/api/v1/instance?key=${key}`),
    ]) {
      const response = await request();
      const body = await json(response);
      expect({ status: response.status, code: body.code }).toEqual({ status: 503, code: 'unavailable' });
      expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|terminated|at .*\.js/);
    }
    expect((await fetch(`${server.url}/readyz`)).status).toBe(503);
    // The scheduler polls every 50 ms through the outage; the process must outlive it.
    await new Promise((r) => setTimeout(r, 300));
    expect(server.child.exitCode, server.output()).toBeNull();

    await proxy.open();
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    const read = await fetch(`${server.url}/api/v1/tickets/${ticket.id}?key=${key}`);
    expect(read.status).toBe(200);
    const again = await post(server.url, key, 'after the cut');
    expect(again.status).toBe(201);
    expect((await json(again)).item.ticketId).toBe(2);
  });

  it('answers 503 unavailable when connecting to the database times out, and recovers', async () => {
    const databaseUrl = await freshPostgresDatabase(postgresUrl!, 'ticketing_outage');
    cleanups.push(() => dropPostgresDatabase(databaseUrl));
    const target = new URL(databaseUrl);
    const proxy = new CuttableProxy({ host: target.hostname, port: Number(target.port || 5432) });
    await proxy.open();
    cleanups.push(() => proxy.cut());
    const viaProxy = new URL(databaseUrl);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const { server, key } = await serverOn(viaProxy.toString());
    const created = await post(server.url, key, 'before the stall');
    expect(created.status).toBe(201);
    const ticket = (await json(created)).item;

    proxy.stall();
    await new Promise((r) => setTimeout(r, 2100)); // past the key cache
    // The pool gives up on a connection after 5 s; nothing waits forever.
    const started = Date.now();
    const [read, ready] = await Promise.all([fetch(`${server.url}/api/v1/tickets/${ticket.id}?key=${key}`), fetch(`${server.url}/readyz`)]);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect({ status: read.status, code: (await json(read)).code }).toEqual({ status: 503, code: 'unavailable' });
    expect(read.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(ready.status).toBe(503);

    proxy.unstall();
    const again = await fetch(`${server.url}/api/v1/tickets/${ticket.id}?key=${key}`);
    expect(again.status).toBe(200);
    expect(server.child.exitCode).toBeNull();
  });
});
