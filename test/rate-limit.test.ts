import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ADMIN_TOKEN, createInstance, createTestApp, DIALECTS, PASSWORD, postgresUrl, signInPerson, type TestApp } from './helpers.js';

/** docs/api.md §2, in one process: the counters' backend is the store's (memory / PostgreSQL). */
for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`rate limiting (${dialect.name})`, () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp(dialect.name, {
        rateLimit: true,
        env: { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_SECONDS: '60', AUTH_FAILURE_LIMIT: '3', SIGN_IN_FAILURE_LIMIT: '4' },
      });
    });
    afterAll(async () => t?.close());

    it('counts every authenticated request per instance and answers 429 with Retry-After past the limit', async () => {
      const { api } = await createInstance(t.app);
      const remaining: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await api.get('/tickets');
        expect(res.status).toBe(200);
        expect(res.headers['ratelimit-limit']).toBe('5');
        expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0);
        expect(Number(res.headers['ratelimit-reset'])).toBeLessThanOrEqual(60);
        remaining.push(String(res.headers['ratelimit-remaining']));
      }
      expect(remaining).toEqual(['4', '3', '2', '1', '0']);
      const limited = await api.get('/tickets');
      expect(limited.status).toBe(429);
      expect(limited.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(limited.body).toMatchObject({ status: 429, code: 'rate_limited', error: true, statusCode: 429 });
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      expect(limited.headers['ratelimit-remaining']).toBe('0');
    });

    it('keeps instances apart: one instance at its limit does not limit another', async () => {
      const a = await createInstance(t.app);
      const b = await createInstance(t.app);
      for (let i = 0; i < 5; i++) await a.api.get('/instance');
      expect((await a.api.get('/instance')).status).toBe(429);
      expect((await b.api.get('/instance')).status).toBe(200);
    });

    it('shares one budget between the primary and the secondary key', async () => {
      const { primaryKey, secondaryKey, api } = await createInstance(t.app);
      for (let i = 0; i < 3; i++) await api.get('/tags');
      const bySecondary = await t.app.inject({ method: 'GET', url: `/api/v1/tags?key=${secondaryKey}` });
      expect(bySecondary.headers['ratelimit-remaining']).toBe('1');
      expect(primaryKey).not.toBe(secondaryKey);
    });

    it("applies an instance's own rateLimit setting over the server default", async () => {
      const { api } = await createInstance(t.app, 'Generous', { rateLimit: { max: 8, windowSeconds: 30 } });
      const first = await api.get('/instance');
      expect(first.headers['ratelimit-limit']).toBe('8');
      expect(first.body.item.rateLimit).toEqual({ max: 8, windowSeconds: 30 });
      for (let i = 0; i < 7; i++) expect((await api.get('/tags')).status).toBe(200);
      expect((await api.get('/tags')).status).toBe(429);
    });

    it('limits failed authentication attempts per client address', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await t.app.inject({ method: 'GET', url: '/api/v1/tickets?key=tkt_wrong', remoteAddress: '203.0.113.9' });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          expect(JSON.parse(res.body).code).toBe('rate_limited');
        }
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      // Another address is not affected.
      const other = await t.app.inject({ method: 'GET', url: '/api/v1/tickets?key=tkt_wrong', remoteAddress: '203.0.113.10' });
      expect(other.statusCode).toBe(401);
    });

    it('limits failed password sign-ins per client address: past the limit even the right password is refused', async () => {
      const { primaryKey } = await createInstance(t.app);
      const { email } = await signInPerson(t.app, primaryKey);
      const signIn = (address: string, password: string, remoteAddress: string) =>
        t.app.inject({ method: 'POST', url: '/api/v1/session', remoteAddress, payload: { email: address, password } });
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        // Other accounts each time: this is the address's limit, not an account's.
        const res = await signIn(`guess-${i}@example.com`, 'not the password', '203.0.113.21');
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          expect(JSON.parse(res.body).code).toBe('rate_limited');
        }
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      expect((await signIn(email, PASSWORD, '203.0.113.21')).statusCode).toBe(429);
      expect((await signIn(email, 'not the password', '203.0.113.22')).statusCode).toBe(401);
      expect((await signIn(email, PASSWORD, '203.0.113.23')).statusCode).toBe(200);
    });

    it('limits failed sign-ins per account from any address, known or unknown accounts alike', async () => {
      const { primaryKey } = await createInstance(t.app);
      const { email } = await signInPerson(t.app, primaryKey);
      const unknown = `nobody-${Date.now()}@example.com`;
      const signIn = (address: string, password: string, remoteAddress: string) =>
        t.app.inject({ method: 'POST', url: '/api/v1/session', remoteAddress, payload: { email: address, password } });
      for (const account of [email, unknown]) {
        const statuses: number[] = [];
        // A new client address each time: this is the account's limit (SIGN_IN_FAILURE_LIMIT 4), not an address's.
        for (let i = 0; i < 6; i++) statuses.push((await signIn(account, `wrong ${i}`, `198.51.100.${account === email ? 10 + i : 30 + i}`)).statusCode);
        expect(statuses, account).toEqual([401, 401, 401, 401, 429, 429]);
      }
      // Past the limit the right password is refused too, in whatever case the address is typed.
      const locked = await signIn(email.toUpperCase(), PASSWORD, '198.51.100.50');
      expect([locked.statusCode, JSON.parse(locked.body).code]).toEqual([429, 'rate_limited']);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800); // the 15-minute window
    });

    it('limits failed operator-token attempts per client address', async () => {
      const admin = (token: string | undefined, remoteAddress: string) =>
        t.app.inject({ method: 'GET', url: '/api/v1/admin/instances', remoteAddress, headers: token ? { authorization: `Bearer ${token}` } : {} });
      const statuses: number[] = [];
      for (const token of ['tka_guess-1', undefined, 'tka_guess-2', 'tka_guess-3', ADMIN_TOKEN]) {
        const res = await admin(token, '203.0.113.31');
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          expect(JSON.parse(res.body).code).toBe('rate_limited');
        }
      }
      // Past the limit the address is refused, even with the right token, until the window ends.
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      expect((await admin('tka_guess', '203.0.113.32')).statusCode).toBe(401);
      expect((await admin(ADMIN_TOKEN, '203.0.113.33')).statusCode).toBe(200);
    });

    it("applies the operator's change of an instance's rate limit at once; the instance cannot lift it", async () => {
      const { id, api } = await createInstance(t.app);
      expect((await api.get('/tags')).headers['ratelimit-limit']).toBe('5');
      const set = await t.app.inject({
        method: 'PUT',
        url: `/api/v1/admin/instances/${id}`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        payload: { rateLimit: { max: 3, windowSeconds: 60 } },
      });
      expect(set.statusCode).toBe(200);
      const lift = await api.put('/instance', { rateLimit: { max: 1_000_000, windowSeconds: 60 } });
      expect([lift.status, lift.body.code]).toEqual([403, 'forbidden']);
      expect(lift.headers['ratelimit-limit']).toBe('3');
      expect((await api.get('/tags')).status).toBe(200);
      expect((await api.get('/tags')).status).toBe(200);
      expect((await api.get('/tags')).status).toBe(429);
    });
  });
}

