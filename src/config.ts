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
  /**
   * A request (headers and body) not received within this time is cut with 408. Uploads must
   * arrive within it too: raise it for large files over slow links.
   */
  readonly requestTimeoutSeconds: number;
  /** Where attachments' bytes live: `file:DIR` or `s3://bucket?endpoint=…&region=…` (docs/decisions/018-attachments.md). */
  readonly storageUrl: string;
  /** Attachments: the largest file (413 beyond), files per request, types refused, how long a download link works. */
  readonly attachments: AttachmentConfig;
  /** Webhooks may target loopback, private and link-local addresses (on-premises receivers). */
  readonly webhookAllowPrivate: boolean;
  /** The deadline of one webhook request (connect, answer and body). */
  readonly webhookTimeoutMs: number;
  /** Waits between a delivery's attempts, in ms; undefined: the standard schedule (5 s … daily). */
  readonly webhookRetryDelaysMs: readonly number[] | undefined;
  /** Webhook requests in flight at most, per process. */
  readonly webhookConcurrency: number;
  /** How often the delivery worker looks for due deliveries. */
  readonly webhookPollMs: number;
}

export interface AttachmentConfig {
  readonly maxBytes: number;
  readonly maxFiles: number;
  /** Lower-cased media types (`application/x-msdownload`) and file name extensions (`.exe`). */
  readonly blockedTypes: readonly string[];
  readonly urlTtlSeconds: number;
}

/**
 * Executables and scripts a double click would run, by the type read from their bytes and by
 * their name's extension (a script has no signature bytes). ATTACHMENT_BLOCKED_TYPES replaces it.
 */
export const DEFAULT_BLOCKED_TYPES = [
  'application/x-msdownload',
  'application/x-msi',
  'application/x-elf',
  'application/x-mach-binary',
  'application/x-executable',
  'application/x-sharedlib',
  'application/vnd.microsoft.portable-executable',
  '.exe',
  '.dll',
  '.com',
  '.scr',
  '.msi',
  '.msp',
  '.bat',
  '.cmd',
  '.ps1',
  '.vbs',
  '.vbe',
  '.wsf',
  '.hta',
  '.cpl',
  '.jar',
  '.lnk',
  '.reg',
] as const;

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

/**
 * STORAGE_URL: `file:PATH` (relative to the working directory) or
 * `s3://bucket[/prefix]?endpoint=…&region=…&forcePathStyle=true`. Unset: `file:` a `files`
 * folder beside the SQLite database (`./data/files` for the default database), else `./data/files`.
 */
function storageUrl(env: Env, databaseUrl: string): string {
  const raw = text(env, 'STORAGE_URL');
  if (raw === undefined) {
    const sqliteFile = /^postgres(ql)?:\/\//i.test(databaseUrl) ? undefined : databaseUrl.replace(/^sqlite:(\/\/)?/i, '');
    const folder = sqliteFile && sqliteFile !== ':memory:' && sqliteFile.includes('/') ? sqliteFile.slice(0, sqliteFile.lastIndexOf('/')) : './data';
    return `file:${folder}/files`;
  }
  if (/^file:./i.test(raw)) return raw;
  if (/^s3:\/\//i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(`STORAGE_URL is not a URL: "${raw}"`);
    }
    if (!url.hostname) throw new ConfigError('STORAGE_URL=s3://… needs a bucket name: s3://BUCKET?region=…');
    const endpoint = url.searchParams.get('endpoint');
    if (endpoint !== null && !/^https?:\/\/[^/]/i.test(endpoint)) throw new ConfigError(`STORAGE_URL's endpoint must be an http(s) URL, got "${endpoint}"`);
    const pathStyle = url.searchParams.get('forcePathStyle');
    if (pathStyle !== null && pathStyle !== 'true' && pathStyle !== 'false') throw new ConfigError("STORAGE_URL's forcePathStyle must be true or false");
    for (const name of url.searchParams.keys()) {
      if (!['endpoint', 'region', 'forcePathStyle'].includes(name))
        throw new ConfigError(`STORAGE_URL has an unknown parameter "${name}" (endpoint, region, forcePathStyle)`);
    }
    // The usual AWS variables name the region when the URL does not (credentials the SDK reads itself).
    if (!url.searchParams.get('region')) url.searchParams.set('region', text(env, 'AWS_REGION') ?? text(env, 'AWS_DEFAULT_REGION') ?? 'us-east-1');
    return url.toString();
  }
  throw new ConfigError(`STORAGE_URL must be file:PATH or s3://BUCKET?endpoint=…&region=…, got "${raw}"`);
}

