import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import type { KeyAccessLevel, KeyName } from '../domain/instance.js';
import { digestsEqual, hashSecret } from '../domain/keys.js';
import type { StreamReader } from '../domain/live.js';
import { asUser, isPerson, PERSONAL_TOKEN_PREFIX, type Role } from '../domain/people.js';
import { mayCall } from '../domain/permissions.js';
import type { IUser } from '../domain/ticket.js';
import type { InstancesService } from '../services/instances.service.js';
import type { PeopleService } from '../services/people.service.js';
import type { SessionsService, WebSession } from '../services/sessions.service.js';
import { sendProblem } from './errors.js';

/** How a request proved who it is: an instance key, a web session (cookie) or a personal access token. */
export type AuthVia = 'key' | 'session' | 'token';

/** The person behind a session or personal token, as they are at this request. */
export interface Actor {
  id: string;
  name: string;
  email: string;
  role: Role;
}

export interface AuthContext {
  instanceId: string;
  via: AuthVia;
  /** The instance key of the request (via `key` only). */
  which: KeyName | null;
  /** readOnly: reads only (a read-only key or token; a viewer's role is checked apart). */
  access: KeyAccessLevel;
  /** The person acting (via `session` or `token`); null for an instance key, which names its `user` in bodies. */
  person: Actor | null;
  /** False when the operator disabled the instance: its keys and sessions get 403 instance_disabled. */
  enabled: boolean;
  /** The instance's own rate limit, when it overrides the server default. */
  rateLimit: { max: number; windowSeconds: number } | null;
  /** False when an admin turned the instance keys off (only people get in). */
  instanceKeysEnabled: boolean;
}

/** The context of an authenticated request: its key's, and how it came. */
export interface RequestAuth extends AuthContext {
  /** `web`: the web app's own request, made with its session cookie; `api`: an instance key or a personal access token. */
  channel: 'api' | 'web';
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: RequestAuth;
  }
}

/** The credential of a request: `key` query parameter (the reference's way), X-API-Key or Bearer. */
export function presentedKey(request: FastifyRequest): string | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = typeof query?.key === 'string' ? query.key : undefined;
  const header = request.headers['x-api-key'];
  const fromHeader = typeof header === 'string' ? header : undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
  return (fromQuery ?? fromHeader ?? bearer)?.trim() || undefined;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

type InstanceFlags = Pick<AuthContext, 'enabled' | 'rateLimit' | 'instanceKeysEnabled'>;

/**
 * Resolves keys to instances. Lookups are cached for a short time (a regenerated key is
 * dropped at once in this process, within `ttlMs` in others): on PostgreSQL this saves a
 * round trip per request. See docs/decisions/003-keys.md. The instance's own flags (enabled,
 * rate limit, keys on or off) are cached the same way for sessions and personal tokens, whose
 * person is read afresh on every request.
 */
export class KeyResolver {
  private readonly cache = new Map<string, { context: AuthContext; expires: number }>();
  private readonly flags = new Map<string, { flags: InstanceFlags; expires: number }>();
  constructor(
    private readonly instances: InstancesService,
    private readonly ttlMs = 2000,
  ) {}

  async resolve(key: string): Promise<AuthContext | undefined> {
    return this.resolveHash(hashSecret(key));
  }

