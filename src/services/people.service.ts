import { v4 as uuidv4 } from 'uuid';
import { DomainError, notFound } from '../domain/errors.js';
import { generateSecret, hashSecret } from '../domain/keys.js';
import {
  checkPassword,
  emailKey,
  LINK_LIFETIME_MS,
  LINK_PREFIX,
  PERSONAL_TOKEN_PREFIX,
  type LinkPurpose,
  type Person,
  type PersonalToken,
  type Role,
  type TokenAccess,
} from '../domain/people.js';
import type { IUser } from '../domain/ticket.js';
import type { Store } from '../store/db.js';
import { isUniqueViolation } from '../store/dialect.js';
import { findInstance } from '../store/instances.repo.js';
import * as repo from '../store/people.repo.js';
import { deletePersonSessions } from '../store/sessions.repo.js';
import type { Tx } from '../store/schema.js';
import type { CreatedInstance, InstancesService } from './instances.service.js';
import { hashPassword, verifyPassword } from './passwords.js';

export interface PersonInput {
  id?: string;
  name: string;
  email: string;
  role: Role;
  disabled?: boolean;
}

export interface PersonChanges {
  name?: string;
  email?: string;
  role?: Role;
  disabled?: boolean;
}

/** A sign-in link made for a person: the token is shown only here (the store keeps its hash). */
export interface IssuedLink {
  purpose: LinkPurpose;
  token: string;
  expiresOn: string;
}

/** Personal tokens a person may hold at once (each is one row read per request it makes). */
export const TOKENS_PER_PERSON = 50;

/** People a password sign-in without an instance looks at, at most (the same address in many instances). */
const SIGN_IN_CANDIDATES = 10;

/** Why a password sign-in failed, for the route's answer; each answers the same to the caller where it must. */
export type SignInRefusal = 'wrong' | 'disabled' | 'ambiguous';

/**
 * People of an instance, their sign-in links, passwords and personal access tokens
 * (docs/decisions/019-people-and-sign-in.md). Every write is one transaction.
 */
export class PeopleService {
  readonly now: () => string;
  constructor(private readonly deps: { store: Store; now?: () => string }) {
    this.now = deps.now ?? (() => new Date().toISOString());
  }