function blockedTypes(env: Env): string[] {
  const raw = env.ATTACHMENT_BLOCKED_TYPES;
  if (raw === undefined) return [...DEFAULT_BLOCKED_TYPES];
  const entries = raw
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    if (!/^\.[a-z0-9_+-]{1,32}$/.test(entry) && !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(entry)) {
      throw new ConfigError(
        `ATTACHMENT_BLOCKED_TYPES takes media types (application/x-msdownload) and extensions (.exe), comma-separated; "${entry}" is neither`,
      );
    }
  }
  return entries;
}

function flag(env: Env, name: string): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined || raw === '0' || raw === 'false') return false;
  if (raw === '1' || raw === 'true') return true;
  throw new ConfigError(`${name} must be 1 (or true) or 0 (or false), got "${raw}"`);
}

/** WEBHOOK_RETRY_DELAYS: seconds between attempts, comma-separated (the last one repeats). */
function retryDelays(env: Env): number[] | undefined {
  const raw = text(env, 'WEBHOOK_RETRY_DELAYS');
  if (raw === undefined) return undefined;
  const delays = raw.split(',').map((part) => Number(part.trim()));
  if (delays.some((d) => !Number.isFinite(d) || d < 0 || d > 7 * 86_400)) {
    throw new ConfigError(`WEBHOOK_RETRY_DELAYS must be comma-separated seconds (e.g. 5,30,120), got "${raw}"`);
  }
  return delays.map((d) => Math.round(d * 1000));
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
    redisUrl: text(env, 'REDIS_URL'),
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 100 * 1024 * 1024),
    logLevel: text(env, 'LOG_LEVEL') ?? 'info',
    sqliteSynchronous: synchronous,
    publicUrl: text(env, 'PUBLIC_URL'),
    jobsPollMs: integer(env, 'JOBS_POLL_MS', 1000, 10, 3_600_000),
    workers: integer(env, 'WORKERS', 1, 1, 64),
    trustProxy: trustProxy(env),
    requestTimeoutSeconds: integer(env, 'REQUEST_TIMEOUT_SECONDS', 25, 5, 3600),
    storageUrl: storageUrl(env, text(env, 'DATABASE_URL') ?? 'sqlite:./data/ticketing.db'),
    attachments: Object.freeze({
      maxBytes: integer(env, 'ATTACHMENT_MAX_BYTES', 25 * 1024 * 1024, 1, 5 * 1024 * 1024 * 1024),
      maxFiles: integer(env, 'ATTACHMENT_MAX_FILES', 10, 1, 100),
      blockedTypes: Object.freeze(blockedTypes(env)),
      urlTtlSeconds: integer(env, 'ATTACHMENT_URL_TTL_SECONDS', 3600, 60, 7 * 86_400),
    }),
    webhookAllowPrivate: flag(env, 'WEBHOOK_ALLOW_PRIVATE'),
    webhookTimeoutMs: integer(env, 'WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
    webhookRetryDelaysMs: retryDelays(env),
    webhookConcurrency: integer(env, 'WEBHOOK_CONCURRENCY', 64, 1, 1024),
    webhookPollMs: integer(env, 'WEBHOOK_POLL_MS', 250, 10, 60_000),
  });
}
