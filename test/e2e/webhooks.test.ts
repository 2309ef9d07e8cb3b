import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Webhook } from 'standardwebhooks';
import { v4 as uuidv4 } from 'uuid';
import { afterEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../../src/domain/webhooks.js';
import * as events from '../../src/services/events.service.js';
import { InstancesService } from '../../src/services/instances.service.js';
import { openMigratedStore } from '../../src/store/db.js';
import { insertWebhook } from '../../src/store/webhooks.repo.js';
import { DIALECTS, earlierTransactionsEnded, postgresUrl, requestor } from '../helpers.js';
import { startReceiver, type Receiver } from '../webhook-receiver.js';
import { dropPostgresDatabase, freshPostgresDatabase, json, printedKeys, startServer, tempSqliteUrl, type ServerProcess } from './server-process.js';

/*
 * Webhook delivery by real server processes: several processes on one PostgreSQL deliver one
 * backlog, each event once; a process killed (SIGKILL) between sending a delivery and recording
 * it leaves the delivery to be sent again, with the same webhook-id, after a restart.
 */

const ADMIN_TOKEN = 'tka_e2e-webhooks-admin-token-0123456789abc';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function receiver(answer?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
  const started = await startReceiver(answer);
  cleanups.push(() => started.close());
  return started;
}

async function server(env: Record<string, string>): Promise<ServerProcess> {
  const started = await startServer({ ADMIN_TOKEN, RATE_LIMIT_MAX: '100000', LOG_LEVEL: 'warn', WEBHOOK_ALLOW_PRIVATE: '1', ...env });
  cleanups.push(() => started.stop('SIGKILL'));
  return started;
}

/** The process that holds the TCP connection whose local port is `port` (Linux: /proc). */
function processOfLocalPort(port: number, pids: number[]): number | undefined {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length > 9 && parseInt(fields[1]!.split(':')[1]!, 16) === port) inodes.add(fields[9]!);
    }
  }
  return pids.find((pid) =>
    readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        return inodes.has(/^socket:\[(\d+)\]$/.exec(target)?.[1] ?? '');
      } catch {
        return false;
      }
    }),
  );
}

describe.skipIf(!postgresUrl)('webhooks from two server processes on one PostgreSQL', () => {
  it('delivers a backlog in parallel, each event once', { timeout: 120_000 }, async () => {
    const databaseUrl = await freshPostgresDatabase(postgresUrl!, 'ticketing_wh');
    cleanups.push(() => dropPostgresDatabase(databaseUrl));
    // The backlog is written before any server runs: 300 events queued for one webhook.
    const endpoint = await receiver(() => ({ status: 204, delayMs: 5 }));
    const secret = generateWebhookSecret();
    const store = await openMigratedStore(databaseUrl);
    const backlog = 300;
    try {
      const instances = new InstancesService({ store, defaults: { rateLimitMax: 100, rateLimitWindowSeconds: 60 } });
      const { instance } = await instances.create({ name: 'Backlog' });
      const now = new Date().toISOString();
      await store.dialect.transaction(store.db, async (tx) => {
        await insertWebhook(tx, instance.id, {
          id: uuidv4(),
          url: endpoint.url,
          events: ['*'],
          format: 'standard',
          includePrivate: false,
          enabled: true,
          description: null,
          createdOn: now,
          lastUpdatedOn: now,
          disabledReason: null,
          failingSince: null,
          secret,
          consecutiveFailures: 0,
          blockedUntil: null,
        });
        for (let i = 0; i < backlog; i++) await events.record(tx, instance.id, { type: 'ticket.idle', data: { n: i }, createdOn: now });
      });
    } finally {
      await store.close();
    }

    const servers = await Promise.all([
      server({ DATABASE_URL: databaseUrl, WEBHOOK_CONCURRENCY: '8' }),
      server({ DATABASE_URL: databaseUrl, WEBHOOK_CONCURRENCY: '8' }),
    ]);
    await endpoint.waitFor(backlog, 60_000);
    // Which process sent each request, from the connection it came on (kept alive, so a few each).
    const pids = servers.map((s) => s.child.pid!);
    const senders = new Map<number, number>();
    for (const port of new Set(endpoint.received.map((r) => r.remotePort))) senders.set(port, processOfLocalPort(port, pids) ?? -1);
    // Anything sent twice would arrive within a lease (10 s here): wait a little for it.
    await new Promise((resolve) => setTimeout(resolve, 2000));

    const ids = endpoint.received.map((r) => r.headers['webhook-id']);
    expect(ids).toHaveLength(backlog);
    expect(new Set(ids).size).toBe(backlog);
    const numbers = endpoint.received.map((r) => (new Webhook(secret).verify(r.body, r.headers as Record<string, string>) as { data: { n: number } }).data.n);
    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: backlog }, (_, i) => i));
    const perProcess = pids.map((pid) => endpoint.received.filter((r) => senders.get(r.remotePort) === pid).length);
    expect(perProcess.reduce((a, b) => a + b, 0)).toBe(backlog);
    for (const count of perProcess) expect(count).toBeGreaterThan(0);
  });
});

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`webhooks across kill -9 (${dialect.name})`, () => {
    it('sends a delivery again, with the same webhook-id, when its process died before recording it', { timeout: 120_000 }, async () => {
      const databaseUrl = dialect.name === 'sqlite' ? tempSqliteUrl() : await freshPostgresDatabase(postgresUrl!, 'ticketing_wh_kill');
      if (dialect.name === 'postgres') cleanups.push(() => dropPostgresDatabase(databaseUrl));
      // The first request is received and never answered: the process is killed while it waits.
      const endpoint = await receiver((n) => (n === 0 ? 'hang' : { status: 204 }));
      const env = { DATABASE_URL: databaseUrl, WEBHOOK_TIMEOUT_MS: '2000' };
      let running = await server(env);
      const key = printedKeys(running.output()).primary;
      const api = (path: string, body?: unknown) =>
        fetch(`${running.url}/api/v1${path}${path.includes('?') ? '&' : '?'}key=${key}`, {
          method: body === undefined ? 'GET' : 'POST',
          ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
        });
      const created = await json(await api('/instance/webhooks', { url: endpoint.url, events: ['ticket.created'] }));
      const ticket = await api('/tickets', { ticket: { title: 'Delivered across a crash', requestor }, user: requestor });
      expect(ticket.status).toBe(201);
      await endpoint.waitFor(1);
      await running.stop('SIGKILL');

      running = await server(env);
      const [first, second] = await endpoint.waitFor(2, 30_000);
      expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
      for (const request of [first!, second!]) {
        expect((new Webhook(created.secret).verify(request.body, request.headers as Record<string, string>) as { type: string }).type).toBe('ticket.created');
      }
      if (dialect.name === 'postgres') await earlierTransactionsEnded();
      const feed = await json(await api('/instance/events?type=ticket.created&order=DESC'));
      expect(feed.items[0].id).toBe(first!.headers['webhook-id']);
      // The attempt the killed process made was never recorded (the delivery had no row: it was
      // handed to the process in memory). Once its lease was over, the sweep of the new process
      // queued it and a claim sent it: recorded as attempt 1, once its answer is in (outcomes
      // are recorded in batches, a moment after the receiver answered).
      const lastDelivery = async () => (await json(await api(`/instance/webhooks/${created.item.id}/deliveries`))).items[0];
      await expect.poll(lastDelivery, { timeout: 10_000 }).toMatchObject({ status: 'delivered', attemptCount: 1, lastStatusCode: 204 });
      expect(endpoint.received).toHaveLength(2);
    });
  });
}
