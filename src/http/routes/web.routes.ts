import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/** The project's root: the nearest directory above this module with a package.json (this file runs from src/ or bundled from dist/). */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

/** Where `npm run build:web` (and `prestart`) puts the built web app. */
export const WEB_DIST = join(projectRoot(), 'web', 'dist') + '/';

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ticketing</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2937}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:.25rem}</style>
</head><body>
<h1>Ticketing as a Service</h1>
<p>The server is running, but the web app is not built: run <code>npm run build:web</code> (or start the server with <code>npm start</code>, which builds it) and reload.</p>
<p>The REST API lives under <code>/api/v1</code>; authenticate with an instance key (<code>?key=</code>, <code>X-API-Key</code> or <code>Authorization: Bearer</code>).</p>
<ul><li><a href="/api/docs">API documentation</a></li><li><a href="/api/v1/openapi.json">OpenAPI 3.1 document</a></li></ul>
</body></html>`;

/*
 * The page talks to this origin only; inline SVG and style attributes set from script are all it
 * needs besides its own files, and blob: images (thumbnails of files about to be attached,
 * read locally). frame-ancestors stops click-jacking of the settings area.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function sendPage(reply: FastifyReply, html: string) {
  return reply
    .type('text/html; charset=utf-8')
    .header('Cache-Control', 'no-cache')
    .header('Content-Security-Policy', CSP)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'same-origin')
    .send(html);
}

/** The built index.html, or undefined when there is none (not built, or being rebuilt right now). */
function readIndex(dist: string): string | undefined {
  try {
    return existsSync(`${dist}/index.html`) ? readFileSync(`${dist}/index.html`, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** A path the single-page app answers: not the API, the docs, or a missing file such as /x.js. */
const isAppPath = (url: string): boolean => {
  const path = url.split('?')[0] ?? '';
  return !/^\/api(\/|$)/.test(path) && !/\.[A-Za-z0-9]+$/.test(path);
};

/**
 * The web app at `/`: its built files (web/dist), and index.html for every other page load (a GET
 * that accepts text/html) outside /api, so links such as /tickets/42 work when opened directly
 * (the app routes in the browser). Unknown /api paths, other methods and non-browser clients
 * still get the problem+json 404/405 of errors.ts.
 *
 * Registered without encapsulation (skip-override), so its onRequest hook also sees requests
 * that matched no route, and answers those with the app before the not-found handler does.
 */
export const webRoutes = (options: { dist?: string } = {}): FastifyPluginAsync => {
  const plugin: FastifyPluginAsync = async (app) => {
    const dist = options.dist ?? WEB_DIST;
    const index = readIndex(dist);
    if (index === undefined) {
      app.get('/', { schema: { hide: true } }, async (_request, reply) => sendPage(reply, NOT_BUILT));
      return;
    }
    await app.register(fastifyStatic, {
      root: dist,
      prefix: '/',
      // One route per built file (not a `/*` route, which would make every unknown path "known").
      wildcard: false,
      index: false,
      decorateReply: false,
      cacheControl: false,
      schemaHide: true,
      setHeaders: (res, path) => {
        // Vite names assets by content hash: they never change.
        res.setHeader('Cache-Control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
        res.setHeader('X-Content-Type-Options', 'nosniff');
        if (path.endsWith('.html')) res.setHeader('Content-Security-Policy', CSP);
      },
    });
    app.get('/', { schema: { hide: true } }, async (_request, reply) => sendPage(reply, index));
    app.addHook('onRequest', async (request, reply) => {
      if (!request.is404 || (request.method !== 'GET' && request.method !== 'HEAD') || !isAppPath(request.url)) return;
      // Only page loads get the app; API clients (curl, SDKs) keep the problem+json 404.
      if (!/\btext\/html\b/.test(request.headers.accept ?? '')) return;
      return sendPage(reply, index);
    });
  };
  // Fastify's documented way for a plugin to share its parent's context (what fastify-plugin sets).
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true });
};