  /** Resolves a key by its hash. */
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
      via: 'key',
      which: found.which,
      access: instance.settings.keyAccess[found.which],
      person: null,
      enabled: instance.settings.enabled,
      rateLimit: instance.settings.rateLimit,
      instanceKeysEnabled: instance.settings.instanceKeysEnabled,
    };
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { context, expires: Date.now() + this.ttlMs });
    return context;
  }

  /** The instance's flags, cached like keys; undefined when the instance is gone. */
  async instanceFlags(instanceId: string): Promise<InstanceFlags | undefined> {
    const cached = this.flags.get(instanceId);
    if (cached && cached.expires > Date.now()) return cached.flags;
    const instance = await this.instances.get(instanceId).catch(() => undefined);
    if (!instance) return undefined;
    const flags: InstanceFlags = {
      enabled: instance.settings.enabled,
      rateLimit: instance.settings.rateLimit,
      instanceKeysEnabled: instance.settings.instanceKeysEnabled,
    };
    if (this.flags.size > 10_000) this.flags.clear();
    this.flags.set(instanceId, { flags, expires: Date.now() + this.ttlMs });
    return flags;
  }

  /** Forgets every cached key of an instance (after a key, its access level or the instance's operator settings changed). */
  forgetInstance(instanceId: string): void {
    for (const [hash, entry] of this.cache) if (entry.context.instanceId === instanceId) this.cache.delete(hash);
    this.flags.delete(instanceId);
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
  /** Counts a failed password sign-in for an account (an e-mail address, known or not); true when it answered 429. */
  countAccountFailure(account: string, reply: FastifyReply): Promise<boolean>;
  /** Answers 429 while an account has used up its failed sign-ins, before the password is checked; true when it answered. */
  refuseBlockedAccount(account: string, reply: FastifyReply): Promise<boolean>;
  close?(): Promise<void>;
}

export const SESSION_COOKIE = 'ticketing_session';

/** The web session a request's cookie names, if it is live (see SessionsService). */
export async function readSession(request: FastifyRequest, sessions: SessionsService): Promise<WebSession | undefined> {
  const id = request.cookies?.[SESSION_COOKIE];
  return id ? sessions.find(id) : undefined;
}

/** Answers 403 instance_disabled when the operator disabled the context's instance; true when it answered. */
export function refuseDisabled(context: Pick<AuthContext, 'enabled'>, reply: FastifyReply): boolean {
  if (context.enabled) return false;
  void sendProblem(reply, 'instance_disabled', 'This instance is disabled by the operator');
  return true;
}

/** The context of a live session whose person is enabled. */
export async function sessionContext(session: WebSession | undefined, keys: KeyResolver): Promise<AuthContext | undefined> {
  if (!session || session.person.disabled) return undefined;
  const flags = await keys.instanceFlags(session.instanceId);
  if (!flags) return undefined;
  const { id, name, email, role } = session.person;
  return { instanceId: session.instanceId, via: 'session', which: null, access: 'readWrite', person: { id, name, email, role }, ...flags };
}

async function tokenContext(token: string, people: PeopleService, keys: KeyResolver): Promise<AuthContext | undefined> {
  const found = await people.resolveToken(token);
  if (!found || found.person.disabled) return undefined;
  const flags = await keys.instanceFlags(found.instanceId);
  if (!flags) return undefined;
  const { id, name, email, role } = found.person;
  return { instanceId: found.instanceId, via: 'token', which: null, access: found.access, person: { id, name, email, role }, ...flags };
}

/** The route's path below /api/v1 (`/tickets/:ticketId`), as permissions.ts names routes. */
const routeOf = (request: FastifyRequest): string => (request.routeOptions.url ?? '').replace(/^\/api\/v1/, '');

/**
 * Authenticates every instance route: an instance key, a personal access token (`tkp_…`, in
 * the same places as a key) or the web session cookie. Then the request's limits, the
 * instance's state, the credential's access and, for people, their role on this route
 * (docs/api.md §1, §14).
 */