  private tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.deps.store.dialect.transaction(this.deps.store.db, fn);
  }

  private static present(person: repo.StoredPerson & { instanceId?: string }): Person {
    const { passwordHash: _hash, oidcSubject: _subject, instanceId: _instance, ...shown } = person;
    return shown;
  }

  async list(instanceId: string): Promise<Person[]> {
    return (await repo.listPeople(this.deps.store.db, instanceId)).map(PeopleService.present);
  }

  async get(instanceId: string, id: string): Promise<Person> {
    const person = await repo.findPerson(this.deps.store.db, instanceId, id);
    if (!person) throw notFound('Person');
    return PeopleService.present(person);
  }

  /** Enabled agents and admins, as users: who tickets may be assigned to ("Assign to me"). */
  async assignable(instanceId: string, tx: Tx = this.deps.store.db): Promise<IUser[]> {
    return repo.listAssignablePeople(tx, instanceId);
  }

  /** Adds a person; with `invite`, also an invitation link to set their password. */
  async create(instanceId: string, input: PersonInput, options: { invite: boolean }): Promise<{ person: Person; invitation?: IssuedLink }> {
    return this.tx(async (tx) => {
      if (!(await findInstance(tx, instanceId))) throw notFound('Instance');
      return this.insert(tx, instanceId, input, options);
    });
  }

  /** An instance and, when named, its first admin with an invitation link, in one transaction. */
  async createInstance(
    instances: InstancesService,
    input: Parameters<InstancesService['createWithSettings']>[0],
    admin: { name?: string; email: string } | undefined,
  ): Promise<CreatedInstance & { admin?: { person: Person; invitation: IssuedLink } }> {
    return this.tx(async (tx) => {
      const created = await instances.createWithSettings(input, tx);
      if (!admin) return created;
      const name = admin.name?.trim() || admin.email.trim().split('@')[0]!;
      const { person, invitation } = await this.insert(tx, created.instance.id, { name, email: admin.email, role: 'admin' }, { invite: true });
      return { ...created, admin: { person, invitation: invitation! } };
    });
  }

  private async insert(tx: Tx, instanceId: string, input: PersonInput, options: { invite: boolean }) {
    const now = this.now();
    const id = input.id ?? uuidv4();
    const email = input.email.trim();
    try {
      await repo.insertPerson(
        tx,
        instanceId,
        { id, name: input.name.trim(), email, emailKey: emailKey(email), role: input.role, disabled: input.disabled ?? false },
        now,
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('conflict', `a person with this id or e-mail exists already in the instance`);
      throw error;
    }
    const invitation = options.invite ? await this.issue(tx, instanceId, id, 'invitation', now) : undefined;
    const person = await repo.findPerson(tx, instanceId, id);
    return { person: PeopleService.present(person!), ...(invitation ? { invitation } : {}) };
  }

  /**
   * Changes a person. Disabling ends their sessions at once (their tokens stop with them, as a
   * token's person is read on every request). While the instance's keys are turned off, its
   * last enabled admin cannot be disabled or demoted: nobody could manage it any more.
   */
  async update(instanceId: string, id: string, changes: PersonChanges): Promise<Person> {
    return this.tx(async (tx) => {
      const current = await repo.findPerson(tx, instanceId, id);
      if (!current) throw notFound('Person');
      const losesAdmin =
        current.role === 'admin' && !current.disabled && ((changes.role !== undefined && changes.role !== 'admin') || changes.disabled === true);
      if (losesAdmin) await this.keepAnAdmin(tx, instanceId);
      const email = changes.email?.trim();
      try {
        await repo.updatePerson(
          tx,
          instanceId,
          id,
          {
            ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
            ...(email !== undefined ? { email, emailKey: emailKey(email) } : {}),
            ...(changes.role !== undefined ? { role: changes.role } : {}),
            ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
          },
          this.now(),
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw new DomainError('conflict', 'another person of the instance has this e-mail address');
        throw error;
      }
      if (changes.disabled === true) await deletePersonSessions(tx, instanceId, id);
      return PeopleService.present((await repo.findPerson(tx, instanceId, id))!);
    });
  }

  async remove(instanceId: string, id: string): Promise<void> {
    await this.tx(async (tx) => {
      const current = await repo.findPerson(tx, instanceId, id);
      if (!current) throw notFound('Person');
      if (current.role === 'admin' && !current.disabled) await this.keepAnAdmin(tx, instanceId);
      await repo.deletePerson(tx, instanceId, id);
    });
  }

  private async keepAnAdmin(tx: Tx, instanceId: string): Promise<void> {
    const instance = await findInstance(tx, instanceId);
    if (instance?.settings.instanceKeysEnabled !== false) return;
    if ((await repo.countEnabledAdmins(tx, instanceId)) <= 1) {
      throw new DomainError(
        'conflict',
        "this is the instance's last enabled admin and its keys are turned off: nobody could manage the instance. Make another admin first, or turn the keys back on",
      );
    }
  }

  /**
   * The operator's way in (CLI): a link for the person with this address, added with `role` if
   * the instance has nobody with it; an invitation while they have no password, else a reset.
   */
  async linkForEmail(instanceId: string, input: { email: string; name?: string; role: Role }): Promise<{ person: Person; link: IssuedLink; created: boolean }> {
    return this.tx(async (tx) => {
      if (!(await findInstance(tx, instanceId))) throw notFound('Instance');
      const existing = await repo.findPersonByEmail(tx, instanceId, emailKey(input.email));
      if (!existing) {
        const name = input.name?.trim() || input.email.trim().split('@')[0]!;
        const { person, invitation } = await this.insert(tx, instanceId, { name, email: input.email, role: input.role }, { invite: true });
        return { person, link: invitation!, created: true };
      }
      if (existing.disabled) throw new DomainError('conflict', `${existing.email} is disabled: enable them first`);
      const link = await this.issue(tx, instanceId, existing.id, existing.passwordHash ? 'reset' : 'invitation', this.now());
      return { person: PeopleService.present(existing), link, created: false };
    });
  }

  /** A new invitation or password-reset link for a person; earlier links of theirs stop working. */
  async issueLink(instanceId: string, id: string, purpose: LinkPurpose): Promise<IssuedLink> {
    return this.tx(async (tx) => {
      const person = await repo.findPerson(tx, instanceId, id);
      if (!person) throw notFound('Person');
      if (person.disabled) throw new DomainError('conflict', 'the person is disabled: enable them first');
      return this.issue(tx, instanceId, id, purpose, this.now());
    });
  }

  private async issue(tx: Tx, instanceId: string, personId: string, purpose: LinkPurpose, now: string): Promise<IssuedLink> {
    const token = generateSecret(LINK_PREFIX);
    const expiresOn = new Date(Date.parse(now) + LINK_LIFETIME_MS[purpose]).toISOString();
    // Links are rare: sweeping here keeps the table to live links without a job.
    await repo.deleteExpiredLinks(tx, now);
    await repo.deletePersonLinks(tx, instanceId, personId);
    await repo.insertLink(tx, { tokenHash: hashSecret(token), instanceId, personId, purpose, expiresOn }, now);
    return { purpose, token, expiresOn };
  }

  /**
   * Sets a password with an invitation or reset link, which is used up (even when the password
   * is refused: a new link is one click for an admin, and a link never works twice). Answers the
   * person, who is then signed in.
   */
  async setPasswordWithLink(token: string, password: string): Promise<{ instanceId: string; person: Person }> {
    const tokenHash = /^tki_[A-Za-z0-9_-]{43}$/.test(token.trim()) ? hashSecret(token.trim()) : undefined;
    // Hashing first keeps the slow part out of the transaction (SQLite has one writer).
    const link = tokenHash ? await this.peekLink(tokenHash) : undefined;
    if (!link) throw new DomainError('unauthorized', 'This link is not valid: it was used already, it expired, or a newer one was made');
    checkPassword(password, link.email);
    const passwordHash = await hashPassword(password);
    return this.tx(async (tx) => {
      const now = this.now();
      const taken = await repo.takeLink(tx, tokenHash!, now);
      if (!taken) throw new DomainError('unauthorized', 'This link is not valid: it was used already, it expired, or a newer one was made');
      const person = await repo.findPerson(tx, taken.instanceId, taken.personId);
      if (!person || person.disabled) throw new DomainError('forbidden', 'This account is disabled');
      await repo.setPasswordHash(tx, taken.instanceId, taken.personId, passwordHash, now);
      await repo.recordSignIn(tx, taken.instanceId, taken.personId, now);
      return { instanceId: taken.instanceId, person: PeopleService.present({ ...person, hasPassword: true, lastSignInOn: now }) };
    });
  }

  private async peekLink(tokenHash: string) {
    const link = await repo.findLinkPerson(this.deps.store.db, tokenHash);
    return link && link.expiresOn > this.now() ? link : undefined;
  }

  /**
   * Checks an e-mail address and password. Exactly one password hash is verified when the address
   * is unknown or has no password (a dummy one), so both answer in the same time as a wrong
   * password. Without `instanceId`, the address is looked up in every instance.
   */
  async checkPassword(
    email: string,
    password: string,
    instanceId: string | undefined,
  ): Promise<{ ok: true; instanceId: string; person: Person } | { ok: false; refusal: SignInRefusal }> {
    const key = emailKey(email);
    const db = this.deps.store.db;
    const found = instanceId
      ? [await repo.findPersonByEmail(db, instanceId, key)].filter((p) => p !== undefined)
      : await repo.findPeopleByEmailEverywhere(db, key, SIGN_IN_CANDIDATES);
    const candidates = found.filter((p) => p.passwordHash !== null);
    if (candidates.length === 0) {
      await verifyPassword(undefined, password);
      return { ok: false, refusal: 'wrong' };
    }
    const verified = await Promise.all(candidates.map((p) => verifyPassword(p.passwordHash, password)));
    const matches = candidates.filter((_, i) => verified[i]);
    if (matches.length === 0) return { ok: false, refusal: 'wrong' };
    if (matches.length > 1) return { ok: false, refusal: 'ambiguous' };
    const person = matches[0]!;
    if (person.disabled) return { ok: false, refusal: 'disabled' };
    return { ok: true, instanceId: person.instanceId, person: PeopleService.present(person) };
  }

  async recordSignIn(instanceId: string, personId: string): Promise<void> {
    await repo.recordSignIn(this.deps.store.db, instanceId, personId, this.now());
  }

  /**
   * The person an OpenID Connect provider vouches for: the one who signed in with this subject
   * before, else the one with this e-mail address (linked to the subject from now on), else a new
   * person with `defaultRole` (none: refused). A role from the provider's claim replaces theirs.
   */
  async personForOidc(
    instanceId: string,
    claims: { subject: string; email: string | undefined; name: string | undefined; role: Role | undefined },
    defaultRole: Role | null,
  ): Promise<{ person: Person } | { refusal: 'unknown' | 'disabled' }> {
    return this.tx(async (tx) => {
      const now = this.now();
      let person = await repo.findPersonBySubject(tx, instanceId, claims.subject);
      if (!person && claims.email) {
        person = await repo.findPersonByEmail(tx, instanceId, emailKey(claims.email));
        if (person) await repo.updatePerson(tx, instanceId, person.id, { oidcSubject: claims.subject }, now);
      }
      if (!person) {
        const role = claims.role ?? defaultRole;
        if (!role || !claims.email) return { refusal: 'unknown' as const };
        const id = uuidv4();
        const email = claims.email.trim();
        await repo.insertPerson(
          tx,
          instanceId,
          { id, name: claims.name?.trim() || email.split('@')[0]!, email, emailKey: emailKey(email), role, disabled: false, oidcSubject: claims.subject },
          now,
        );
        person = (await repo.findPerson(tx, instanceId, id))!;
      } else if (claims.role && claims.role !== person.role) {
        await repo.updatePerson(tx, instanceId, person.id, { role: claims.role }, now);
        person = { ...person, role: claims.role };
      }
      if (person.disabled) return { refusal: 'disabled' as const };
      await repo.recordSignIn(tx, instanceId, person.id, now);
      return { person: PeopleService.present({ ...person, hasOidc: true, lastSignInOn: now }) };
    });
  }

  // Personal access tokens

  async createToken(
    instanceId: string,
    personId: string,
    input: { name?: string; access: TokenAccess; expiresOn?: string | null },
  ): Promise<{ item: PersonalToken; token: string }> {
    const now = this.now();
    if (input.expiresOn && input.expiresOn <= now) {
      throw new DomainError('validation_failed', 'expiresOn must be in the future', [{ path: '/body/expiresOn', message: 'must be in the future' }]);
    }
    const token = generateSecret(PERSONAL_TOKEN_PREFIX);
    return this.tx(async (tx) => {
      const person = await repo.findPerson(tx, instanceId, personId);
      if (!person) throw notFound('Person');
      if ((await repo.countTokens(tx, instanceId, personId)) >= TOKENS_PER_PERSON) {
        throw new DomainError('conflict', `a person may hold ${TOKENS_PER_PERSON} tokens; revoke one first`);
      }
      const item: PersonalToken = {
        id: uuidv4(),
        personId,
        name: input.name?.trim() || 'Personal access token',
        access: input.access,
        createdOn: now,
        expiresOn: input.expiresOn ?? null,
      };
      await repo.insertToken(tx, instanceId, hashSecret(token), item);
      return { item, token };
    });
  }

  async listTokens(instanceId: string, personId: string): Promise<PersonalToken[]> {
    const db = this.deps.store.db;
    if (!(await repo.findPerson(db, instanceId, personId))) throw notFound('Person');
    return repo.listTokens(db, instanceId, personId);
  }

  async revokeToken(instanceId: string, personId: string, tokenId: string): Promise<void> {
    if (!(await repo.deleteToken(this.deps.store.db, instanceId, personId, tokenId))) throw notFound('Token');
  }

  /** The live token (not expired) with its person as they are now; undefined for anything else. */
  async resolveToken(token: string) {
    if (!/^tkp_[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    return repo.findTokenWithPerson(this.deps.store.db, hashSecret(token), this.now());
  }
}
