import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import type { Store } from '../store/db.js';
import type { RateLimitHooks } from './auth.js';
import { sendProblem } from './errors.js';
import { batchSizeFor, Reservations, type Grant } from './rate-limit-reservations.js';

/** The window of the per-account count of failed sign-ins. */
const ACCOUNT_WINDOW_SECONDS = 15 * 60;

type Backend = (points: number, durationSeconds: number, keyPrefix: string) => RateLimiterAbstract;

/*
 * Counters live where every server process sees them: Redis when REDIS_URL is set, else the
 * PostgreSQL store, else (SQLite: one process) memory. A store outage fails open to a
 * per-process memory limiter rather than refusing all traffic.
 */
async function openBackend(
  config: Config,
  store: Store,
  warn: (message: string) => void,
): Promise<{ make: Backend; close: () => Promise<void>; isShared: boolean }> {
  const insured = (points: number, duration: number) => new RateLimiterMemory({ points, duration });
  if (config.redisUrl) {
    const redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: true });
    // While Redis is away every command fails at once (no offline queue) and each counter falls
    // back to its per-process memory limiter; ioredis keeps reconnecting. Said once per outage.
    let away = false;
    redis.on('error', (error: Error) => {
      if (away) return;
      away = true;
      warn(`Redis at ${redactedUrl(config.redisUrl!)} is unreachable (${error.message}); rate limits are counted per process until it is back`);
    });
    redis.on('ready', () => {
      if (away) warn(`Redis at ${redactedUrl(config.redisUrl!)} is back; rate limits are shared again`);
      away = false;
    });
    // Unreachable at start is an outage like any other: serve (the server has already created
    // its first instance and must get to printing its keys) and keep trying in the background.
    await redis.connect().catch(() => undefined);
    return {
      isShared: true,
      make: (points, duration, keyPrefix) =>
        new RateLimiterRedis({ storeClient: redis, points, duration, keyPrefix, insuranceLimiter: insured(points, duration) }),
      close: async () => void redis.disconnect(),
    };
  }
  if (store.openCounterPool) {
    // Counting writes a counter row (per request, or per batch: rate-limit-reservations.ts) in
    // the UNLOGGED table rate_limits, which the store's migrations made (009). A dropped
    // connection does not end the process (the store's pools listen for it); while the database
    // is away the insurance limiter counts in memory.
    const pool = store.openCounterPool(4);
    return {
      isShared: true,
      make: (points, duration, keyPrefix) =>
        new RateLimiterPostgres({
          storeClient: pool,
          tableName: 'rate_limits',
          tableCreated: true,
          clearExpiredByTimeout: false,
          points,
          duration,
          keyPrefix,
          insuranceLimiter: insured(points, duration),
        }),
      close: () => pool.end(),
    };
  }
  return { isShared: false, make: (points, duration, keyPrefix) => new RateLimiterMemory({ points, duration, keyPrefix }), close: async () => undefined };
}

function setHeaders(reply: FastifyReply, limit: number, result: Grant): void {
  reply.header('RateLimit-Limit', String(limit));
  reply.header('RateLimit-Remaining', String(Math.max(0, result.remainingPoints)));
  reply.header('RateLimit-Reset', String(Math.max(1, Math.ceil(result.msBeforeNext / 1000))));
}

/** A URL without its password, for messages. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'REDIS_URL';
  }
}

const warnOnStderr = (message: string) => void process.stderr.write(`${message}\n`);

export async function createRateLimiter(deps: { config: Config; store: Store; warn?: (message: string) => void }): Promise<RateLimitHooks> {
  const { config } = deps;
  const backend = await openBackend(config, deps.store, deps.warn ?? warnOnStderr);
  // Shared counters are taken in batches at high limits (rate-limit-reservations.ts).
  const limiters = new Map<string, { consume: (key: string) => Promise<Grant> }>();
  const limiterFor = (max: number, windowSeconds: number) => {
    const id = `${max}:${windowSeconds}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      const counter = backend.make(max, windowSeconds, `rl:instance:${id}`);
      const batch = batchSizeFor(max);
      limiter = backend.isShared && batch > 1 ? new Reservations(counter, max, batch) : counter;
      limiters.set(id, limiter);
    }
    return limiter;
  };
  const authFailures = backend.make(config.authFailureLimit, 60, 'rl:authfail');
  // Per account (an e-mail address, known or not, so unknown ones answer alike), 15 minutes.
  const accountFailures = backend.make(config.signInFailureLimit, ACCOUNT_WINDOW_SECONDS, 'rl:signinfail');
  const accountKey = (account: string) => createHash('sha256').update(account).digest('base64url');

  const tooMany = (reply: FastifyReply, result: RateLimiterRes, what: string) => {
    reply.header('Retry-After', String(Math.max(1, Math.ceil(result.msBeforeNext / 1000))));
    sendProblem(reply, 'rate_limited', what);
    return true;
  };

  return {
    async countRequest(request: FastifyRequest, reply: FastifyReply) {
      const { max, windowSeconds } = request.auth.rateLimit ?? { max: config.rateLimitMax, windowSeconds: config.rateLimitWindowSeconds };
      try {
        setHeaders(reply, max, await limiterFor(max, windowSeconds).consume(request.auth.instanceId));
        return false;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        setHeaders(reply, max, rejection);
        return tooMany(reply, rejection, `This instance may make ${max} requests per ${windowSeconds} seconds; try again later`);
      }
    },
    async countAuthFailure(request: FastifyRequest, reply: FastifyReply) {
      try {
        await authFailures.consume(request.ip);
        return false;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return tooMany(reply, rejection, 'Too many failed authentication attempts from this address; try again later');
      }
    },
    async refuseBlockedAddress(request: FastifyRequest, reply: FastifyReply) {
      const failures = await authFailures.get(request.ip);
      if (!failures || failures.consumedPoints < config.authFailureLimit) return false;
      return tooMany(reply, failures, 'Too many failed authentication attempts from this address; try again later');
    },
    async countAccountFailure(account: string, reply: FastifyReply) {
      try {
        await accountFailures.consume(accountKey(account));
        return false;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return tooMany(reply, rejection, 'Too many failed sign-ins for this account; try again later');
      }
    },
    async refuseBlockedAccount(account: string, reply: FastifyReply) {
      const failures = await accountFailures.get(accountKey(account));
      if (!failures || failures.consumedPoints < config.signInFailureLimit) return false;
      return tooMany(reply, failures, 'Too many failed sign-ins for this account; try again later');
    },
    close: backend.close,
  };
}
