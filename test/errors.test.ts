import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, agent, createInstance, createTestApp, createTicket, DIALECTS, requestor, type TestApp } from './helpers.js';

/*
 * docs/api.md §1 and §3 through HTTP: the problem+json error body, the 4xx codes a client
 * can act on (400/404/405/413/415), no internals in 5xx bodies, and the unauthenticated
 * endpoints (health, readiness, OpenAPI, docs).
 */

const CODES = [
  'invalid_request',
  'validation_failed',
  'unauthorized',
  'forbidden',
  'instance_disabled',
  'not_found',
  'invalid_transition',
  'conflict',
  'precondition_failed',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'internal',
  'unavailable',
  'insufficient_storage',
];

/** Asserts the RFC 9457 body of docs/api.md §3 (plus the reference-compatible fields) and returns it. */
function expectProblem(response: LightMyRequestResponse, status: number, code?: string | string[]) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(response.body);
  expect(typeof body.type).toBe('string');
  expect(body.type.length).toBeGreaterThan(0);
  expect(typeof body.title).toBe('string');
  expect(body.title.length).toBeGreaterThan(0);
  expect(body.status).toBe(status);
  expect(typeof body.detail).toBe('string');
  expect(body.detail.length).toBeGreaterThan(0);
  expect(CODES).toContain(body.code);
  if (code !== undefined) expect(Array.isArray(code) ? code : [code]).toContain(body.code);
  expect(body.error).toBe(true);
  expect(body.message).toBe(body.detail);
  expect(body.statusCode).toBe(status);
  if (body.errors !== undefined) {
    expect(Array.isArray(body.errors)).toBe(true);
    expect(body.errors.length).toBeGreaterThan(0);
    for (const e of body.errors) {
      expect(typeof e.path).toBe('string');
      expect(typeof e.message).toBe('string');
      expect(e.message.length).toBeGreaterThan(0);
    }
  }
  return body as { type: string; title: string; status: number; detail: string; code: string; errors?: { path: string; message: string }[] };
}

