import type { FastifyPluginAsync } from 'fastify';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ticketing</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2937}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:.25rem}</style>
</head><body>
<h1>Ticketing as a Service</h1>
<p>The server is running. The REST API lives under <code>/api/v1</code>; authenticate with an instance key (<code>?key=</code>, <code>X-API-Key</code> or <code>Authorization: Bearer</code>).</p>
<ul><li><a href="/api/docs">API documentation</a></li><li><a href="/api/v1/openapi.json">OpenAPI 3.1 document</a></li></ul>
</body></html>`;

/** The web app's entry point at `/`. */
export const webRoutes = (): FastifyPluginAsync => async (app) => {
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
};
