import type { LinkPurpose, Person, PersonalToken, Role, TokenAccess } from '../domain/people.js';
import type { PeopleTable, Tx } from './schema.js';

/** A person with what only the store and sign-in see: the password hash and the OIDC subject. */
export interface StoredPerson extends Person {
  passwordHash: string | null;
  oidcSubject: string | null;
}

const PERSON_COLUMNS = ['id', 'name', 'email', 'role', 'disabled', 'password_hash', 'oidc_subject', 'created_on', 'last_sign_in_on', 'instance_id'] as const;

type PersonRow = Pick<PeopleTable, (typeof PERSON_COLUMNS)[number]>;

const toPerson = (row: PersonRow): StoredPerson & { instanceId: string } => ({
  instanceId: row.instance_id,
  id: row.id,
  name: row.name,
  email: row.email,
  role: row.role as Role,
  disabled: row.disabled === 1,
  hasPassword: row.password_hash !== null,
  hasOidc: row.oidc_subject !== null,
  createdOn: row.created_on,
  lastSignInOn: row.last_sign_in_on,
  passwordHash: row.password_hash,
  oidcSubject: row.oidc_subject,
});

export async function insertPerson(
  db: Tx,
  instanceId: string,
  person: { id: string; name: string; email: string; emailKey: string; role: Role; disabled: boolean; oidcSubject?: string | null },
  now: string,
): Promise<void> {
  await db
    .insertInto('people')
    .values({
      instance_id: instanceId,
      id: person.id,
      name: person.name,
      email: person.email,
      email_key: person.emailKey,
      role: person.role,
      disabled: person.disabled ? 1 : 0,
      password_hash: null,
      oidc_subject: person.oidcSubject ?? null,
      created_on: now,
      updated_on: now,
      last_sign_in_on: null,
    })
    .execute();
}

export async function findPerson(db: Tx, instanceId: string, id: string) {
  const row = await db.selectFrom('people').select(PERSON_COLUMNS).where('instance_id', '=', instanceId).where('id', '=', id).executeTakeFirst();
  return row && toPerson(row);
}

export async function findPersonByEmail(db: Tx, instanceId: string, emailKey: string) {
  const row = await db.selectFrom('people').select(PERSON_COLUMNS).where('instance_id', '=', instanceId).where('email_key', '=', emailKey).executeTakeFirst();
  return row && toPerson(row);
}

export async function findPersonBySubject(db: Tx, instanceId: string, subject: string) {
  const row = await db.selectFrom('people').select(PERSON_COLUMNS).where('instance_id', '=', instanceId).where('oidc_subject', '=', subject).executeTakeFirst();
  return row && toPerson(row);
}

/** The people with this e-mail address in any instance (password sign-in that names no instance). */
export async function findPeopleByEmailEverywhere(db: Tx, emailKey: string, max: number) {
  const rows = await db.selectFrom('people').select(PERSON_COLUMNS).where('email_key', '=', emailKey).limit(max).execute();
  return rows.map(toPerson);
}

export async function listPeople(db: Tx, instanceId: string) {
  const rows = await db.selectFrom('people').select(PERSON_COLUMNS).where('instance_id', '=', instanceId).orderBy('name').orderBy('id').execute();
  return rows.map(toPerson);
}

/** People who may be assigned tickets: enabled agents and admins. */
export async function listAssignablePeople(db: Tx, instanceId: string) {
  const rows = await db
    .selectFrom('people')
    .select(['id', 'name', 'email'])
    .where('instance_id', '=', instanceId)
    .where('disabled', '=', 0)
    .where('role', 'in', ['agent', 'admin'])
    .orderBy('name')
    .execute();
  return rows;
}

export async function countEnabledAdmins(db: Tx, instanceId: string): Promise<number> {
  const row = await db
    .selectFrom('people')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('instance_id', '=', instanceId)
    .where('role', '=', 'admin')
    .where('disabled', '=', 0)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updatePerson(
  db: Tx,
  instanceId: string,
  id: string,
  changes: { name?: string; email?: string; emailKey?: string; role?: Role; disabled?: boolean; oidcSubject?: string },
  now: string,
): Promise<void> {
  await db
    .updateTable('people')
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.email !== undefined ? { email: changes.email, email_key: changes.emailKey! } : {}),
      ...(changes.role !== undefined ? { role: changes.role } : {}),
      ...(changes.disabled !== undefined ? { disabled: changes.disabled ? 1 : 0 } : {}),
      ...(changes.oidcSubject !== undefined ? { oidc_subject: changes.oidcSubject } : {}),
      updated_on: now,
    })
    .where('instance_id', '=', instanceId)
    .where('id', '=', id)
    .execute();
}

export async function setPasswordHash(db: Tx, instanceId: string, id: string, hash: string, now: string): Promise<void> {
  await db.updateTable('people').set({ password_hash: hash, updated_on: now }).where('instance_id', '=', instanceId).where('id', '=', id).execute();
}

export async function recordSignIn(db: Tx, instanceId: string, id: string, now: string): Promise<void> {
  await db.updateTable('people').set({ last_sign_in_on: now }).where('instance_id', '=', instanceId).where('id', '=', id).execute();
}

