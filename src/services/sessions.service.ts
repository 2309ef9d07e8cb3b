import { generateSecret, hashSecret } from '../domain/keys.js';
import type { Store } from '../store/db.js';
import * as repo from '../store/sessions.repo.js';

/** How long a web session lasts from sign-in (not extended by use). */
export const SESSION_LIFETIME_MS = 14 * 24 * 60 * 60 * 1000;

/** A session id as the cookie carries it: 32 random bytes in base64url. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;

/** A live web session: what the store keeps of it. */
export type WebSession = repo.StoredSession;

/**
 * Web app sessions, kept in the store (docs/decisions/013-server-side-sessions.md): the cookie
 * holds a random id, the store only its hash, so neither a store read nor the server's secrets
 * are enough to make a cookie, and ending a session is deleting its row.
 */
export class SessionsService {
  private readonly now: () => string;
  constructor(private readonly deps: { store: Store; now?: () => string }) {
    this.now = deps.now ?? (() => new Date().toISOString());
  }

  /** Starts a session for a key (already verified) and returns the id for the cookie, shown only here. */
  async create(session: Omit<WebSession, 'expiresOn'>): Promise<{ id: string; expiresOn: string }> {
    const id = generateSecret('');
    const now = this.now();
    const expiresOn = new Date(Date.parse(now) + SESSION_LIFETIME_MS).toISOString();
    await this.deps.store.dialect.transaction(this.deps.store.db, async (tx) => {
      // Sign-ins are rare next to requests: sweeping here keeps the table to live sessions
      // without a job of its own.
      await repo.deleteExpiredSessions(tx, now);
      await repo.insertSession(tx, hashSecret(id), { ...session, expiresOn }, now);
    });
    return { id, expiresOn };
  }

  /** The live session with this id; undefined when unknown, expired or ended. */
  async find(id: string): Promise<WebSession | undefined> {
    if (!SESSION_ID.test(id)) return undefined;
    return repo.findSession(this.deps.store.db, hashSecret(id), this.now());
  }

  async end(id: string): Promise<void> {
    if (SESSION_ID.test(id)) await repo.deleteSession(this.deps.store.db, hashSecret(id));
  }
}
