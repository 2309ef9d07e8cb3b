import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { Client } from './helpers.js';

/** A request a test receiver got: its headers and raw body as received. */
export interface Received {
  path: string;
  /** The sender's port: which connection (and so which process) it came on. */
  remotePort: number;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What a receiver answers to its n-th request (0-based): a status (after a delay), or 'hang' (never answers). */
export type Answer = { status: number; body?: string; headers?: Record<string, string>; delayMs?: number } | 'hang';

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** Resolves once `count` requests have arrived (fails after timeoutMs). */
  waitFor(count: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

/**
 * A real HTTP receiver on 127.0.0.1 (node:http), answering each request as `answer` says:
 * by default 204. It records every request, also those it lets hang.
 */
export async function startReceiver(answer: (n: number, request: Received) => Answer = () => ({ status: 204 })): Promise<Receiver> {
  const received: Received[] = [];
  const hanging = new Set<ServerResponse>();
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: Received = {
        path: req.url ?? '/',
        remotePort: req.socket.remotePort ?? 0,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      const n = received.length;
      received.push(request);
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
      const reply = answer(n, request);
      if (reply === 'hang') {
        hanging.add(res);
        return;
      }
      setTimeout(() => {
        res.writeHead(reply.status, { 'content-type': 'text/plain', ...reply.headers });
        res.end(reply.body ?? '');
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    port,
    received,
    waitFor(count, timeoutMs = 15_000) {
      if (received.length >= count) return Promise.resolve(received);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the receiver got ${received.length} of ${count} requests within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(received);
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * Receivers and webhooks a test file starts and subscribes, all undone by `cleanUp` (after each
 * test: nothing one test left pending is sent during the next; on PostgreSQL the test database
 * is shared by every test file).
 */
export function webhookFixtures() {
  const receivers: Receiver[] = [];
  const webhooks: { api: Client; id: string }[] = [];
  return {
    async receiver(answer?: (n: number, request: Received) => Answer): Promise<Receiver> {
      const started = await startReceiver(answer);
      receivers.push(started);
      return started;
    },
    async subscribe(api: Client, body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
      const answer = await api.post('/instance/webhooks', body);
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      webhooks.push({ api, id: answer.body.item.id });
      return { id: answer.body.item.id, secret: answer.body.secret };
    },
    /** A webhook the test created itself, deleted with the others. */
    track(api: Client, id: string): void {
      webhooks.push({ api, id });
    },
    async cleanUp(): Promise<void> {
      for (const { api, id } of webhooks.splice(0)) await api.delete(`/instance/webhooks/${id}`);
      for (const receiver of receivers.splice(0)) await receiver.close();
    },
  };
}
