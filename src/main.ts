import cluster from 'node:cluster';
import { ConfigError, loadConfig, type Config } from './config.js';
import { buildApp } from './http/app.js';
import { createRateLimiter } from './http/rate-limit.js';
import { Scheduler } from './jobs/scheduler.js';
import { WebhookWorker } from './jobs/webhook-worker.js';
import { EventsService } from './services/events.service.js';
import { WebhookDeliveries } from './services/webhook-delivery.service.js';
import { ThreadedWebhookSender } from './services/webhook-sender.js';
import { WebhooksService } from './services/webhooks.service.js';
import { InstancesService, type CreatedInstance } from './services/instances.service.js';
import { TicketsService } from './services/tickets.service.js';
import { AttachmentsService } from './services/attachments.service.js';
import { openStorage } from './storage/open-storage.js';
import { openMigratedStore, type Store } from './store/db.js';

/** Wiring only: config -> store -> services -> http (+ the scheduler), or a supervisor of workers. */

interface Bootstrapped {
  store: Store;
  instances: InstancesService;
  tokenSecret: string;
  admin: { hash: string; generated?: string };
  created: CreatedInstance | undefined;
}

/** Migrations, shared secrets and the first-start "Default" instance: safe from any process. */
async function bootstrap(config: Config): Promise<Bootstrapped> {
  const store = await openMigratedStore(config.databaseUrl, { synchronous: config.sqliteSynchronous });
  const instances = new InstancesService({
    store,
    defaults: { rateLimitMax: config.rateLimitMax, rateLimitWindowSeconds: config.rateLimitWindowSeconds },
  });
  const tokenSecret = await instances.ensureTokenSecret(config.tokenSecret);
  const admin = await instances.ensureAdminToken(config.adminToken);
  const created = await instances.ensureDefaultInstance();
  return { store, instances, tokenSecret, admin, created };
}

function publicUrl(config: Config, port: number): string {
  return config.publicUrl ?? `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`;
}

/** The secrets made at first start: shown once, so shown even when the server then fails to start. */
function secretLines(boot: Pick<Bootstrapped, 'admin' | 'created'>): string[] {
  const lines: string[] = [];
  if (boot.admin.generated) lines.push('', 'ADMIN_TOKEN was not set; generated one (shown only now, keep it safe):', `  ADMIN_TOKEN=${boot.admin.generated}`);
  if (boot.created) {
    lines.push(
      '',
      `Created the instance "Default" (${boot.created.instance.id}). Its keys are shown only now:`,
      `  primary key:   ${boot.created.primaryKey}`,
      `  secondary key: ${boot.created.secondaryKey}`,
    );
  }
  return lines;
}

