import { connect } from 'node:net';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createTestApp, DIALECTS, type TestApp } from './helpers.js';

/*
 * Issue 12 from outside: who is believed to be the client (TRUST_PROXY), the headers every
 * answer carries, compression, and the errors node's HTTP parser answers before a route runs.
 */

/** Sends raw bytes to a listening app and resolves with what came back when the server closed. */
function rawExchange(port: number, request: string): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
  });
}

const problemOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`client addresses (${dialect.name})`, () => {
    // PostgreSQL's counters outlive a test app and are shared by every test file: each test
    // uses addresses of its own (198.18.0.0/15, the benchmarking range).
    let next = Math.floor(Math.random() * 60_000);
    const address = () => {
      next += 1;
      return `198.${18 + (next >> 16)}.${(next >> 8) & 255}.${next & 255}`;
    };
    const failures = async (t: TestApp, proxy: string, forwardedFor: string[]) => {
      const statuses: number[] = [];
      for (const client of forwardedFor) {
        const response = await t.app.inject({
          method: 'GET',
          url: '/api/v1/tickets?key=tkt_wrong',
          remoteAddress: proxy,
          headers: { 'x-forwarded-for': client },
        });
        statuses.push(response.statusCode);
      }
      return statuses;
    };

    it('ignores X-Forwarded-For without TRUST_PROXY: a client cannot spread its failed keys over made-up addresses', async () => {
      const t = await createTestApp(dialect.name, { rateLimit: true, env: { AUTH_FAILURE_LIMIT: '3' } });
      try {
        expect(await failures(t, address(), [address(), address(), address(), address(), address()])).toEqual([401, 401, 401, 429, 429]);
      } finally {
        await t.close();
      }
    });

    it('counts failures per forwarded address behind a trusted proxy (TRUST_PROXY names it, or a hop count)', async () => {
      for (const hops of [false, true]) {
        const proxy = address();
        const t = await createTestApp(dialect.name, { rateLimit: true, env: { AUTH_FAILURE_LIMIT: '3', TRUST_PROXY: hops ? '1' : `${proxy},10.0.0.0/8` } });
        try {
          expect(await failures(t, proxy, [address(), address(), address(), address()]), `hops ${hops}`).toEqual([401, 401, 401, 401]);
          const client = address();
          expect(await failures(t, proxy, [client, client, client, client]), `hops ${hops}`).toEqual([401, 401, 401, 429]);
        } finally {
          await t.close();
        }
      }
    });

    it('does not believe a proxy TRUST_PROXY does not name', async () => {
      const t = await createTestApp(dialect.name, { rateLimit: true, env: { AUTH_FAILURE_LIMIT: '2', TRUST_PROXY: '10.1.2.3' } });
      try {
        expect(await failures(t, address(), [address(), address(), address()])).toEqual([401, 401, 429]);
      } finally {
        await t.close();
      }
    });
  });

  describe.skipIf(dialect.skip)(`response headers and compression (${dialect.name})`, () => {
    let t: TestApp;
    let key: string;
    beforeAll(async () => {
      t = await createTestApp(dialect.name, { env: { PUBLIC_URL: 'https://desk.example.com' } });
      key = (await createInstance(t.app)).primaryKey;
    });
    afterAll(async () => t?.close());

    it('marks API answers nosniff and no-store, errors included, and sends HSTS under an https PUBLIC_URL', async () => {
      for (const url of [`/api/v1/instance?key=${key}`, '/api/v1/instance', '/api/v1/nowhere', '/readyz']) {
        const response = await t.app.inject({ method: 'GET', url });
        expect(response.headers['x-content-type-options'], url).toBe('nosniff');
        expect(response.headers['cache-control'], url).toBe('no-store');
        expect(response.headers['strict-transport-security'], url).toMatch(/^max-age=\d{7,}/);
      }
    });

    it('sends no HSTS when the public URL is plain http', async () => {
      const plain = await createTestApp(dialect.name);
      try {
        const response = await plain.app.inject({ method: 'GET', url: '/healthz' });
        expect(response.headers['strict-transport-security']).toBeUndefined();
        expect(response.headers['x-content-type-options']).toBe('nosniff');
      } finally {
        await plain.close();
      }
    });

    it("forbids framing the API docs (CSP frame-ancestors 'none')", async () => {
      const response = await t.app.inject({ method: 'GET', url: '/api/docs/' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    });

    it('compresses JSON with brotli or gzip as the client accepts, and not when it accepts neither', async () => {
      const url = `/api/v1/openapi.json?key=${key}`;
      const plain = await t.app.inject({ method: 'GET', url });
      expect(plain.headers['content-encoding']).toBeUndefined();
      const document = JSON.parse(plain.body);
      expect(document.openapi).toBe('3.1.0');

      const br = await t.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip, deflate, br' } });
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.rawPayload.length).toBeLessThan(plain.rawPayload.length / 3);
      expect(JSON.parse(brotliDecompressSync(br.rawPayload).toString())).toEqual(document);

      const gzip = await t.app.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip' } });
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(JSON.parse(gunzipSync(gzip.rawPayload).toString())).toEqual(document);

      // Below 1 KiB compression costs more than it saves: sent as it is.
      const small = await t.app.inject({ method: 'GET', url: '/readyz', headers: { 'accept-encoding': 'gzip, br' } });
      expect(small.rawPayload.length).toBeLessThan(1024);
      expect(small.headers['content-encoding']).toBeUndefined();
    });

    it('compresses the docs assets too', async () => {
      const response = await t.app.inject({ method: 'GET', url: '/api/docs/static/swagger-ui-bundle.js', headers: { 'accept-encoding': 'br' } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-encoding']).toBe('br');
    });
  });

  describe.skipIf(dialect.skip)(`requests the HTTP parser refuses (${dialect.name})`, () => {
    let t: TestApp;
    let port: number;
    let key: string;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
      key = (await createInstance(t.app)).primaryKey;
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.server.address() as { port: number }).port;
    });
    afterAll(async () => t?.close());

    it('answers an oversized URL or header with 431 problem+json', async () => {
      for (const request of [
        `GET /api/v1/tickets?key=${key}&search=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        `GET /api/v1/tickets?key=${key} HTTP/1.1\r\nHost: x\r\nX-Padding: ${'b'.repeat(20_000)}\r\n\r\n`,
      ]) {
        const { text } = await rawExchange(port, request);
        expect(text).toMatch(/^HTTP\/1\.1 431 /);
        expect(text).toMatch(/content-type: application\/problem\+json/i);
        expect(problemOf(text)).toMatchObject({ status: 431, statusCode: 431, code: 'invalid_request', error: true });
      }
    });

    it('answers a request that is not HTTP with 400 problem+json', async () => {
      const { text } = await rawExchange(port, 'HELLO THERE\r\n\r\n');
      expect(text).toMatch(/^HTTP\/1\.1 400 /);
      expect(problemOf(text)).toMatchObject({ status: 400, code: 'invalid_request' });
    });

    // Node's request timer, not the store, cuts it, and the wait is 25 s: on one store only.
    if (dialect.name === 'sqlite')
      it('cuts a request whose body stalls, within 30 s, with 408 problem+json', async () => {
        // Headers promise 100 bytes of body; 6 arrive, then nothing.
        const { text, ms } = await rawExchange(
          port,
          `POST /api/v1/tickets?key=${key} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"tick`,
        );
        expect(ms).toBeLessThan(30_000);
        expect(text).toMatch(/^HTTP\/1\.1 408 /);
        expect(problemOf(text)).toMatchObject({ status: 408, code: 'invalid_request' });
        const listed = await t.app.inject({ method: 'GET', url: `/api/v1/tickets?key=${key}` });
        expect(JSON.parse(listed.body).items).toEqual([]);
      }, 45_000);
  });
}
