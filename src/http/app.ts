import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import compress from '@fastify/compress';
import type { DestinationStream } from 'pino';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import FindMyWay from 'find-my-way';
import JSON5 from 'json5';
import secureJson from 'secure-json-parse';
import type { InstancesService } from '../services/instances.service.js';
import { OidcService } from '../services/oidc.service.js';
import { PeopleService } from '../services/people.service.js';
import { SessionsService, type SessionTimeouts } from '../services/sessions.service.js';
import type { TicketsService } from '../services/tickets.service.js';
import type { AttachmentsService } from '../services/attachments.service.js';
import type { EventsService } from '../services/events.service.js';
import type { WebhooksService } from '../services/webhooks.service.js';
import type { Store } from '../store/db.js';
import { actAsPerson, adminAuthHook, instanceAuthHook, KeyResolver, type RateLimitHooks } from './auth.js';
import { DomainError } from '../domain/errors.js';
import { installErrorHandlers, problemBody, sendProblem } from './errors.js';
import { adminRoutes } from './routes/admin.routes.js';
import { instanceRoutes } from './routes/instance.routes.js';
import { ticketsRoutes } from './routes/tickets.routes.js';
import { attachmentsRoutes, signedFilesRoutes } from './routes/attachments.routes.js';
import { REQUEST_SCHEMAS, SHARED_SCHEMAS } from './schemas.js';
import { Attachment, InsertLinksRequest } from './attachment-schemas.js';
import { webRoutes } from './routes/web.routes.js';
import { parseTrimmedQuery, redactUrl } from './query.js';
import { peopleRoutes, PEOPLE_SCHEMAS } from './routes/people.routes.js';
import { sessionRoutes, SESSION_SCHEMAS } from './routes/session.routes.js';
import { webhooksRoutes } from './routes/webhooks.routes.js';
import { liveRoutes } from './routes/live.routes.js';
import { LiveService } from '../services/live.service.js';
import { bulkRoutes, BULK_SCHEMAS } from './routes/bulk.routes.js';
import { BulkService } from '../services/bulk.service.js';
import { cannedResponsesRoutes, CANNED_RESPONSE_SCHEMAS } from './routes/canned-responses.routes.js';
import { SAVED_VIEW_SCHEMAS, viewsRoutes } from './routes/views.routes.js';
import { ViewsService } from '../services/views.service.js';
import { CannedResponsesService } from '../services/canned-responses.service.js';
import { openApiWebhooks, WEBHOOK_REQUEST_SCHEMAS, WEBHOOK_SCHEMAS } from './webhooks.schema.js';

export interface AppDeps {
  store: Store;
  tickets: TicketsService;
  instances: InstancesService;
  attachments: AttachmentsService;
  /** The event feed and webhook subscriptions (docs/api.md §13). */
  events: EventsService;
  webhooks: WebhooksService;
  adminTokenHash: string;
  /** Mark session cookies Secure (when served over HTTPS). */
  secureCookies?: boolean;
  bodyLimitBytes: number;
  /** JSON logs (pino); request URLs are logged with their keys redacted. */
  logger?: { level: string; stream?: DestinationStream };
  /**
   * Which proxies' X-Forwarded-For to believe (TRUST_PROXY): a hop count or their addresses, as
   * Fastify takes it. Absent: none, so a client cannot pick the address its failed
   * authentications are counted against, or the one written to the log.
   */
  trustProxy?: number | string;
  /** Send Strict-Transport-Security (the public URL is https). */
  hsts?: boolean;
  /** A request (headers and body) not received within this time is cut with 408; default 25 s. */
  requestTimeoutMs?: number;
  /** Rate limiting (docs/api.md §2); absent means unlimited. */
  rateLimit?: RateLimitHooks;
  /** PUBLIC_URL: the base of invitation links and of the OpenID Connect redirect URI (else the request's host). */
  publicUrl?: string;
  /** Web session timeouts (SESSION_IDLE_MINUTES, SESSION_MAX_HOURS); default 8 hours idle, 14 days in all. */
  sessionTimeouts?: SessionTimeouts;
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
    if (value !== null && typeof value === 'object') secureJson.scan(value as Record<string, unknown>, safety); // prototype poisoning (`__proto__`, `constructor.prototype`)
  } catch {
    throw new InvalidJsonError('The body uses a reserved key (__proto__ or constructor.prototype)');
  }
  return value;
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request timeout', 'The request was not received in time'],
  HPE_HEADER_OVERFLOW: [431, 'Request header fields too large', 'The URL or the headers are larger than allowed (16 KiB in all)'],
};

