import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from './errors.js';
import type { ListQuery } from './listing.js';

/*
 * Continuation tokens: base64url(JSON { q, k } or { q, s }) + '.' + HMAC. `q` fingerprints the
 * instance, filters and order the token was made for; `k` is the keyset position of the page's
 * last item (the next page starts after it), `s` that of the next page's first item (the next
 * page starts with it). Signed so a client can't forge positions, opaque so we may change the
 * inside. See docs/decisions/004-continuation-tokens.md.
 */

export type Position = (string | number)[];

/** Where the next page starts: after `position`, or at it (inclusive). */
export interface Cursor {
  position: Position;
  inclusive: boolean;
}

export function queryFingerprint(instanceId: string, query: ListQuery): string {
  const canonical = JSON.stringify([instanceId, query.filters, query.order]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

/**
 * The fingerprint of a ticket's activities in one order (GET /tickets/{ticketId}/activities):
 * a token of one ticket's history does not page another's, nor the other way round.
 */
export function activitiesFingerprint(instanceId: string, ticketId: string, descending: boolean): string {
  const canonical = JSON.stringify(['activities', instanceId, ticketId, descending ? 'DESC' : 'ASC']);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url').slice(0, 32);

export function encodeCursor(secret: string, fingerprint: string, cursor: Cursor): string {
  const body = cursor.inclusive ? { q: fingerprint, s: cursor.position } : { q: fingerprint, k: cursor.position };
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

const badToken = (why: string) => new DomainError('invalid_request', `continuationToken ${why}`, [{ path: '/headers/continuationToken', message: why }]);

export function decodeCursor(secret: string, fingerprint: string, token: string): Cursor {
  const [payload, signature, extra] = token.trim().split('.');
  if (!payload || !signature || extra !== undefined) throw badToken('is malformed');
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw badToken('is not valid');
  let decoded: { q?: unknown; k?: unknown; s?: unknown };
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw badToken('is malformed');
  }
  if (decoded.q !== fingerprint) throw badToken('belongs to a query with other filters or another order');
  const inclusive = decoded.k === undefined;
  const position = inclusive ? decoded.s : decoded.k;
  if (!Array.isArray(position) || !position.every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw badToken('is malformed');
  }
  return { position, inclusive };
}
