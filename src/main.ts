import type { FastifyRequest } from 'fastify';
import { ConfigError, loadConfig } from './config.js';
import { buildApp } from './http/app.js';
import { redactUrl } from './http/redact.js';
import { createRateLimiter } from './http/rate-limit.js';
import { Scheduler } from './jobs/scheduler.js';
import { InstancesService } from './services/instances.service.js';
import { TicketsService } from './services/tickets.service.js';
import { openMigratedStore } from './store/db.js';

/** Wiring only: config -> store -> services -> http. */
async function main(): Promise<void> {
  const config = loadConfig();
  const store = await openMigratedStore(config.databaseUrl, { synchronous: config.sqliteSynchronous });
  const instances = new InstancesService({
    store,
    defaults: { rateLimitMax: config.rateLimitMax, rateLimitWindowSeconds: config.rateLimitWindowSeconds },
  });
  const tokenSecret = await instances.ensureTokenSecret(config.tokenSecret);
  const admin = await instances.ensureAdminToken(config.adminToken);
  const tickets = new TicketsService({ store, tokenSecret });
  const rateLimit = await createRateLimiter({ config, store });

  const app = await buildApp({
    store,
    tickets,
    instances,
    adminTokenHash: admin.hash,
    sessionSecret: tokenSecret,
    secureCookies: config.publicUrl?.startsWith('https:') ?? false,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimit,
    logger: {
      level: config.logLevel,
      serializers: {
        req: (request: FastifyRequest) => ({ method: request.method, url: redactUrl(request.url), remoteAddress: request.ip }),
      },
    },
  });

  const created = await instances.ensureDefaultInstance();
  await app.listen({ port: config.port, host: config.host });
  const scheduler = new Scheduler({ store, log: app.log, pollMs: config.jobsPollMs });
  scheduler.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = config.publicUrl ?? `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${port}`;

  // Secrets are printed once, to the terminal, never through the logger.
  const lines = [`Ticketing is listening on ${url} (${store.description})`, `  Web app:  ${url}/`, `  API docs: ${url}/api/docs`];
  if (admin.generated) lines.push('', 'ADMIN_TOKEN was not set; generated one (shown only now, keep it safe):', `  ADMIN_TOKEN=${admin.generated}`);
  if (created) {
    lines.push(
      '',
      `Created the instance "Default" (${created.instance.id}). Its keys are shown only now:`,
      `  primary key:   ${created.primaryKey}`,
      `  secondary key: ${created.secondaryKey}`,
      '',
      `Try: curl "${url}/api/v1/instance?key=${created.primaryKey}"`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    await scheduler.stop();
    await app.close();
    await rateLimit?.close?.();
    await store.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`Configuration error: ${error.message}\n`);
  else process.stderr.write(`Failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