/**
 * Fastify's trustProxy for a hop count: the nearest `setting` hops, whoever they are. Fastify 5
 * takes a bare number as trusting nobody (it cannot check the immediate peer, so a client that
 * reaches the server directly could forge X-Forwarded-For); the operator who sets a hop count
 * says that no client can (README: TRUST_PROXY), hence a function.
 */
function trustedProxies(setting: number | string | undefined): string | false | ((address: string, hop: number) => boolean) {
  if (setting === undefined) return false;
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return setting;
}

/** Answers a request node's parser refused, as raw HTTP (there is no reply object yet). */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, title, detail] = CLIENT_ERRORS[error.code ?? ''] ?? [400, 'Invalid request', 'The request is not valid HTTP'];
  const body = JSON.stringify({ ...problemBody('invalid_request', detail), title, status, statusCode: status });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/*
 * Swagger UI loads only its own scripts and styles; inline styles are the UI's own (it sets
 * them from script), and schema examples may show images by URL.
 */
const DOCS_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * API answers are never sniffed as another type nor kept by caches (they hold tenant data and
 * may be fetched with a key in the URL); the docs cannot be framed (clickjacking); HSTS once
 * the public URL is https.
 */
function installSecurityHeaders(app: FastifyInstance, options: { hsts: boolean }): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    if (options.hsts) reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    const path = request.url;
    if (path.startsWith('/api/v1') || path.startsWith('/healthz') || path.startsWith('/readyz')) reply.header('Cache-Control', 'no-store');
    else if (path.startsWith('/api/docs')) {
      reply.header('Content-Security-Policy', DOCS_CSP);
      reply.header('X-Frame-Options', 'DENY');
    }
  });
}

/**
 * A route that reads multipart/form-data as a stream (uploads) has no body for Fastify to
 * validate; it names the form as `multipartForm` in its schema, and the OpenAPI document shows
 * it beside the route's other body types.
 */
function withMultipartForm<T extends object>(schema: T): T {
  const { multipartForm, ...rest } = schema as T & { multipartForm?: unknown; body?: { content?: Record<string, unknown> } };
  if (!multipartForm) return schema;
  return { ...rest, body: { content: { ...rest.body?.content, 'multipart/form-data': { schema: multipartForm } } } } as T;
}

