import type { KeyName } from '../domain/instance.js';
import type { Tx } from './schema.js';

export interface StoredSession {
  instanceId: string;
  which: KeyName;
  keyHash: string;
  user: { id: string; name: string; email: string };
  expiresOn: string;
}

export async function insertSession(db: Tx, idHash: string, session: StoredSession, now: string): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id_hash: idHash,
      instance_id: session.instanceId,
      which: session.which,
      key_hash: session.keyHash,
      user_json: JSON.stringify(session.user),
      created_on: now,
      expires_on: session.expiresOn,
    })
    .execute();
}

/** The session with this id hash, unless it has expired. */
export async function findSession(db: Tx, idHash: string, now: string): Promise<StoredSession | undefined> {
  const row = await db
    .selectFrom('sessions')
    .select(['instance_id', 'which', 'key_hash', 'user_json', 'expires_on'])
    .where('id_hash', '=', idHash)
    .where('expires_on', '>', now)
    .executeTakeFirst();
  return row && { instanceId: row.instance_id, which: row.which, keyHash: row.key_hash, user: JSON.parse(row.user_json), expiresOn: row.expires_on };
}

export async function deleteSession(db: Tx, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

/** Ends every session made with one of an instance's keys (the key was regenerated). */
export async function deleteKeySessions(db: Tx, instanceId: string, which: KeyName): Promise<void> {
  await db.deleteFrom('sessions').where('instance_id', '=', instanceId).where('which', '=', which).execute();
}

export async function deleteExpiredSessions(db: Tx, now: string): Promise<void> {
  await db.deleteFrom('sessions').where('expires_on', '<=', now).execute();
}
