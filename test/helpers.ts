import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { inject } from 'vitest';
import { databaseName, onMaintenanceDatabase } from './pg-admin.js';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/http/app.js';
import type { RateLimitHooks } from '../src/http/auth.js';
import { createRateLimiter } from '../src/http/rate-limit.js';
import { hashSecret } from '../src/domain/keys.js';
import { InstancesService } from '../src/services/instances.service.js';
import { TicketsService } from '../src/services/tickets.service.js';
import { openMigratedStore, type Store } from '../src/store/db.js';
import { Scheduler } from '../src/jobs/scheduler.js';
import { AttachmentsService } from '../src/services/attachments.service.js';
import { openStorage, type BlobStorage } from '../src/storage/open-storage.js';
import { WebhookWorker } from '../src/jobs/webhook-worker.js';
import { EventsService } from '../src/services/events.service.js';
import { WebhookDeliveries } from '../src/services/webhook-delivery.service.js';
import { WebhookSender, type SenderOptions } from '../src/services/webhook-sender.js';
import { WebhooksService } from '../src/services/webhooks.service.js';

export type DialectName = 'sqlite' | 'postgres';

/** The stores every HTTP test runs against; PostgreSQL when the global setup found one. */
export const postgresUrl = inject('postgresUrl');
export const DIALECTS: { name: DialectName; skip: boolean }[] = [
  { name: 'sqlite', skip: false },
  { name: 'postgres', skip: !postgresUrl },
];

export const ADMIN_TOKEN = 'tka_test-admin-token-of-at-least-32-characters';

export interface TestApp {
  app: FastifyInstance;
  store: Store;
  databaseUrl: string;
  /** Runs the jobs due at the app's clock (the engine's scheduler, without its timer). */
  scheduler: Scheduler;
  attachments: AttachmentsService;
  /** Where attachments' bytes go: STORAGE_URL of `env`, else a temporary folder of this app's own (filesDir). */
  storage: BlobStorage;
  filesDir: string | undefined;
  /** The webhook delivery worker (not started: `runDue()` delivers what is due at the app's clock; `start()` runs it). */
  webhooks: WebhookWorker;
  close(options?: { keepData?: boolean }): Promise<void>;
}