/** Builds the HTTP application without listening, so tests can inject requests. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const requestTimeoutMs = deps.requestTimeoutMs ?? 25_000;
  const app = Fastify({
    logger: deps.logger
      ? {
          level: deps.logger.level,
          ...(deps.logger.stream ? { stream: deps.logger.stream } : {}),
          serializers: { req: (request: FastifyRequest) => ({ method: request.method, url: redactUrl(request.url), remoteAddress: request.ip }) },
        }
      : false,
    bodyLimit: deps.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true, querystringParser: parseTrimmedQuery, maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false, allErrors: true, coerceTypes: false, useDefaults: true } },
    trustProxy: trustedProxies(deps.trustProxy),
    // A body that stalls holds a connection and its buffers. Node checks requestTimeout only every
    // connectionsCheckingInterval (30 s by default), so a stalled body lived up to a minute;
    // checking every second cuts it within requestTimeout + 1 s. The limit is on the whole
    // request, so a body trickled a byte at a time is cut too (an idle-socket timeout is not).
    requestTimeout: requestTimeoutMs,
    http: { connectionsCheckingInterval: 1000, headersTimeout: Math.min(requestTimeoutMs, 20_000) },
    // Errors node's HTTP parser answers before Fastify sees a request (an over-long URL or header,
    // a timeout, garbage): problem+json like every other error.
    clientErrorHandler: answerClientError,
    // Bad percent-encoding and over-long path parameters: problem+json too, never echoing the URL (it may hold ?key=).
    frameworkErrors: (error, _request, reply) => {
      if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') void sendProblem(reply, 'not_found', 'Not found: a path parameter is longer than any id');
      else void sendProblem(reply, 'invalid_request', 'The URL is not valid (bad percent-encoding)');
    },
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
  installErrorHandlers(
    app,
    (_method, url) => {
      const found = paths.find('GET', url.split('?')[0] ?? url);
      const key = (found?.store as { key?: string } | undefined)?.key;
      return key ? [...(methodsByPath.get(key) ?? [])].filter((m) => m !== 'HEAD') : [];
    },
    (error) => deps.store.dialect.fault(error),
  );

  // PostgreSQL text cannot hold NUL characters: refuse them in any input (400, not 500), on both stores alike.
  app.addHook('preValidation', async (request) => {
    const path = nulPath(request.params, '/params') ?? nulPath(request.query, '/query') ?? nulPath(request.body, '/body');
    if (path)
      throw new DomainError('validation_failed', `${path} must not contain NUL characters`, [{ path, message: 'must not contain NUL (\\u0000) characters' }]);
  });

  installSecurityHeaders(app, { hsts: deps.hsts ?? false });
  // JSON and the web app's assets, brotli or gzip as the client accepts (nothing when it
  // sends no Accept-Encoding, as most API clients and the benchmark do). Brotli at quality 4:
  // about gzip's cost, smaller output; 11 (the zlib default) costs ~20x more CPU per byte.
  await app.register(compress, { global: true, encodings: ['br', 'gzip'], threshold: 1024 });

  await app.register(cookie);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  for (const schema of REQUEST_SCHEMAS) app.addSchema(schema);
  for (const schema of [Attachment, InsertLinksRequest]) app.addSchema(schema);
  for (const schema of [...WEBHOOK_SCHEMAS, ...WEBHOOK_REQUEST_SCHEMAS]) app.addSchema(schema);
  for (const schema of [...PEOPLE_SCHEMAS, ...SESSION_SCHEMAS]) app.addSchema(schema);
  for (const schema of [...BULK_SCHEMAS, ...CANNED_RESPONSE_SCHEMAS, ...SAVED_VIEW_SCHEMAS]) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Ticketing as a Service API',
        version: '1.0.0',
        description:
          "Create, route, track and resolve tickets. Authenticate with an instance key: `?key=` (as the reference does), `X-API-Key` or `Authorization: Bearer`; or as a person, with a personal access token (`tkp_…`, in the same places) or the web app's session cookie. A request made as a person acts as that person: the `user` of a body may be left out (one naming someone else is a 400), and the person's role decides what it may do (403 otherwise). Errors are RFC 9457 problem details with a stable `code`. Behaviour the reference leaves open (errors and their codes, dates and `timezone`, the status machine, ordering and continuation tokens, limits) is written down in `docs/api.md` of the source repository.",
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
      // What webhook receivers get, per event type (OpenAPI 3.1 webhooks).
      webhooks: openApiWebhooks() as never,
    },
    transform: ({ schema, url }) => ({ schema: withMultipartForm(schema), url: url.replace(/^\/api\/v1/, '') }),
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
      return sendProblem(reply, 'unavailable', 'The store is unreachable');
    }
  });

  const keys = new KeyResolver(deps.instances);
  const now = deps.instances.now;
  const sessions = new SessionsService({ store: deps.store, now, ...(deps.sessionTimeouts ? { timeouts: deps.sessionTimeouts } : {}) });
  const people = new PeopleService({ store: deps.store, now });
  const oidc = new OidcService({ store: deps.store, people, now });
  const { publicUrl, rateLimit } = deps;
  const live = new LiveService({ store: deps.store, events: deps.events, log: app.log });
  // Open streams end before the server waits for its connections to close.
  app.addHook('preClose', async () => live.close());
  await app.register(
    async (api) => {
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
      await api.register(async (admin) => {
        admin.addHook('onRequest', adminAuthHook(deps.adminTokenHash, rateLimit));
        await admin.register(adminRoutes({ instances: deps.instances, people, keys, publicUrl }));
      });
      await api.register(sessionRoutes({ keys, people, sessions, oidc, secureCookies: deps.secureCookies ?? false, publicUrl, rateLimit }));
      await api.register(async (scoped) => {
        scoped.addHook('onRequest', instanceAuthHook({ keys, sessions, people, limits: rateLimit }));
        // People act as themselves: the `user` of a body becomes the signed-in person.
        scoped.addHook('preValidation', actAsPerson);
        await scoped.register(ticketsRoutes(deps.tickets, deps.attachments));
        await scoped.register(bulkRoutes({ bulk: new BulkService({ store: deps.store, tickets: deps.tickets }) }));
        await scoped.register(cannedResponsesRoutes(new CannedResponsesService({ store: deps.store, now })));
        await scoped.register(
          viewsRoutes(
            new ViewsService({
              store: deps.store,
              now,
              count: async (instanceId, filters, timezone) => (await deps.tickets.counts(instanceId, filters, undefined, timezone)).itemCount,
            }),
          ),
        );
        await scoped.register(attachmentsRoutes(deps.attachments));
        await scoped.register(instanceRoutes({ instances: deps.instances, keys }));
        await scoped.register(webhooksRoutes({ events: deps.events, webhooks: deps.webhooks }));
        await scoped.register(liveRoutes({ live, events: deps.events, tickets: deps.tickets }));
        await scoped.register(peopleRoutes({ people, sessions, oidc, instances: deps.instances, publicUrl }));
      });
    },
    { prefix: '/api/v1' },
  );

  await app.register(signedFilesRoutes(deps.attachments, deps.rateLimit));
  await app.register(webRoutes());
  return app;
}
