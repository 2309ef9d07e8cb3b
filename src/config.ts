import { isIP } from 'node:net';

/**
 * The only reader of process.env. Parsed once, frozen; a bad value stops the process with a
 * message that names the variable, instead of surfacing later as a confusing runtime error.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly adminToken: string | undefined;
  readonly tokenSecret: string | undefined;
  readonly rateLimitMax: number;
  readonly rateLimitWindowSeconds: number;
  readonly authFailureLimit: number;
  /** Failed password sign-ins per account (e-mail address) per 15 minutes. */
  readonly signInFailureLimit: number;
  /** A web session ends after this many minutes without a request… */
  readonly sessionIdleMinutes: number;
  /** …and this many hours after sign-in, however used. */
  readonly sessionMaxHours: number;
  readonly redisUrl: string | undefined;
  readonly bodyLimitBytes: number;
  readonly logLevel: string;
  readonly sqliteSynchronous: 'NORMAL' | 'FULL';
  readonly publicUrl: string | undefined;
  /** How often the scheduler looks for due jobs (SLA escalation, idle tickets, alerts). */
  readonly jobsPollMs: number;
  /** Server processes to run (PostgreSQL only); 1 runs in this process. */
  readonly workers: number;
  /** Proxies whose X-Forwarded-For is believed: a hop count or their addresses; undefined: none. */
  readonly trustProxy: number | string | undefined;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function text(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw ? raw : undefined;
}

/**
 * TRUST_PROXY: a hop count (`1`: the one load balancer in front) or a comma-separated list of
 * the proxies' addresses or CIDR ranges (also Fastify's names `loopback`, `linklocal`,
 * `uniquelocal`). Unset, empty, `0` or `false`: no proxy is trusted. `true` is refused: it
 * would believe any X-Forwarded-For a client sends.
 */
function trustProxy(env: Env): number | string | undefined {
  const raw = text(env, 'TRUST_PROXY');
  if (raw === undefined || raw === '0' || raw.toLowerCase() === 'false') return undefined;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 100) throw new ConfigError(`TRUST_PROXY must be a hop count from 0 to 100 or proxy addresses, got "${raw}"`);
    return hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  for (const entry of entries) {
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    if (!named.has(entry) && (family === 0 || !bitsOk || rest.length > 0)) {
      throw new ConfigError(
        `TRUST_PROXY must be a hop count (e.g. 1) or a comma-separated list of proxy addresses or CIDR ranges (e.g. 10.0.0.0/8,127.0.0.1); "${entry}" is neither`,
      );
    }
  }
  return entries.join(',');
}

/** Shorter operator tokens are guessable; the generated one is `tka_` + 43 characters. */
const ADMIN_TOKEN_MIN_LENGTH = 32;

export function loadConfig(env: Env = process.env): Config {
  const adminToken = text(env, 'ADMIN_TOKEN');
  if (adminToken !== undefined && adminToken.length < ADMIN_TOKEN_MIN_LENGTH) {
    // Never echo the token: this message goes to the terminal and to logs.
    throw new ConfigError(
      `ADMIN_TOKEN must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters long (it has ${adminToken.length}); use a long random value (e.g. \`openssl rand -base64 32\`) or leave it unset to have one generated`,
    );
  }
  const synchronous = (text(env, 'SQLITE_SYNCHRONOUS') ?? 'NORMAL').toUpperCase();
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL') {
    throw new ConfigError(`SQLITE_SYNCHRONOUS must be NORMAL or FULL, got "${synchronous}"`);
  }
  return Object.freeze({
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST') ?? '0.0.0.0',
    databaseUrl: text(env, 'DATABASE_URL') ?? 'sqlite:./data/ticketing.db',
    adminToken,
    tokenSecret: text(env, 'TOKEN_SECRET'),
    rateLimitMax: integer(env, 'RATE_LIMIT_MAX', 100, 1, 1_000_000_000),
    rateLimitWindowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
    authFailureLimit: integer(env, 'AUTH_FAILURE_LIMIT', 30, 1, 1_000_000_000),
    signInFailureLimit: integer(env, 'SIGN_IN_FAILURE_LIMIT', 10, 1, 1_000_000),
    sessionIdleMinutes: integer(env, 'SESSION_IDLE_MINUTES', 480, 1, 525_600),
    sessionMaxHours: integer(env, 'SESSION_MAX_HOURS', 336, 1, 87_600),
    redisUrl: text(env, 'REDIS_URL'),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    logLevel: text(env, 'LOG_LEVEL') ?? 'info',
    sqliteSynchronous: synchronous,
    publicUrl: text(env, 'PUBLIC_URL'),
    jobsPollMs: integer(env, 'JOBS_POLL_MS', 1000, 10, 3_600_000),
    workers: integer(env, 'WORKERS', 1, 1, 64),
    trustProxy: trustProxy(env),
  });
}