/** A clock tests move by hand: services and scheduler read it instead of the real time. */
export class FakeClock {
  constructor(private ms = Date.parse('2026-11-23T08:00:00.000Z')) {}
  now = (): string => new Date(this.ms).toISOString();
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/**
 * An empty database of its own (a SQLite file, or a PostgreSQL database beside the suite's): a
 * test app's (createTestApp), or one a test builds from an older schema; `cleanup` removes it.
 */
export async function scratchDatabase(dialect: DialectName, label: string): Promise<{ url: string; cleanup: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `ticketing-${label}-`));
    return { url: `sqlite:${join(dir, 'store.db')}`, cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  if (!postgresUrl) throw new Error('PostgreSQL is not available');
  const base = postgresUrl;
  const name = `${databaseName(base)}_${label}_${process.pid}`;
  const url = Object.assign(new URL(base), { pathname: `/${name}` }).toString();
  await onMaintenanceDatabase(base, `DROP DATABASE IF EXISTS "${name}"`, `CREATE DATABASE "${name}"`);
  return { url, cleanup: () => onMaintenanceDatabase(base, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

let ownDatabases = 0;

/**
 * A fully wired app (not listening) on a fresh SQLite file, or on the shared PostgreSQL test
 * database, where tests isolate themselves by creating their own instance.
 */
export async function createTestApp(
  dialect: DialectName,
  options: {
    env?: Record<string, string>;
    rateLimit?: boolean;
    /** The services' and scheduler's clock (a FakeClock, or anything with `now`). */
    clock?: { now: () => string };
    databaseUrl?: string;
    logStream?: { write(line: string): void };
    searchBudgetMs?: number;
    /** How the webhook sender resolves names (DNS rebinding tests). */
    resolve?: SenderOptions['resolve'];
    /**
     * On PostgreSQL, a database of its own (dropped on close) instead of the shared one: for
     * tests whose delivery worker or sweep would take other files' webhook deliveries (they are
     * claimed and swept across instances, and a fake clock makes other files' ones due).
     */
    ownDatabase?: boolean;
  } = {},
): Promise<TestApp> {
  let databaseUrl: string;
  let scratch: Awaited<ReturnType<typeof scratchDatabase>> | undefined;
  if (options.databaseUrl) {
    databaseUrl = options.databaseUrl; // reopening a store: a restart
  } else if (dialect === 'sqlite' || options.ownDatabase) {
    scratch = await scratchDatabase(dialect, `own_${++ownDatabases}`);
    databaseUrl = scratch.url;
  } else {
    if (!postgresUrl) throw new Error('PostgreSQL is not available');
    databaseUrl = postgresUrl;
  }
  const config = loadConfig({ DATABASE_URL: databaseUrl, ADMIN_TOKEN, ...options.env });
  const store = await openMigratedStore(config.databaseUrl, {
    synchronous: 'NORMAL',
    poolSize: 5,
    ...(options.searchBudgetMs === undefined ? {} : { searchBudgetMs: options.searchBudgetMs }),
  });
  const instances = new InstancesService({
    store,
    defaults: { rateLimitMax: config.rateLimitMax, rateLimitWindowSeconds: config.rateLimitWindowSeconds },
    ...(options.clock ? { now: options.clock.now } : {}),
  });
  const tokenSecret = await instances.ensureTokenSecret(config.tokenSecret);
  const now = options.clock?.now;
  const tickets = new TicketsService({ store, tokenSecret, ...(now ? { now } : {}) });
  const filesDir = config.storageUrl.startsWith('s3:') || options.env?.STORAGE_URL ? undefined : mkdtempSync(join(tmpdir(), 'ticketing-files-'));
  const storage = await openStorage(filesDir ? `file:${filesDir}` : config.storageUrl);
  const attachments = new AttachmentsService({
    store,
    storage,
    tickets,
    tokenSecret,
    publicUrl: () => config.publicUrl ?? 'http://localhost:3000',
    limits: config.attachments,
    ...(now ? { now } : {}),
  });
  const scheduler = new Scheduler({ store, ...(now ? { now } : {}), housekeeping: [attachments.sweepTask()] });
  const sender = new WebhookSender({
    timeoutMs: config.webhookTimeoutMs,
    allowPrivate: config.webhookAllowPrivate,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  const deliveries = new WebhookDeliveries({
    store,
    sender,
    publicUrl: () => 'http://ticketing.test',
    timeoutMs: config.webhookTimeoutMs,
    ...(config.webhookRetryDelaysMs ? { retryDelaysMs: config.webhookRetryDelaysMs } : {}),
    ...(now ? { now } : {}),
  });
  const worker = new WebhookWorker({ deliveries, dialect: store.dialect, concurrency: config.webhookConcurrency, pollMs: 20 });
  let rateLimit: RateLimitHooks | undefined;
  if (options.rateLimit) rateLimit = await createRateLimiter({ config, store });
  const app = await buildApp({
    store,
    tickets,
    instances,
    attachments,
    events: new EventsService({ store, tokenSecret }),
    webhooks: new WebhooksService({ store, deliveries, tokenSecret, allowPrivate: config.webhookAllowPrivate, wake: () => worker.nudge() }),
    adminTokenHash: hashSecret(ADMIN_TOKEN),
    bodyLimitBytes: config.bodyLimitBytes,
    ...(rateLimit ? { rateLimit } : {}),
    ...(config.trustProxy === undefined ? {} : { trustProxy: config.trustProxy }),
    hsts: config.publicUrl?.startsWith('https:') ?? false,
    ...(options.logStream ? { logger: { level: 'info', stream: options.logStream } } : {}),
  });
  await app.ready();
  if (databaseUrl.startsWith('postgres')) feedOnPostgres.add(app);
  return {
    app,
    store,
    databaseUrl,
    scheduler,
    attachments,
    storage,
    filesDir,
    webhooks: worker,
    async close(options: { keepData?: boolean } = {}) {
      await worker.stop();
      sender.close();
      await app.close();
      await rateLimit?.close?.();
      await storage.close();
      await store.close();
      if (scratch && !options.keepData) await scratch.cleanup();
      if (filesDir && !options.keepData) rmSync(filesDir, { recursive: true, force: true });
    },
  };
}

/*
 * GET /instance/events on PostgreSQL shows an event once every transaction older than its own
 * has ended (decision 017), and PostgreSQL's transaction ids are shared by the whole server: a
 * write transaction of another test file running beside this one (a bulk action, a large
 * import) holds back what this test just wrote. The test clients wait for that before reading
 * the feed, so that a test sees what it wrote whatever runs beside it; what the feed answers
 * then is still the server's.
 */
const feedOnPostgres = new WeakSet<FastifyInstance>();
let settler: pg.Pool | undefined;

/**
 * Resolves once every PostgreSQL transaction running at the call has ended (at most 30 s): then
 * the feed shows what was written before. Tests that read the feed through a server process of
 * their own call it themselves.
 */
export async function earlierTransactionsEnded(): Promise<void> {
  settler ??= new pg.Pool({ connectionString: postgresUrl ?? undefined, max: 1, idleTimeoutMillis: 1000, allowExitOnIdle: true });
  const next = (await settler.query<{ xmax: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS xmax')).rows[0]!.xmax;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 10))) {
    const { rows } = await settler.query<{ ended: boolean }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint >= $1::bigint AS ended', [next]);
    if (rows[0]!.ended) return;
  }
}

const readsTheFeed = (app: FastifyInstance, method: string, url: string) => method === 'GET' && url.startsWith('/instance/events') && feedOnPostgres.has(app);

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Record<string, string | string[] | undefined>;
}

/** A tiny client for one instance key: JSON in, JSON out. */
export function client(app: FastifyInstance, key: string) {
  const call = async <T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> => {
    if (readsTheFeed(app, method, url)) await earlierTransactionsEnded();
    const separator = url.includes('?') ? '&' : '?';
    const response = await app.inject({
      method: method as 'GET',
      url: `/api/v1${url}${separator}key=${encodeURIComponent(key)}`,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    const text = response.body;
    return { status: response.statusCode, body: text ? JSON.parse(text) : undefined, headers: response.headers as Reply['headers'] };
  };
  return {
    key,
    get: <T = any>(url: string, headers?: Record<string, string>) => call<T>('GET', url, undefined, headers),
    post: <T = any>(url: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', url, body, headers),
    put: <T = any>(url: string, body?: unknown, headers?: Record<string, string>) => call<T>('PUT', url, body, headers),
    delete: <T = any>(url: string, headers?: Record<string, string>) => call<T>('DELETE', url, undefined, headers),
  };
}
export type Client = ReturnType<typeof client>;

/** Creates a fresh instance (a tenant of its own) through the operator API. */
export async function createInstance(app: FastifyInstance, name = 'Test instance', settings: Record<string, unknown> = {}) {
  const response = await app.inject({
    method: 'POST',
    url: '/api/v1/admin/instances',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    payload: JSON.stringify({ name, ...settings }),
  });
  if (response.statusCode !== 201) throw new Error(`creating an instance failed: ${response.statusCode} ${response.body}`);
  const body = JSON.parse(response.body) as { item: { id: string }; primaryKey: string; secondaryKey: string };
  return { id: body.item.id, primaryKey: body.primaryKey, secondaryKey: body.secondaryKey, api: client(app, body.primaryKey) };
}

export const agent = { id: 'agent-1', name: 'Alex Wilber', email: 'alexw@example.com' };
export const requestor = { id: 'req-1', name: 'Jason Doe', email: 'john.doe@example.com' };

/** Creates a ticket and returns it; fails the test on anything but 201. */
export async function createTicket(api: Client, ticket: Record<string, unknown> = {}, user = requestor) {
  const response = await api.post('/tickets', { ticket: { title: 'A ticket', requestor, ...ticket }, user });
  if (response.status !== 201) throw new Error(`create failed: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body.item;
}

/** A password good enough for the password rules (docs/api.md §14). */
export const PASSWORD = 'correct horse battery staple';

let personCount = 0;

/**
 * A person of the instance with a password, signed in: added with the instance key (which the
 * reference makes all-powerful), then signed in through their invitation link.
 */
export async function signInPerson(app: FastifyInstance, key: string, options: { role?: 'admin' | 'agent' | 'viewer'; email?: string; name?: string } = {}) {
  const email = options.email ?? `person-${++personCount}-${Date.now()}@example.com`;
  const added = await client(app, key).post('/instance/users', { email, name: options.name ?? `Person ${personCount}`, role: options.role ?? 'agent' });
  if (added.status !== 201) throw new Error(`adding a person failed: ${added.status} ${JSON.stringify(added.body)}`);
  const accepted = await app.inject({ method: 'POST', url: '/api/v1/session/password', payload: { token: added.body.invitation.token, password: PASSWORD } });
  if (accepted.statusCode !== 200) throw new Error(`accepting the invitation failed: ${accepted.statusCode} ${accepted.body}`);
  const cookie = String(accepted.headers['set-cookie']).split(';')[0]!;
  return { person: added.body.item as { id: string; name: string; email: string; role: string }, email, cookie, web: webClient(app, cookie) };
}

/** A client for the web app's session cookie (writes carry the header the server asks of cookie writes). */
export function webClient(app: FastifyInstance, cookie: string) {
  const call = async <T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> => {
    if (readsTheFeed(app, method, url)) await earlierTransactionsEnded();
    const response = await app.inject({
      method: method as 'GET',
      url: `/api/v1${url}`,
      headers: { cookie, 'x-requested-with': 'ticketing-web', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    const text = response.body;
    return { status: response.statusCode, body: text ? JSON.parse(text) : undefined, headers: response.headers as Reply['headers'] };
  };
  return {
    cookie,
    get: <T = any>(url: string, headers?: Record<string, string>) => call<T>('GET', url, undefined, headers),
    post: <T = any>(url: string, body?: unknown, headers?: Record<string, string>) => call<T>('POST', url, body, headers),
    put: <T = any>(url: string, body?: unknown, headers?: Record<string, string>) => call<T>('PUT', url, body, headers),
    delete: <T = any>(url: string, headers?: Record<string, string>) => call<T>('DELETE', url, undefined, headers),
  };
}
