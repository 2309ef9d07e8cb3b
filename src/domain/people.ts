import { DomainError } from './errors.js';
import type { IUser } from './ticket.js';

/*
 * People of an instance and what their role lets them do (docs/api.md §14, decision 019).
 * Admins change settings, keys and people; agents work tickets; viewers read.
 */
export const ROLES = ['admin', 'agent', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 0, agent: 1, admin: 2 };

/** Whether a person with `role` may do what needs `needed`. */
export const roleAllows = (role: Role, needed: Role): boolean => RANK[role] >= RANK[needed];

export interface Person {
  id: string;
  name: string;
  email: string;
  role: Role;
  disabled: boolean;
  /** Whether a password is set (an invited person has none until they accept). */
  hasPassword: boolean;
  /** Whether they have signed in with the instance's OpenID Connect provider. */
  hasOidc: boolean;
  createdOn: string;
  lastSignInOn: string | null;
}

/** The person as the `user` of what they write: tickets record `{ id, name, email }`. */
export const asUser = (person: Pick<Person, 'id' | 'name' | 'email'>): IUser => ({ id: person.id, name: person.name, email: person.email });

/** How an e-mail address is compared and kept unique: trimmed, lower-cased. */
export const emailKey = (email: string): string => email.trim().toLowerCase();

/** Whether a user named in a request is this person: the same id, or the same e-mail address. */
export function isPerson(user: Partial<IUser> | undefined | null, person: Pick<Person, 'id' | 'email'>): boolean {
  if (!user) return false;
  if (typeof user.id === 'string' && user.id === person.id) return true;
  return typeof user.email === 'string' && user.email.trim() !== '' && emailKey(user.email) === emailKey(person.email);
}

/** Password rules (NIST SP 800-63B: length, not composition). */
export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 256;

export function checkPassword(password: string, email: string): void {
  const length = [...password].length;
  let problem: string | undefined;
  if (length < PASSWORD_MIN) problem = `at least ${PASSWORD_MIN} characters`;
  else if (length > PASSWORD_MAX) problem = `at most ${PASSWORD_MAX} characters`;
  else if (password.trim().toLowerCase() === emailKey(email)) problem = 'must not be the e-mail address';
  if (problem) throw new DomainError('validation_failed', `password: ${problem}`, [{ path: '/body/password', message: problem }]);
}

export type LinkPurpose = 'invitation' | 'reset';

/** How long a link lasts: an invitation a week (it goes by chat or mail), a reset a day. */
export const LINK_LIFETIME_MS: Record<LinkPurpose, number> = {
  invitation: 7 * 24 * 60 * 60 * 1000,
  reset: 24 * 60 * 60 * 1000,
};

export type TokenAccess = 'readWrite' | 'readOnly';

/** A personal access token as listed (never its secret, which is shown once). */
export interface PersonalToken {
  id: string;
  personId: string;
  name: string;
  access: TokenAccess;
  createdOn: string;
  expiresOn: string | null;
}

/*
 * Secrets handed to people: `tki_` sign-in links (invitation, reset) and `tkp_` personal access
 * tokens, 32 random bytes each in base64url after the prefix; the prefixes let secret scanners
 * and the server tell them from instance keys (`tkt_`).
 */
export const LINK_PREFIX = 'tki_';
export const PERSONAL_TOKEN_PREFIX = 'tkp_';