/** The counters shared by server processes (PostgreSQL here) are taken in batches at high limits (docs/decisions/012). */
describe.skipIf(!postgresUrl)('rate-limit counters in PostgreSQL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('postgres', { rateLimit: true });
  });
  afterAll(async () => t?.close());

  it('takes points from the shared counter a batch at a time from 2,000 per window, one at a time below', async () => {
    const counted = async (id: string) => {
      const { rows } = await sql<{ points: number }>`SELECT points FROM rate_limits WHERE key LIKE ${`%:${id}`}`.execute(t.store.db);
      return rows.map((row) => row.points);
    };
    const big = await createInstance(t.app, 'Big', { rateLimit: { max: 3000, windowSeconds: 60 } });
    const small = await createInstance(t.app, 'Small', { rateLimit: { max: 1999, windowSeconds: 60 } });
    for (const { api } of [big, small]) expect((await api.get('/tags')).status).toBe(200);
    // createInstance's own request went through the operator API, which is not counted.
    expect(await counted(big.id)).toEqual([3]);
    expect(await counted(small.id)).toEqual([1]);
    const second = await big.api.get('/tags');
    expect(second.headers['ratelimit-remaining']).toBe('2998');
    expect(await counted(big.id)).toEqual([3]);
  });
});

describe('rate limit configuration (sqlite)', () => {
  it('defaults to 100 requests per 60 seconds per instance', async () => {
    const t = await createTestApp('sqlite', { rateLimit: true });
    try {
      const { api } = await createInstance(t.app);
      const first = await api.get('/tickets');
      expect(first.headers['ratelimit-limit']).toBe('100');
      expect(first.headers['ratelimit-remaining']).toBe('99');
      expect(Number(first.headers['ratelimit-reset'])).toBeGreaterThan(55);
      expect(Number(first.headers['ratelimit-reset'])).toBeLessThanOrEqual(60);
      for (let i = 0; i < 99; i++) expect((await api.get('/tags')).status).toBe(200);
      expect((await api.get('/tags')).status).toBe(429);
    } finally {
      await t.close();
    }
  });

  it('takes RATE_LIMIT_MAX and RATE_LIMIT_WINDOW_SECONDS, and counts errors and writes too', async () => {
    const t = await createTestApp('sqlite', { rateLimit: true, env: { RATE_LIMIT_MAX: '3', RATE_LIMIT_WINDOW_SECONDS: '20' } });
    try {
      const { api } = await createInstance(t.app);
      const missing = await api.get('/tickets/999');
      expect(missing.status).toBe(404);
      expect(missing.headers['ratelimit-limit']).toBe('3');
      expect(Number(missing.headers['ratelimit-reset'])).toBeLessThanOrEqual(20);
      const invalid = await api.post('/tickets', { ticket: {} });
      expect(invalid.status).toBe(400);
      expect(invalid.headers['ratelimit-remaining']).toBe('1');
      expect((await api.get('/instance')).status).toBe(200);
      const limited = await api.get('/instance');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(20);
    } finally {
      await t.close();
    }
  });
});
