import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KeyAccessLevel, KeyName } from '../domain/instance.js';
import { digestsEqual, hashSecret } from '../domain/keys.js';
import type { InstancesService } from '../services/instances.service.js';
import type { SessionsService, WebSession } from '../services/sessions.service.js';
import { sendProblem } from './errors.js';

export interface AuthContext {
  instanceId: string;
  which: KeyName;
  access: KeyAccessLevel;
  /** False when the operator disabled the instance: its keys and sessions get 403 instance_disabled. */
  enabled: boolean;
  /** The instance's own rate limit, when it overrides the server default. */
  rateLimit: { max: number; windowSeconds: number } | null;
}

/** The context of an authenticated request: its key's, and how it came. */
export interface RequestAuth extends AuthContext {
  /** `web`: the web app's own request, made with its session cookie; `api`: an instance key. */
  channel: 'api' | 'web';
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: RequestAuth;
  }
}

/** The key of a request: `key` query parameter (the reference's way), X-API-Key or Bearer. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = typeof query?.key === 'string' ? query.key : undefined;
  const header = request.headers['x-api-key'];
  const fromHeader = typeof header === 'string' ? header : undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  return (fromQuery ?? fromHeader ?? bearer)?.trim() || undefined;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Resolves keys to instances. Lookups are cached for a short time (a regenerated key is
 * dropped at once in this process, within `ttlMs` in others): on PostgreSQL this saves a
 * round trip per request. See docs/decisions/003-keys.md.
 */
export class KeyResolver {
  private readonly cache = new Map<string, { context: AuthContext; expires: number }>();
  constructor(
    private readonly instances: InstancesService,
    private readonly ttlMs = 2000,
  ) {}

  async resolve(key: string): Promise<AuthContext | undefined> {
    return this.resolveHash(hashSecret(key));
  }

  /** Resolves a key by its hash (what a web session holds instead of the key). */
  async resolveHash(hash: string): Promise<AuthContext | undefined> {
    const cached = this.cache.get(hash);
    if (cached && cached.expires > Date.now()) return cached.context;
    const found = await this.instances.findByKeyHash(hash);
    if (!found || !digestsEqual(found.keyHash, hash)) {
      this.cache.delete(hash);
      return undefined;
    }
    const instance = await this.instances.get(found.instanceId);
    const context: AuthContext = {
      instanceId: found.instanceId,
      which: found.which,
      access: instance.settings.keyAccess[found.which],
      enabled: instance.settings.enabled,
      rateLimit: instance.settings.rateLimit,
    };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { context, expires: Date.now() + this.ttlMs });
    return context;
  }

  /** Forgets every cached key of an instance (after a key, its access level or the instance's operator settings changed). */
  forgetInstance(instanceId: string): void {
    for (const [hash, entry] of this.cache) if (entry.context.instanceId === instanceId) this.cache.delete(hash);
  }
}

export interface RateLimitHooks {
  /** Counts an authenticated request and sets RateLimit-* headers; true when it answered 429. */
  countRequest(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  /** Counts a failed authentication of the client address; true when it answered 429. */
  countAuthFailure(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  /**
   * Answers 429 when the client address has used up its failed authentications, before the
   * credential is checked, so that past the limit a guess can't tell right from wrong. True
   * when it answered.
   */
  refuseBlockedAddress(request: FastifyRequest, reply: FastifyReply): Promise<boolean>;
  close?(): Promise<void>;
}

export const SESSION_COOKIE = 'ticketing_session';

/** The web session a request's cookie names, if it is live (see SessionsService). */
export async function readSession(request: FastifyRequest, sessions: SessionsService): Promise<WebSession | undefined> {
  const id = request.cookies?.[SESSION_COOKIE];
  return id ? sessions.find(id) : undefined;
}

/** The key context of a live session, if its key still exists (it was made with that key). */
export async function resolveSession(session: WebSession | undefined, resolver: KeyResolver): Promise<AuthContext | undefined> {
  if (!session) return undefined;
  const context = await resolver.resolveHash(session.keyHash);
  return context && context.instanceId === session.instanceId && context.which === session.which ? context : undefined;
}

/** Answers 403 instance_disabled when the operator disabled the context's instance; true when it answered. */
export function refuseDisabled(context: AuthContext, reply: FastifyReply): boolean {
  if (context.enabled) return false;
  void sendProblem(reply, 'instance_disabled', 'This instance is disabled by the operator');
  return true;
}

export function instanceAuthHook(resolver: KeyResolver, sessions: SessionsService, limits?: RateLimitHooks) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    const key = presentedKey(request);
    let context = key ? await resolver.resolve(key) : undefined;
    if (!key && request.cookies?.[SESSION_COOKIE]) {
      // A cookie rides along on cross-site requests too; SameSite=Strict stops most of
      // them, and a custom header (which a cross-site form cannot set) stops the rest.
      if (!READS.has(request.method) && request.headers['x-requested-with'] !== 'ticketing-web') {
        return sendProblem(reply, 'forbidden', 'Writes with a session cookie need the header X-Requested-With: ticketing-web');
      }
      context = await resolveSession(await readSession(request, sessions), resolver);
    }
    if (!context) {
      if (limits && (await limits.countAuthFailure(request, reply))) return reply;
      return sendProblem(reply, 'unauthorized', key ? 'The API key is not valid' : 'An API key is required: ?key=, X-API-Key or Authorization: Bearer');
    }
    request.auth = { ...context, channel: key ? 'api' : 'web' };
    if (limits && (await limits.countRequest(request, reply))) return reply;
    if (refuseDisabled(context, reply)) return reply;
    if (!READS.has(request.method) && context.access === 'readOnly') {
      return sendProblem(reply, 'forbidden', `The ${context.which} key is read-only`);
    }
  };
}

export function adminAuthHook(adminTokenHash: string, limits?: RateLimitHooks) {
  return async function authenticateAdmin(request: FastifyRequest, reply: FastifyReply) {
    // Guessing the operator token shares the address's budget of failed authentications.
    if (limits && (await limits.refuseBlockedAddress(request, reply))) return reply;
    const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token || !digestsEqual(hashSecret(token), adminTokenHash)) {
      if (limits && (await limits.countAuthFailure(request, reply))) return reply;
      return sendProblem(reply, 'unauthorized', 'The operator API needs Authorization: Bearer <ADMIN_TOKEN>');
    }
  };
}