/** Secrets are printed once, to the terminal, never through the logger. */
/** `showSecrets` false: they were printed already (after a worker failed to start), and only once. */
function printBanner(url: string, where: string, boot: Pick<Bootstrapped, 'admin' | 'created'>, workers: number, showSecrets = true): void {
  const lines = [
    `Ticketing is listening on ${url} (${where}${workers > 1 ? `, ${workers} workers` : ''})`,
    `  Web app:  ${url}/`,
    `  API docs: ${url}/api/docs`,
  ];
  if (showSecrets) lines.push(...secretLines(boot));
  if (showSecrets && boot.created) {
    lines.push(
      '',
      `Try: curl "${url}/api/v1/instance?key=${boot.created.primaryKey}"`,
      '',
      'Make its first admin (prints an invitation link to choose a password in the web app):',
      `  npm run -s cli -- instance invite --instance ${boot.created.instance.id} --email you@example.com`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** When no server came up after the secrets were made: print them anyway, or they are lost. */
function printSecretsOfFailedStart(boot: Pick<Bootstrapped, 'admin' | 'created'>): void {
  const lines = secretLines(boot);
  if (lines.length > 0) process.stdout.write(`The server did not start, but these were created and are shown only now:${lines.join('\n')}\n`);
}

/** One server process: HTTP and the scheduler. Returns the port it listens on. */
async function serve(config: Config, boot: Bootstrapped): Promise<number> {
  const { store, instances, tokenSecret, admin } = boot;
  const tickets = new TicketsService({ store, tokenSecret });
  const storage = await openStorage(config.storageUrl);
  // Links in download URLs and in Teams and Slack messages; the port is known once listening (PORT=0).
  let port = config.port;
  const attachments = new AttachmentsService({ store, storage, tickets, tokenSecret, publicUrl: () => publicUrl(config, port), limits: config.attachments });
  const rateLimit = await createRateLimiter({ config, store });
  const https = config.publicUrl?.startsWith('https:') ?? false;
  const sender = new ThreadedWebhookSender({ timeoutMs: config.webhookTimeoutMs, allowPrivate: config.webhookAllowPrivate });
  const deliveries = new WebhookDeliveries({
    store,
    sender,
    publicUrl: () => publicUrl(config, port),
    timeoutMs: config.webhookTimeoutMs,
    ...(config.webhookRetryDelaysMs ? { retryDelaysMs: config.webhookRetryDelaysMs } : {}),
  });
  let worker: WebhookWorker | undefined;
  const webhooks = new WebhooksService({ store, deliveries, tokenSecret, allowPrivate: config.webhookAllowPrivate, wake: () => worker?.nudge() });
  const app = await buildApp({
    store,
    tickets,
    instances,
    attachments,
    events: new EventsService({ store, tokenSecret }),
    webhooks,
    adminTokenHash: admin.hash,
    secureCookies: https,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimit,
    logger: { level: config.logLevel },
    trustProxy: config.trustProxy,
    hsts: https,
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    ...(config.publicUrl ? { publicUrl: config.publicUrl } : {}),
    sessionTimeouts: { idleMs: config.sessionIdleMinutes * 60_000, absoluteMs: config.sessionMaxHours * 3_600_000 },
  });
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  if (typeof address === 'object' && address) port = address.port;
  const scheduler = new Scheduler({ store, log: app.log, pollMs: config.jobsPollMs, housekeeping: [attachments.sweepTask()] });
  scheduler.start();
  worker = new WebhookWorker({ deliveries, dialect: store.dialect, concurrency: config.webhookConcurrency, pollMs: config.webhookPollMs, log: app.log });
  worker.start();

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await scheduler.stop();
    await worker?.stop();
    sender.close();
    await app.close();
    await rateLimit.close?.();
    await storage.close();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  return port;
}

/**
 * WORKERS=N: the primary migrates and bootstraps once, then forks N server processes that share
 * the port (node:cluster) and the PostgreSQL store, and replaces any that dies.
 */
async function supervise(config: Config): Promise<void> {
  if (config.databaseUrl.startsWith('sqlite') || !/^postgres(ql)?:\/\//i.test(config.databaseUrl)) {
    throw new ConfigError('WORKERS > 1 needs PostgreSQL (DATABASE_URL=postgres://…): SQLite has a single writer process');
  }
  if (config.port === 0) throw new ConfigError('WORKERS > 1 needs a fixed PORT (the workers share it)');
  const boot = await bootstrap(config);
  const where = boot.store.description;
  await boot.store.close();
  let stopping = false;
  let announced = false;
  let secretsShown = false;
  const fork = () => cluster.fork();
  cluster.on('listening', () => {
    if (announced) return;
    announced = true;
    printBanner(publicUrl(config, config.port), where, boot, config.workers, !secretsShown);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    if (!announced && !secretsShown) {
      // A worker died before any listened: the secrets would otherwise never be shown.
      secretsShown = true;
      printSecretsOfFailedStart(boot);
    }
    process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
    fork();
  });
  for (let i = 0; i < config.workers; i++) fork();
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    setTimeout(() => process.exit(0), 10_000).unref();
    cluster.on('exit', () => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

async function main(): Promise<void> {
  const config = loadConfig();
  if (config.workers > 1 && cluster.isPrimary) return supervise(config);
  const boot = await bootstrap(config);
  let port: number;
  try {
    port = await serve(config, boot);
  } catch (error) {
    if (cluster.isPrimary) printSecretsOfFailedStart(boot);
    throw error;
  }
  if (cluster.isPrimary) printBanner(publicUrl(config, port), boot.store.description, boot, 1);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`Configuration error: ${error.message}\n`);
  else process.stderr.write(`Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