/** Deletes a person with everything that lets them in: links, tokens, sessions. */
export async function deletePerson(db: Tx, instanceId: string, id: string): Promise<void> {
  await db.deleteFrom('sign_in_links').where('instance_id', '=', instanceId).where('person_id', '=', id).execute();
  await db.deleteFrom('person_tokens').where('instance_id', '=', instanceId).where('person_id', '=', id).execute();
  await db.deleteFrom('sessions').where('instance_id', '=', instanceId).where('person_id', '=', id).execute();
  await db.deleteFrom('people').where('instance_id', '=', instanceId).where('id', '=', id).execute();
}

// Sign-in links (invitations, resets)

export async function insertLink(
  db: Tx,
  link: { tokenHash: string; instanceId: string; personId: string; purpose: LinkPurpose; expiresOn: string },
  now: string,
): Promise<void> {
  await db
    .insertInto('sign_in_links')
    .values({
      token_hash: link.tokenHash,
      instance_id: link.instanceId,
      person_id: link.personId,
      purpose: link.purpose,
      created_on: now,
      expires_on: link.expiresOn,
    })
    .execute();
}

/** Deletes the person's earlier links: only the newest one works. */
export async function deletePersonLinks(db: Tx, instanceId: string, personId: string): Promise<void> {
  await db.deleteFrom('sign_in_links').where('instance_id', '=', instanceId).where('person_id', '=', personId).execute();
}

/**
 * Takes a link: deletes it and answers what it was for, unless it had expired (expired ones are
 * deleted too). Deleting first makes it single-use even when two requests race with it.
 */
export async function takeLink(db: Tx, tokenHash: string, now: string): Promise<{ instanceId: string; personId: string; purpose: LinkPurpose } | undefined> {
  const row = await db
    .deleteFrom('sign_in_links')
    .where('token_hash', '=', tokenHash)
    .returning(['instance_id', 'person_id', 'purpose', 'expires_on'])
    .executeTakeFirst();
  if (!row || row.expires_on <= now) return undefined;
  return { instanceId: row.instance_id, personId: row.person_id, purpose: row.purpose as LinkPurpose };
}

/** The e-mail of the person a link is for, and when the link expires (the link is left in place). */
export async function findLinkPerson(db: Tx, tokenHash: string): Promise<{ email: string; expiresOn: string } | undefined> {
  const row = await db
    .selectFrom('sign_in_links as l')
    .innerJoin('people as p', (join) => join.onRef('p.instance_id', '=', 'l.instance_id').onRef('p.id', '=', 'l.person_id'))
    .select(['p.email', 'l.expires_on'])
    .where('l.token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row && { email: row.email, expiresOn: row.expires_on };
}

export async function deleteExpiredLinks(db: Tx, now: string): Promise<void> {
  await db.deleteFrom('sign_in_links').where('expires_on', '<=', now).execute();
}

// Personal access tokens

const toToken = (row: { id: string; person_id: string; name: string; access: string; created_on: string; expires_on: string | null }): PersonalToken => ({
  id: row.id,
  personId: row.person_id,
  name: row.name,
  access: row.access as TokenAccess,
  createdOn: row.created_on,
  expiresOn: row.expires_on,
});

export async function insertToken(db: Tx, instanceId: string, tokenHash: string, token: PersonalToken): Promise<void> {
  await db
    .insertInto('person_tokens')
    .values({
      token_hash: tokenHash,
      instance_id: instanceId,
      id: token.id,
      person_id: token.personId,
      name: token.name,
      access: token.access,
      created_on: token.createdOn,
      expires_on: token.expiresOn,
    })
    .execute();
}

export async function listTokens(db: Tx, instanceId: string, personId: string): Promise<PersonalToken[]> {
  const rows = await db
    .selectFrom('person_tokens')
    .select(['id', 'person_id', 'name', 'access', 'created_on', 'expires_on'])
    .where('instance_id', '=', instanceId)
    .where('person_id', '=', personId)
    .orderBy('created_on')
    .orderBy('id')
    .execute();
  return rows.map(toToken);
}

/** Deletes one token of a person; answers whether there was one. */
export async function deleteToken(db: Tx, instanceId: string, personId: string, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('person_tokens')
    .where('instance_id', '=', instanceId)
    .where('person_id', '=', personId)
    .where('id', '=', id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function countTokens(db: Tx, instanceId: string, personId: string): Promise<number> {
  const row = await db
    .selectFrom('person_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('instance_id', '=', instanceId)
    .where('person_id', '=', personId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A live token with its person, in one read: a disabled person or a role change shows at once. */
export async function findTokenWithPerson(db: Tx, tokenHash: string, now: string) {
  const row = await db
    .selectFrom('person_tokens as t')
    .innerJoin('people as p', (join) => join.onRef('p.instance_id', '=', 't.instance_id').onRef('p.id', '=', 't.person_id'))
    .select(['t.instance_id', 't.id as token_id', 't.access', 't.expires_on', 'p.id', 'p.name', 'p.email', 'p.role', 'p.disabled'])
    .where('t.token_hash', '=', tokenHash)
    .executeTakeFirst();
  if (!row || (row.expires_on !== null && row.expires_on <= now)) return undefined;
  return {
    instanceId: row.instance_id,
    tokenId: row.token_id,
    access: row.access as TokenAccess,
    person: { id: row.id, name: row.name, email: row.email, role: row.role as Role, disabled: row.disabled === 1 },
  };
}
