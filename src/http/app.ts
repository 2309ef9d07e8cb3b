import { parse as parseQueryString } from 'node:querystring';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import FindMyWay from 'find-my-way';
import JSON5 from 'json5';
import secureJson from 'secure-json-parse';
import type { InstancesService } from '../services/instances.service.js';
import { SessionsService } from '../services/sessions.service.js';
import type { TicketsService } from '../services/tickets.service.js';
import type { Store } from '../store/db.js';
import { adminAuthHook, instanceAuthHook, KeyResolver, type RateLimitHooks } from './auth.js';
import { DomainError } from '../domain/errors.js';
import { installErrorHandlers, problemBody, sendProblem } from './errors.js';
import { adminRoutes } from './routes/admin.routes.js';
import { instanceRoutes } from './routes/instance.routes.js';
import { ticketsRoutes } from './routes/tickets.routes.js';
import { REQUEST_SCHEMAS, SHARED_SCHEMAS } from './schemas.js';
import { webRoutes } from './routes/web.routes.js';
import { sessionRoutes } from './routes/session.routes.js';

export interface AppDeps {
  store: Store;
  tickets: TicketsService;
  instances: InstancesService;
  adminTokenHash: string;
  /** Mark session cookies Secure (when served over HTTPS). */
  secureCookies?: boolean;
  bodyLimitBytes: number;
  logger?: FastifyServerOptions['logger'];
  /** Rate limiting (contract section 3); absent means unlimited. */
  rateLimit?: RateLimitHooks;
}

/**
 * Query strings are trimmed: the reference's own example has `& orderBy=status`, so names and
 * values lose surrounding spaces (comma-separated lists are trimmed where they are parsed).
 */
function parseTrimmedQuery(text: string): Record<string, string> {
  const parsed = parseQueryString(text);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (value === undefined) continue;
    const key = name.trim();
    if (key === '' || key === '__proto__') continue;
    // A repeated parameter (status=Open&status=Closed) reads as the comma-separated list.
    out[key] = Array.isArray(value) ? value.map((v) => v.trim()).join(',') : value.trim();
  }
  return out;
}

/** The path of the first string (or key) holding a NUL character, if any. */
function nulPath(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > 64) return undefined;
  for (const [name, inner] of Object.entries(value)) {
    const at = `${path}/${name.replaceAll('\u0000', '\\u0000')}`;
    if (name.includes('\u0000')) return at;
    const found = nulPath(inner, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}

class InvalidJsonError extends Error {
  readonly statusCode = 400;
  readonly code = 'FST_ERR_CTP_INVALID_JSON_BODY';
}

/**
 * Strict JSON first; failing that, JSON5, because the reference's own examples are not strict
 * JSON (`{ status : "Resolved", … }`, `// People picker` comments) and must work verbatim.
 * Prototype keys are refused either way.
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') {
    throw Object.assign(new InvalidJsonError('The JSON body is empty'), { code: 'FST_ERR_CTP_EMPTY_JSON_BODY' });
  }
  const safety = { protoAction: 'error', constructorAction: 'error' } as const;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    try {
      value = JSON5.parse(text);
    } catch {
      throw new InvalidJsonError('The body is not valid JSON');
    }
  }
  try {
    if (value !== null && typeof value === "object") secureJson.scan(value as Record<string, unknown>, safety); // prototype poisoning (`__proto__`, `constructor.prototype`)
  } catch {
    throw new InvalidJsonError('The body uses a reserved key (__proto__ or constructor.prototype)');
  }
  return value;
}

/** Builds the HTTP application without listening, so tests can inject requests. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: deps.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true, querystringParser: parseTrimmedQuery, maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: false, useDefaults: true } },
    trustProxy: true,
    // Bad percent-encoding and over-long path parameters: problem+json too, never echoing the URL (it may hold ?key=).
    frameworkErrors: (error, _request, reply) =>
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? sendProblem(reply, 'not_found', 'Not found: a path parameter is longer than any id')
        : sendProblem(reply, 'invalid_request', 'The URL is not valid (bad percent-encoding)'),
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Only JSON bodies: anything else on a write is a 415, not silently read as text.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: deps.bodyLimitBytes }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  // Every route path and its methods, to tell "no such route" (404) from "wrong method" (405).
  const paths = FindMyWay();
  const methodsByPath = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const key = route.url;
    if (!methodsByPath.has(key)) {
      methodsByPath.set(key, new Set());
      paths.on('GET', key, () => undefined, { key });
    }
    for (const m of methods) methodsByPath.get(key)!.add(m);
  });
  installErrorHandlers(app, (_method, url) => {
    const found = paths.find('GET', url.split('?')[0] ?? url);
    const key = (found?.store as { key?: string } | undefined)?.key;
    return key ? [...(methodsByPath.get(key) ?? [])].filter((m) => m !== 'HEAD') : [];
  });

  // PostgreSQL text cannot hold NUL characters: refuse them in any input (400, not 500), on both stores alike.
  app.addHook('preValidation', async (request) => {
    const path = nulPath(request.params, '/params') ?? nulPath(request.query, '/query') ?? nulPath(request.body, '/body');
    if (path) throw new DomainError('validation_failed', `${path} must not contain NUL characters`, [{ path, message: 'must not contain NUL (\\u0000) characters' }]);
  });

  await app.register(cookie);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  for (const schema of REQUEST_SCHEMAS) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Ticketing as a Service API',
        version: '1.0.0',
        description:
          'Create, route, track and resolve tickets. Authenticate with an instance key: `?key=` (as the reference does), `X-API-Key` or `Authorization: Bearer`. Errors are RFC 9457 problem details with a stable `code`.',
      },
      servers: [{ url: '/api/v1' }],
      components: {
        securitySchemes: {
          keyQuery: { type: 'apiKey', in: 'query', name: 'key' },
          keyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          keyBearer: { type: 'http', scheme: 'bearer' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, for /admin routes' },
        },
      },
      security: [{ keyQuery: [] }, { keyHeader: [] }, { keyBearer: [] }],
    },
    transform: ({ schema, url }) => ({ schema, url: url.replace(/^\/api\/v1/, '') }),
    hideUntagged: true,
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => (json.$id as string | undefined) ?? `def-${i}` },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', uiConfig: { docExpansion: 'list', deepLinking: true } });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    try {
      await deps.store.dialect.ping(deps.store.db);
      return { status: 'ready' };
    } catch {
      return reply.code(503).type('application/problem+json; charset=utf-8').send({ ...problemBody('internal', 'The store is unreachable'), status: 503, statusCode: 503 });
    }
  });

  const keys = new KeyResolver(deps.instances);
  const sessions = new SessionsService({ store: deps.store, now: deps.instances.now });
  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      await api.register(async (admin) => {
        admin.addHook('onRequest', adminAuthHook(deps.adminTokenHash, deps.rateLimit));
        await admin.register(adminRoutes({ instances: deps.instances, store: deps.store, keys }));
      });
      await api.register(sessionRoutes({ keys, instances: deps.instances, sessions, secureCookies: deps.secureCookies ?? false, rateLimit: deps.rateLimit }));
      await api.register(async (scoped) => {
        scoped.addHook('onRequest', instanceAuthHook(keys, sessions, deps.rateLimit));
        await scoped.register(ticketsRoutes(deps.tickets));
        await scoped.register(instanceRoutes({ instances: deps.instances, store: deps.store, keys }));
      });
    },
    { prefix: '/api/v1' },
  );

  await app.register(webRoutes());
  return app;
}
