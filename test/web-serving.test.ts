import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandlers } from '../src/http/errors.js';
import { webRoutes } from '../src/http/routes/web.routes.js';

/* How the server serves the built web app: files, the single-page fallback, and what stays a 404. */
describe('web app serving', () => {
  let app: FastifyInstance;
  const html = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

  beforeAll(async () => {
    const dist = mkdtempSync(join(tmpdir(), 'web-dist-'));
    mkdirSync(join(dist, 'assets'));
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>app</title><div id="root"></div>');
    writeFileSync(join(dist, 'assets', 'index-abc123.js'), 'console.log(1)');
    app = Fastify();
    installErrorHandlers(app, () => []);
    app.get('/api/v1/things', async () => ({ items: [] }));
    await app.register(webRoutes({ dist }));
    await app.ready();
  });
  afterAll(async () => app?.close());

  it('serves index.html at / and at every page path a browser opens, with a CSP and no caching', async () => {
    for (const url of ['/', '/tickets', '/tickets/42', '/settings?x=1', '/anything/else']) {
      const res = await app.inject({ method: 'GET', url, headers: html });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.body).toContain('<div id="root">');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    }
  });

  it('serves hashed assets as immutable', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toContain('immutable');
  });

  it('leaves unknown /api paths, missing files, other methods and non-browser clients to the problem+json 404', async () => {
    const cases: [string, string, Record<string, string>][] = [
      ['GET', '/api/v1/nope', html],
      ['GET', '/api', html],
      ['GET', '/assets/missing.js', html],
      ['POST', '/tickets', html],
      ['GET', '/tickets/42', { accept: 'application/json' }],
      ['GET', '/nope', {}],
    ];
    for (const [method, url, headers] of cases) {
      const res = await app.inject({ method: method as 'GET', url, headers });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await app.inject({ method: 'GET', url: '/api/v1/things', headers: html })).json()).toEqual({ items: [] });
  });

  it('says how to build the app when it is not built', async () => {
    const bare = Fastify();
    await bare.register(webRoutes({ dist: join(tmpdir(), 'no-such-dist-dir') }));
    const res = await bare.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('npm run build:web');
    await bare.close();
  });
});