/** Nothing that looks like a stack trace, SQL, a driver message or a file path. */
function expectNoInternals(text: string) {
  expect(text).not.toMatch(/\bat .+\(.+:\d+:\d+\)/); // stack frame
  expect(text).not.toMatch(/\.(ts|js):\d+/);
  expect(text).not.toMatch(/\b(SELECT|INSERT INTO|UPDATE .+ SET|DELETE FROM)\b/i);
  expect(text).not.toMatch(/sqlite|postgres|kysely|pg_|syntax error|relation "|stack/i);
  expect(text).not.toMatch(/\/work\/|node_modules/);
}

const json = { 'content-type': 'application/json' };

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`errors (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name);
    });
    afterAll(async () => t?.close());

    const inject = (app: FastifyInstance, method: string, url: string, payload?: string, headers: Record<string, string> = {}) =>
      app.inject({ method: method as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) });

    it('answers malformed JSON with 400 invalid_request on every write', async () => {
      const { primaryKey, api } = await createInstance(t.app);
      const ticket = await createTicket(api);
      // (JSON5 is accepted for the reference's own examples, so single quotes are not "malformed".)
      const bad = ['{"ticket": {"title": "x", ', '{not json}', '{"a": }', '{"a":1}}'];
      const urls: [string, string][] = [
        ['POST', '/api/v1/tickets'],
        ['PUT', `/api/v1/tickets/${ticket.id}`],
        ['PUT', `/api/v1/tickets/${ticket.id}/status`],
        ['POST', `/api/v1/tickets/${ticket.id}/comments`],
        ['PUT', '/api/v1/instance'],
      ];
      for (const [method, url] of urls) {
        for (const payload of bad) {
          const res = await inject(t.app, method, `${url}?key=${primaryKey}`, payload, json);
          const body = expectProblem(res, 400, 'invalid_request');
          expect(body.detail).toMatch(/JSON/);
        }
      }
      // Nothing was written by the rejected requests.
      const after = await api.get(`/tickets/${ticket.id}/activities`);
      expect(after.body.items).toEqual([]);
      expect((await api.get('/tickets')).body.items).toHaveLength(1);
    });

    it('lists every invalid field as { path, message } with validation_failed', async () => {
      const { api, primaryKey } = await createInstance(t.app);
      const res = await inject(
        t.app,
        'POST',
        `/api/v1/tickets?key=${primaryKey}`,
        JSON.stringify({ ticket: { title: '', priority: 'Huge', ticketId: 7 }, user: requestor }),
        json,
      );
      const body = expectProblem(res, 400, 'validation_failed');
      const paths = body.errors!.map((e) => e.path);
      expect(paths.some((p) => p.endsWith('/title'))).toBe(true);
      expect(paths.some((p) => p.endsWith('/requestor'))).toBe(true);
      expect(paths.some((p) => p.endsWith('/priority'))).toBe(true);
      expect(paths.some((p) => p.endsWith('/ticketId'))).toBe(true);
      expect((await api.get('/tickets')).body.items).toHaveLength(0);
    });

    it('answers 400 for unknown query values and out-of-range numbers', async () => {
      const { api } = await createInstance(t.app);
      await createTicket(api);
      const cases: [string, string][] = [
        ['status=Bogus', 'status'],
        ['status=Open,Nope', 'status'],
        ['priority=Huge', 'priority'],
        ['orderBy=nope', 'orderBy'],
        ['order=sideways', 'order'],
        ['select=id,password', 'select'],
        ['timezone=15', 'timezone'],
        ['timezone=-13', 'timezone'],
        ['timezone=0.3', 'timezone'],
        ['timezone=abc', 'timezone'],
        ['timezone=1e400', 'timezone'],
        ['limit=0', 'limit'],
        ['limit=1001', 'limit'],
        ['limit=abc', 'limit'],
        ['limit=2.5', 'limit'],
        ['limit=99999999999999999999999', 'limit'],
        ['offset=-1', 'offset'],
        ['offset=99999999999999999999999', 'offset'],
        ['createdAfter=2023-02-30', 'createdAfter'],
        ['createdBefore=yesterday', 'createdBefore'],
        ['expectedDateAfter=99999-01-01', 'expectedDateAfter'],
      ];
      for (const [query, name] of cases) {
        const res = await api.get(`/tickets?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(['invalid_request', 'validation_failed']).toContain(res.body.code);
        // The answer names the parameter, so a client can tell what to fix.
        expect(JSON.stringify(res.body), query).toContain(name);
      }
      // The limits themselves are fine.
      for (const query of ['limit=1', 'limit=1000', 'timezone=14', 'timezone=-12', 'timezone=5.75', 'offset=0', 'order=desc', 'status= Closed']) {
        expect((await api.get(`/tickets?${query}`)).status, query).toBe(200);
      }
      // timezone is validated on the single-ticket routes too.
      expect((await api.get('/tickets/1?timezone=20')).status).toBe(400);
      expect((await api.get('/tickets/1?timezone=7')).status).toBe(200);
    });

    it('answers 404 not_found for unknown routes', async () => {
      const { primaryKey } = await createInstance(t.app);
      for (const url of ['/api/v1/nope', '/api/v1/tickets/1/nope', '/api/v2/tickets', '/nope', '/api/v1/admin/nope']) {
        const res = await inject(t.app, 'GET', `${url}?key=${primaryKey}`);
        const body = expectProblem(res, 404, 'not_found');
        expect(body.detail).not.toContain(primaryKey);
      }
      expectProblem(await inject(t.app, 'POST', `/api/v1/nope?key=${primaryKey}`, '{}', json), 404, 'not_found');
    });

    it('answers 404 not_found for unknown objects', async () => {
      const { api, primaryKey } = await createInstance(t.app);
      const ticket = await createTicket(api);
      const missing = [
        ['GET', '/tickets/2'],
        ['GET', `/tickets/${randomUUID()}`],
        ['GET', '/tickets/0'],
        ['GET', `/tickets/${randomUUID()}/activities`],
        ['PUT', `/instance/customFields/${randomUUID()}`],
        ['DELETE', `/instance/customFields/${randomUUID()}`],
        ['PUT', `/tags/${randomUUID()}`],
        ['DELETE', `/tags/${randomUUID()}`],
      ];
      for (const [method, url] of missing) {
        const payload = method !== 'PUT' ? undefined : JSON.stringify(url!.startsWith('/tags') ? { text: 'x' } : { name: 'x' });
        const res = await inject(t.app, method!, `/api/v1${url}?key=${primaryKey}`, payload, payload ? json : {});
        expectProblem(res, 404, 'not_found');
      }
      const writes: [string, unknown][] = [
        ['PUT /tickets/2', { updates: { title: 'x' }, user: agent }],
        ['PUT /tickets/2/status', { status: 'Closed', user: agent }],
        ['POST /tickets/2/status', { status: 'Closed', user: agent }],
        ['POST /tickets/2/comments', { comment: 'hi', user: agent }],
        ['POST /tickets/2/activities', { comment: 'hi', user: agent }],
      ];
      for (const [line, body] of writes) {
        const [method, url] = line.split(' ');
        expectProblem(await inject(t.app, method!, `/api/v1${url}?key=${primaryKey}`, JSON.stringify(body), json), 404, 'not_found');
      }
      // The existing ticket still answers, by UUID and by number.
      expect((await api.get(`/tickets/${ticket.id}`)).status).toBe(200);
      expect((await api.get(`/tickets/${ticket.id.toUpperCase()}`)).status).toBe(200);
      expect((await api.get('/tickets/1')).status).toBe(200);
    });

    it('answers 405 with an Allow header for a wrong method on a known route', async () => {
      const { api, primaryKey } = await createInstance(t.app);
      const ticket = await createTicket(api);
      const cases: [string, string, string[]][] = [
        ['DELETE', '/api/v1/tickets', ['GET', 'POST']],
        ['PATCH', `/api/v1/tickets/${ticket.id}`, ['GET', 'PUT']],
        ['DELETE', `/api/v1/tickets/${ticket.ticketId}`, ['GET', 'PUT']],
        ['GET', `/api/v1/tickets/${ticket.id}/status`, ['PUT', 'POST']],
        ['DELETE', `/api/v1/tickets/${ticket.id}/activities`, ['GET', 'POST']],
        ['GET', `/api/v1/tickets/${ticket.id}/comments`, ['POST']],
        ['DELETE', '/api/v1/instance', ['GET', 'PUT']],
        ['GET', '/api/v1/instance/keys/primary/regenerate', ['POST']],
        ['POST', '/healthz', ['GET']],
      ];
      for (const [method, url, allowed] of cases) {
        const res = await inject(t.app, method, `${url}?key=${primaryKey}`);
        expectProblem(res, 405, 'invalid_request');
        const allow = String(res.headers.allow ?? '')
          .split(',')
          .map((m) => m.trim())
          .filter((m) => m !== 'HEAD' && m !== 'OPTIONS');
        expect(allow.sort(), `${method} ${url}`).toEqual([...allowed].sort());
      }
      // A 405 changes nothing.
      expect((await api.get(`/tickets/${ticket.id}`)).status).toBe(200);
    });

    it('answers 413 payload_too_large for a body over 1 MiB, and reads bodies up to it', async () => {
      const { api, primaryKey } = await createInstance(t.app);
      const ticket = await createTicket(api);
      const big = JSON.stringify({ ticket: { title: 'big', description: 'x'.repeat(1024 * 1024 + 1), requestor }, user: requestor });
      expectProblem(await inject(t.app, 'POST', `/api/v1/tickets?key=${primaryKey}`, big, json), 413, 'payload_too_large');
      const bigComment = JSON.stringify({ comment: 'y'.repeat(1024 * 1024 + 1), user: agent });
      expectProblem(await inject(t.app, 'POST', `/api/v1/tickets/${ticket.id}/comments?key=${primaryKey}`, bigComment, json), 413, 'payload_too_large');
      // Just under the limit the body is read (and then validated: description is capped by the schema).
      const underLimit = JSON.stringify({ ticket: { title: 'big', description: 'x'.repeat(1000 * 1000), requestor }, user: requestor });
      expect(Buffer.byteLength(underLimit)).toBeLessThan(1024 * 1024);
      expectProblem(await inject(t.app, 'POST', `/api/v1/tickets?key=${primaryKey}`, underLimit, json), 400, 'validation_failed');
      // A long but allowed comment (90 kB) is stored.
      const long = await api.post(`/tickets/${ticket.id}/comments`, { comment: 'z'.repeat(90_000), user: agent });
      expect(long.status).toBe(201);
      expect(long.body.item.comment).toHaveLength(90_000);
      expect((await api.get('/tickets')).body.items).toHaveLength(1);
    });

    it('answers 415 unsupported_media_type for non-JSON bodies on writes', async () => {
      const { api, primaryKey } = await createInstance(t.app);
      const ticket = await createTicket(api);
      const writes: [string, string][] = [
        ['POST', '/api/v1/tickets'],
        ['PUT', `/api/v1/tickets/${ticket.id}`],
        ['PUT', `/api/v1/tickets/${ticket.id}/status`],
        ['POST', `/api/v1/tickets/${ticket.id}/status`],
        ['POST', `/api/v1/tickets/${ticket.id}/comments`],
        ['POST', `/api/v1/tickets/${ticket.id}/activities`],
        ['PUT', '/api/v1/instance'],
        ['POST', '/api/v1/tags'],
      ];
      const bodies: [string, string][] = [
        ['text/plain', JSON.stringify({ comment: 'hi', user: agent })],
        ['application/x-www-form-urlencoded', 'comment=hi&user=me'],
        ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="comment"\r\n\r\nhi\r\n--x--'],
        ['application/xml', '<comment>hi</comment>'],
      ];
      for (const [method, url] of writes) {
        for (const [type, payload] of bodies) {
          const res = await inject(t.app, method, `${url}?key=${primaryKey}`, payload, { 'content-type': type });
          expectProblem(res, 415, 'unsupported_media_type');
        }
      }
      expect((await api.get(`/tickets/${ticket.id}/activities`)).body.items).toEqual([]);
      // JSON with a charset parameter is JSON.
      const ok = await inject(t.app, 'POST', `/api/v1/tickets/${ticket.id}/comments?key=${primaryKey}`, JSON.stringify({ comment: 'hi', user: agent }), {
        'content-type': 'application/json; charset=utf-8',
      });
      expect(ok.statusCode).toBe(201);
    });

    it('never answers 5xx for odd inputs: huge numbers, non-UUID ids, unicode, long strings, NUL', async () => {
      const { api, primaryKey } = await createInstance(t.app);
      const ticket = await createTicket(api);
      const key = `key=${primaryKey}`;
      const cases: [string, string, unknown?][] = [
        ['GET', '/tickets/99999999999999999999999999'],
        ['GET', '/tickets/2147483648'],
        ['GET', '/tickets/9007199254740993'],
        ['GET', '/tickets/-1'],
        ['GET', '/tickets/1.5'],
        ['GET', '/tickets/1e3'],
        ['GET', '/tickets/0x10'],
        ['GET', '/tickets/not-a-uuid'],
        ['GET', '/tickets/00000000-0000-0000-0000-00000000000g'],
        ['GET', `/tickets/${encodeURIComponent('é🎫漢字')}`],
        ['GET', `/tickets/${encodeURIComponent("1' OR '1'='1")}`],
        ['GET', `/tickets/${'9'.repeat(150)}`],
        ['GET', `/tickets/${'a'.repeat(5000)}`],
        ['GET', `/tickets/${'a'.repeat(5000)}/activities`],
        ['GET', '/tickets/%E0%A4%A'],
        ['GET', '/tickets/a%00b'],
        ['PUT', '/tickets/99999999999999999999999999', { updates: { title: 'x' }, user: agent }],
        ['PUT', '/tickets/2147483648/status', { status: 'Closed', user: agent }],
        ['POST', `/tickets/${'b'.repeat(300)}/comments`, { comment: 'x', user: agent }],
        ['GET', `/tickets?search=${'9'.repeat(40)}`],
        ['GET', '/tickets?search=2147483648'],
        ['GET', `/tickets?search=${encodeURIComponent("'; DROP TABLE tickets; --")}`],
        ['GET', `/tickets?search=${encodeURIComponent('%_\\')}`],
        ['GET', `/tickets?search=${encodeURIComponent('🎫 漢字 ÄÖÜ')}`],
        ['GET', `/tickets?search=${'long '.repeat(2000)}`],
        ['GET', `/tickets?title=${encodeURIComponent("%' OR 1=1 --")}`],
        ['GET', `/tickets?tags=${encodeURIComponent("'_x,_,x_")}`],
        ['GET', `/tickets?requestor=${'r'.repeat(5000)}`],
        ['GET', '/tickets?search=a%00b'],
        ['GET', '/tickets?requestor=a%00b&title=%00&assignee=%00'],
        ['GET', `/tickets?createdAfter=${encodeURIComponent('+275760-09-13T00:00:00Z')}`],
        ['GET', '/tickets?createdAfter=0000-01-01'],
        ['GET', '/tickets?expectedDateBefore=9999-12-31T23:59:59.999Z'],
        ['GET', '/tickets?limit=1&offset=1000000000'],
        ['POST', '/tickets', { ticket: { title: 'x'.repeat(1001), requestor }, user: requestor }],
        ['POST', '/tickets', { ticket: { title: 'a\u0000b', requestor }, user: requestor }],
        ['POST', '/tickets', { ticket: { title: 'ok', requestor: { ...requestor, name: 'a\u0000' } }, user: requestor }],
        ['POST', '/tickets', { ticket: { title: 'ok', requestor }, user: { ...requestor, id: 'a\u0000' } }],
        ['POST', '/tickets', { ticket: { title: 'ok', requestor, expectedDate: '+275760-09-13T00:00:00Z' }, user: requestor }],
        ['POST', '/tickets', { ticket: { title: 'ok', requestor, expectedDate: '1e400' }, user: requestor }],
        ['POST', '/tickets', { ticket: { title: 'ok', requestor, priority: 1e400 }, user: requestor }],
        ['POST', '/tickets', { ticket: { title: 'ok', requestor, customFields: { [randomUUID()]: 'x', 'a\u0000': 1 } }, user: requestor }],
        ['POST', '/tickets', { ticket: { title: 'ok', requestor, tags: [{ tagCategoryId: 'nope', text: 'x' }] }, user: requestor }],
        ['POST', '/tickets', { ticket: { title: 'ok', requestor, tags: [{ tagCategoryId: randomUUID(), text: '\u0000' }] }, user: requestor }],
        ['POST', '/tickets', { ticket: { title: 'ok', requestor }, user: requestor, extra: 'x'.repeat(10_000) }],
        ['POST', '/tickets', { ticket: 'not an object', user: requestor }],
        ['POST', '/tickets', [1, 2, 3]],
        ['POST', '/tickets', 'a string'],
        ['POST', '/tickets', 12345678901234567890],
        ['POST', '/tickets', null],
        ['PUT', `/tickets/${ticket.id}`, { updates: { description: 'd\u0000' }, user: agent }],
        ['PUT', `/tickets/${ticket.id}`, { updates: { title: { nested: true } }, user: agent }],
        ['PUT', `/tickets/${ticket.id}/status`, { status: 'x'.repeat(10_000), user: agent }],
        ['PUT', `/tickets/${ticket.id}/status`, { status: 'Closed\u0000', user: agent }],
        ['PUT', `/tickets/${ticket.id}/status`, { status: 42, user: agent }],
        ['POST', `/tickets/${ticket.id}/comments`, { comment: 'nul \u0000 inside', user: agent }],
        ['POST', `/tickets/${ticket.id}/comments`, { comment: 'ok', user: { id: 'nul\u0000', name: 'x', email: 'y' } }],
        ['POST', `/tickets/${ticket.id}/comments`, { comment: 'ok', user: agent, isPrivate: 'yes' }],
        ['PUT', '/instance', { name: 'n\u0000' }],
        ['PUT', '/instance', { dayBeforeTicketsIdle: 1e308 }],
        ['PUT', '/instance', { rateLimit: { max: 1e20, windowSeconds: 1 } }],
        ['PUT', '/instance', { mailAddress: 'm\u0000' }],
        ['POST', '/tags', { text: 'cat\u0000' }],
        ['POST', '/tags', { id: 'not-a-uuid', text: 'cat' }],
        ['POST', '/instance/customFields', { name: 'f\u0000', type: 'toggle' }],
        ['POST', '/instance/customFields', { name: 'f', type: 'nope' }],
        ['PUT', `/instance/customFields/${'9'.repeat(120)}`, { name: 'x' }],
        ['PUT', '/tags/%00', { text: 'x' }],
        ['POST', '/instance/keys/tertiary/regenerate'],
      ];
      for (const [method, url, body] of cases) {
        const res = await inject(
          t.app,
          method,
          `/api/v1${url}${url.includes('?') ? '&' : '?'}${key}`,
          body === undefined ? undefined : JSON.stringify(body),
          body === undefined ? {} : json,
        );
        const label = `${method} ${url.slice(0, 80)} ${JSON.stringify(body)?.slice(0, 80)}`;
        expect(res.statusCode, `${label} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
        if (res.statusCode >= 400) {
          expectProblem(res, res.statusCode);
          // The key is never echoed back (URLs end up in logs and screenshots).
          expect(res.body, label).not.toContain(primaryKey);
          expectNoInternals(res.body);
        }
      }
      // Admin routes too.
      const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
      for (const [method, url, body] of [
        ['POST', '/api/v1/admin/instances/not-a-uuid/sandbox', undefined],
        ['POST', `/api/v1/admin/instances/${'9'.repeat(300)}/sandbox`, undefined],
        ['POST', '/api/v1/admin/instances/a%00/sandbox', undefined],
        ['POST', '/api/v1/admin/instances', { name: 'x\u0000' }],
        ['POST', '/api/v1/admin/instances', { name: 'x', id: 'not-a-uuid' }],
        ['POST', '/api/v1/admin/instances', { name: 'x'.repeat(201) }],
      ] as [string, string, unknown][]) {
        const res = await inject(t.app, method, url, body === undefined ? undefined : JSON.stringify(body), body === undefined ? admin : { ...admin, ...json });
        expect(res.statusCode, `${method} ${url} → ${res.body.slice(0, 300)}`).toBeLessThan(500);
        expect(res.statusCode).toBeGreaterThanOrEqual(400);
        expectProblem(res, res.statusCode);
      }
      // The ticket is untouched by all of that.
      const after = await api.get(`/tickets/${ticket.id}`);
      expect(after.body.item).toMatchObject({ title: ticket.title, status: 'Open', description: ticket.description });
    });

    it('stores and returns unicode text unchanged', async () => {
      const { api } = await createInstance(t.app);
      const title = 'Drucker 🖨️ brennt — 漢字 עִבְרִית e\u0301 \u{1F9D1}\u200D\u{1F4BB}';
      const user = { id: 'ユーザー-1', name: 'Zoë Ångström', email: 'zoë@exämple.com' };
      const created = await api.post('/tickets', { ticket: { title, description: 'line 1\nline 2\ttab "quotes" \\ back', requestor: user }, user });
      expect(created.status).toBe(201);
      const read = await api.get(`/tickets/${created.body.item.id}`);
      expect(read.body.item.title).toBe(title);
      expect(read.body.item.description).toBe('line 1\nline 2\ttab "quotes" \\ back');
      expect(read.body.item.requestor).toEqual(user);
      const comment = await api.post(`/tickets/${created.body.item.ticketId}/comments`, { comment: 'Grüße 👋', user });
      expect(comment.status).toBe(201);
      expect((await api.get(`/tickets/${created.body.item.id}/activities`)).body.items[0].comment).toBe('Grüße 👋');
      const found = await api.get(`/tickets?title=${encodeURIComponent('漢字')}`);
      expect(found.body.items.map((i: { id: string }) => i.id)).toEqual([created.body.item.id]);
    });

    it('answers 500 internal without stack traces or SQL when the store fails, and /readyz 503', async () => {
      const broken = await createTestApp(dialect.name);
      try {
        const { api, primaryKey } = await createInstance(broken.app);
        expect((await api.get('/tickets')).status).toBe(200); // the key is now cached
        expect((await broken.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
        await broken.store.close();
        const ready = await broken.app.inject({ method: 'GET', url: '/readyz' });
        expectProblem(ready, 503);
        expect(ready.headers['retry-after']).toBe('5');
        expectNoInternals(ready.body);
        for (const [method, url, body] of [
          ['GET', '/api/v1/tickets'],
          ['GET', '/api/v1/tickets/1'],
          ['POST', '/api/v1/tickets', { ticket: { title: 't', requestor }, user: requestor }],
          ['GET', '/api/v1/instance'],
        ] as [string, string, unknown?][]) {
          const res = await inject(
            broken.app,
            method,
            `${url}?key=${primaryKey}`,
            body === undefined ? undefined : JSON.stringify(body),
            body === undefined ? {} : json,
          );
          expect(res.statusCode).toBeGreaterThanOrEqual(500);
          const problem = expectProblem(res, res.statusCode, 'internal');
          expectNoInternals(res.body);
          expect(res.body).not.toContain(primaryKey);
          expect(problem.errors).toBeUndefined();
        }
        // Health says the process is up; readiness says it can't serve.
        expect((await broken.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      } finally {
        await broken.app.close().catch(() => undefined);
        await broken.close().catch(() => undefined);
      }
    });

    it('serves /healthz and /readyz without a key', async () => {
      const health = await t.app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(200);
      const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
    });

    it('serves the OpenAPI 3.1 document without a key, listing the ticket routes', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/json/);
      const doc = JSON.parse(res.body);
      expect(doc.openapi).toMatch(/^3\.1\./);
      expect(doc.info.title).toEqual(expect.any(String));
      const paths = Object.keys(doc.paths).map((p) => p.replace(/^\/api\/v1/, ''));
      for (const p of [
        '/tickets',
        '/tickets/{ticketId}',
        '/tickets/{ticketId}/status',
        '/tickets/{ticketId}/activities',
        '/tickets/{ticketId}/comments',
        '/instance',
        '/tags',
      ]) {
        expect(paths).toContain(p);
      }
      const byPath = (p: string) => doc.paths[p] ?? doc.paths[`/api/v1${p}`];
      expect(Object.keys(byPath('/tickets'))).toEqual(expect.arrayContaining(['get', 'post']));
      expect(Object.keys(byPath('/tickets/{ticketId}'))).toEqual(expect.arrayContaining(['get', 'put']));
      expect(Object.keys(byPath('/tickets/{ticketId}/status'))).toEqual(expect.arrayContaining(['put', 'post']));
      // The key is documented as a security scheme, and the error body as a schema.
      expect(JSON.stringify(doc.components.securitySchemes)).toContain('"key"');
      expect(res.body).toMatch(/problem/i);
      // The document is the same with a key.
      const { primaryKey } = await createInstance(t.app);
      const withKey = await t.app.inject({ method: 'GET', url: `/api/v1/openapi.json?key=${primaryKey}` });
      expect(withKey.statusCode).toBe(200);
      expect(JSON.parse(withKey.body).paths).toEqual(doc.paths);
    });

    it('serves browsable docs at /api/docs as HTML without a key', async () => {
      const res = await t.app.inject({ method: 'GET', url: '/api/docs' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toMatch(/<html/i);
    });
  });
}

describe('body limit configuration (sqlite)', () => {
  it('answers 413 past BODY_LIMIT_BYTES when it is set lower', async () => {
    const t = await createTestApp('sqlite', { env: { BODY_LIMIT_BYTES: '2048' } });
    try {
      const { api } = await createInstance(t.app);
      const big = await api.post('/tickets', { ticket: { title: 'x', description: 'y'.repeat(3000), requestor }, user: requestor });
      expect(big.status).toBe(413);
      expect(big.body.code).toBe('payload_too_large');
      const small = await api.post('/tickets', { ticket: { title: 'x', description: 'y'.repeat(500), requestor }, user: requestor });
      expect(small.status).toBe(201);
    } finally {
      await t.close();
    }
  });
});
