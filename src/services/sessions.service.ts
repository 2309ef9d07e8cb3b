import { v4 as uuidv4 } from 'uuid';
import { notFound } from '../domain/errors.js';
import { generateSecret, hashSecret } from '../domain/keys.js';
import type { Store } from '../store/db.js';
import * as repo from '../store/sessions.repo.js';

export type { SignInMethod } from '../store/sessions.repo.js';

/** How long a web session may live: idle (no request) and in all, from sign-in. */
export interface SessionTimeouts {
  idleMs: number;
  absoluteMs: number;
}

export const DEFAULT_SESSION_TIMEOUTS: SessionTimeouts = { idleMs: 8 * 60 * 60 * 1000, absoluteMs: 14 * 24 * 60 * 60 * 1000 };

/** A session's last use is written at most this often, so a web request is not a write each time. */
const TOUCH_EVERY_MS = 60_000;

/** A session id as the cookie carries it: 32 random bytes in base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** A live web session with its person as they are now (role, disabled). */
export type WebSession = repo.SessionWithPerson;

/**
 * Web app sessions of people, kept in the store (docs/decisions/013 and 019): the cookie holds a
 * random id, the store only its hash, so neither a store read nor the server's secrets are enough
 * to make a cookie, and ending a session is deleting its row. Each request reads the session with
 * its person, uncached: sign-out, disabling a person or changing their role shows on the next
 * request, in every process.
 */
export class SessionsService {
  readonly now: () => string;
  readonly timeouts: SessionTimeouts;
  constructor(private readonly deps: { store: Store; now?: () => string; timeouts?: SessionTimeouts }) {
    this.now = deps.now ?? (() => new Date().toISOString());
    this.timeouts = deps.timeouts ?? DEFAULT_SESSION_TIMEOUTS;
  }

  private idleSince(now: string): string {
    return new Date(Date.parse(now) - this.timeouts.idleMs).toISOString();
  }

  /** Starts a session for a person (already verified) and returns the id for the cookie, shown only here. */
  async create(session: Omit<repo.NewSession, 'id' | 'expiresOn'>): Promise<{ id: string; publicId: string; expiresOn: string }> {
    const id = generateSecret('');
    const publicId = uuidv4();
    const now = this.now();
    const expiresOn = new Date(Date.parse(now) + this.timeouts.absoluteMs).toISOString();
    await this.deps.store.dialect.transaction(this.deps.store.db, async (tx) => {
      // Sign-ins are rare next to requests: sweeping here keeps the tables to live sessions
      // and OIDC sign-ins under way, without a job of their own.
      await repo.deleteExpiredSessions(tx, now, this.idleSince(now));
      await repo.deleteExpiredOidcFlows(tx, now);
      await repo.insertSession(tx, hashSecret(id), { ...session, id: publicId, expiresOn }, now);
    });
    return { id, publicId, expiresOn };
  }

  /** The live session with this id and its person; undefined when unknown, idle too long, expired or ended. */
  async find(id: string): Promise<WebSession | undefined> {
    if (!SESSION_ID.test(id)) return undefined;
    const now = this.now();
    const idHash = hashSecret(id);
    const session = await repo.findSession(this.deps.store.db, idHash, now, this.idleSince(now));
    if (session && Date.parse(now) - Date.parse(session.lastSeenOn) >= TOUCH_EVERY_MS) {
      await repo.touchSession(this.deps.store.db, idHash, now);
    }
    return session;
  }

  async end(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await repo.deleteSession(this.deps.store.db, hashSecret(id));
  }

  /** The instance's live sessions, for its admins. */
  async list(instanceId: string) {
    const now = this.now();
    return repo.listSessions(this.deps.store.db, instanceId, now, this.idleSince(now));
  }

  /** Ends one session of the instance by its public id. */
  async revoke(instanceId: string, publicId: string): Promise<void> {
    if (!(await repo.deleteSessionById(this.deps.store.db, instanceId, publicId))) throw notFound('Session');
  }

  /** Ends every session of a person. */
  async endAll(instanceId: string, personId: string): Promise<void> {
    await repo.deletePersonSessions(this.deps.store.db, instanceId, personId);
  }
}
