import type { Role } from '../domain/people.js';
import type { Tx } from './schema.js';

export type SignInMethod = 'password' | 'oidc' | 'link';

export interface NewSession {
  instanceId: string;
  /** Public id, for the admins' list. */
  id: string;
  personId: string;
  method: SignInMethod;
  address: string | null;
  userAgent: string | null;
  expiresOn: string;
}

export async function insertSession(db: Tx, idHash: string, session: NewSession, now: string): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id_hash: idHash,
      instance_id: session.instanceId,
      id: session.id,
      person_id: session.personId,
      method: session.method,
      address: session.address,
      user_agent: session.userAgent,
      created_on: now,
      last_seen_on: now,
      expires_on: session.expiresOn,
    })
    .execute();
}

/** A live session with its person, in one read: a disabled person or a role change shows at once. */
export interface SessionWithPerson {
  instanceId: string;
  id: string;
  method: SignInMethod;
  createdOn: string;
  lastSeenOn: string;
  expiresOn: string;
  person: { id: string; name: string; email: string; role: Role; disabled: boolean };
}

/** The session with this id hash, unless it has passed its absolute end or been idle since `idleSince`. */
export async function findSession(db: Tx, idHash: string, now: string, idleSince: string): Promise<SessionWithPerson | undefined> {
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('people as p', (join) => join.onRef('p.instance_id', '=', 's.instance_id').onRef('p.id', '=', 's.person_id'))
    .select([
      's.instance_id',
      's.id as session_id',
      's.method',
      's.created_on',
      's.last_seen_on',
      's.expires_on',
      'p.id',
      'p.name',
      'p.email',
      'p.role',
      'p.disabled',
    ])
    .where('s.id_hash', '=', idHash)
    .where('s.expires_on', '>', now)
    .where('s.last_seen_on', '>', idleSince)
    .executeTakeFirst();
  return (
    row && {
      instanceId: row.instance_id,
      id: row.session_id,
      method: row.method as SignInMethod,
      createdOn: row.created_on,
      lastSeenOn: row.last_seen_on,
      expiresOn: row.expires_on,
      person: { id: row.id, name: row.name, email: row.email, role: row.role as Role, disabled: row.disabled === 1 },
    }
  );
}

export async function touchSession(db: Tx, idHash: string, now: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_on: now }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Tx, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

/** Ends one session by its public id; answers whether there was one. */
export async function deleteSessionById(db: Tx, instanceId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('instance_id', '=', instanceId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function deletePersonSessions(db: Tx, instanceId: string, personId: string): Promise<void> {
  await db.deleteFrom('sessions').where('instance_id', '=', instanceId).where('person_id', '=', personId).execute();
}

/** Sweeps sessions past their absolute end or idle since `idleSince`. */
export async function deleteExpiredSessions(db: Tx, now: string, idleSince: string): Promise<void> {
  await db.deleteFrom('sessions').where('expires_on', '<=', now).execute();
  await db.deleteFrom('sessions').where('last_seen_on', '<=', idleSince).execute();
}

/** The instance's live sessions with their people, most recently used first. */
export async function listSessions(db: Tx, instanceId: string, now: string, idleSince: string) {
  const rows = await db
    .selectFrom('sessions as s')
    .innerJoin('people as p', (join) => join.onRef('p.instance_id', '=', 's.instance_id').onRef('p.id', '=', 's.person_id'))
    .select(['s.id', 's.method', 's.address', 's.user_agent', 's.created_on', 's.last_seen_on', 's.expires_on', 'p.id as person_id', 'p.name', 'p.email'])
    .where('s.instance_id', '=', instanceId)
    .where('s.expires_on', '>', now)
    .where('s.last_seen_on', '>', idleSince)
    .orderBy('s.last_seen_on', 'desc')
    .orderBy('s.id')
    .limit(1000)
    .execute();
  return rows.map((row) => ({
    id: row.id,
    method: row.method as SignInMethod,
    address: row.address,
    userAgent: row.user_agent,
    createdOn: row.created_on,
    lastSeenOn: row.last_seen_on,
    expiresOn: row.expires_on,
    user: { id: row.person_id, name: row.name, email: row.email },
  }));
}

// OpenID Connect sign-ins under way

export interface OidcFlow {
  instanceId: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
  expiresOn: string;
}

export async function insertOidcFlow(db: Tx, idHash: string, flow: OidcFlow, now: string): Promise<void> {
  await db
    .insertInto('oidc_flows')
    .values({
      id_hash: idHash,
      instance_id: flow.instanceId,
      state: flow.state,
      nonce: flow.nonce,
      code_verifier: flow.codeVerifier,
      return_to: flow.returnTo,
      created_on: now,
      expires_on: flow.expiresOn,
    })
    .execute();
}

/** Takes a flow: deletes it (so its answer is used once) and answers it unless it has expired. */
export async function takeOidcFlow(db: Tx, idHash: string, now: string): Promise<OidcFlow | undefined> {
  const row = await db
    .deleteFrom('oidc_flows')
    .where('id_hash', '=', idHash)
    .returning(['instance_id', 'state', 'nonce', 'code_verifier', 'return_to', 'expires_on'])
    .executeTakeFirst();
  if (!row || row.expires_on <= now) return undefined;
  return {
    instanceId: row.instance_id,
    state: row.state,
    nonce: row.nonce,
    codeVerifier: row.code_verifier,
    returnTo: row.return_to,
    expiresOn: row.expires_on,
  };
}

export async function deleteExpiredOidcFlows(db: Tx, now: string): Promise<void> {
  await db.deleteFrom('oidc_flows').where('expires_on', '<=', now).execute();
}