export function instanceAuthHook(deps: { keys: KeyResolver; sessions: SessionsService; people: PeopleService; limits?: RateLimitHooks | undefined }) {
  const { keys, sessions, people, limits } = deps;
  return async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    const secret = presentedKey(request);
    let context: AuthContext | undefined;
    if (secret) {
      context = secret.startsWith(PERSONAL_TOKEN_PREFIX) ? await tokenContext(secret, people, keys) : await keys.resolve(secret);
    } else if (request.cookies?.[SESSION_COOKIE]) {
      // A cookie rides along on cross-site requests too; SameSite=Strict stops most of
      // them, and a custom header (which a cross-site form cannot set) stops the rest.
      if (!READS.has(request.method) && request.headers['x-requested-with'] !== 'ticketing-web') {
        return sendProblem(reply, 'forbidden', 'Writes with a session cookie need the header X-Requested-With: ticketing-web');
      }
      context = await sessionContext(await readSession(request, sessions), keys);
    }
    if (!context) {
      if (limits && (await limits.countAuthFailure(request, reply))) return reply;
      if (!secret) return sendProblem(reply, 'unauthorized', 'An API key or a personal access token is required: ?key=, X-API-Key or Authorization: Bearer');
      return sendProblem(
        reply,
        'unauthorized',
        secret.startsWith(PERSONAL_TOKEN_PREFIX) ? 'The personal access token is not valid' : 'The API key is not valid',
      );
    }
    request.auth = { ...context, channel: context.via === 'session' ? 'web' : 'api' };
    if (limits && (await limits.countRequest(request, reply))) return reply;
    if (refuseDisabled(context, reply)) return reply;
    if (context.via === 'key' && !context.instanceKeysEnabled) {
      return sendProblem(reply, 'forbidden', "This instance's keys are turned off: sign in, or use a personal access token");
    }
    if (!READS.has(request.method) && context.access === 'readOnly') {
      return sendProblem(reply, 'forbidden', context.via === 'key' ? `The ${context.which} key is read-only` : 'The personal access token is read-only');
    }
    if (context.person && !mayCall(context.person.role, request.method, routeOf(request))) {
      return sendProblem(reply, 'forbidden', `A person with the role ${context.person.role} may not do this`);
    }
  };
}

/**
 * Requests of people act as them: before a body is validated, its `user` (on the routes whose
 * body has one) becomes the person. A `user` that names someone else is a 400: a client that
 * believes it acts for another person should hear that it does not.
 */
export async function actAsPerson(request: FastifyRequest): Promise<void> {
  const person = request.auth?.person;
  const body = request.body;
  if (!person || body === null || typeof body !== 'object' || Array.isArray(body)) return;
  type ObjectSchema = { properties?: Record<string, unknown> };
  const schema = request.routeOptions.schema?.body as (ObjectSchema & { content?: Record<string, { schema?: ObjectSchema }> }) | undefined;
  // A route taking several media types says its JSON body's schema under content (attachments).
  const properties = schema?.properties ?? schema?.content?.['application/json']?.schema?.properties;
  if (!properties?.user) return;
  const given = (body as { user?: unknown }).user;
  if (given !== undefined && given !== null && !isPerson(given as Partial<IUser>, person)) {
    throw new DomainError('validation_failed', `user names someone else: this request acts as ${person.name} <${person.email}>, who signed in`, [
      { path: '/body/user', message: 'must be the signed-in person (or be left out)' },
    ]);
  }
  (body as { user?: IUser }).user = asUser(person);
}

/**
 * The user a write acts as, for routes that read `user` themselves (a multipart body): the
 * signed-in person (another user given is a 400), else the user given, which is then required.
 */
export function actingUser(request: FastifyRequest, given: IUser | undefined, path = '/body/user'): IUser {
  const person = request.auth.person;
  if (person) {
    if (given && !isPerson(given, person)) {
      throw new DomainError('validation_failed', 'user names someone else than the signed-in person', [
        { path, message: 'must be the signed-in person (or be left out)' },
      ]);
    }
    return asUser(person);
  }
  if (!given) throw new DomainError('validation_failed', `${path} is required`, [{ path, message: 'is required' }]);
  return given;
}

/**
 * Whether the request may do what only the primary key (or an admin) may: manage keys and
 * keyAccess, turn the instance keys off.
 */
export const holdsPrimaryAuthority = (auth: AuthContext): boolean => (auth.via === 'key' ? auth.which === 'primary' : auth.person?.role === 'admin');

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

/**
 * What the caller may see of the event feed and the live stream: private notes' text as viewers
 * may not (null for them, as for a webhook without includePrivate), webhook events as the
 * webhook routes allow (admins, read-write keys). docs/api.md §13.
 */
export function eventReaderOf(auth: RequestAuth): StreamReader {
  if (auth.person) return { seesPrivateNotes: auth.person.role !== 'viewer', seesWebhooks: auth.person.role === 'admin' };
  return { seesPrivateNotes: true, seesWebhooks: auth.access === 'readWrite' };
}
