import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from './errors.js';
import type { ListQuery } from './listing.js';

/*
 * Continuation tokens: base64url(JSON { q, k }) + '.' + HMAC. `q` fingerprints the instance,
 * filters and order the token was made for; `k` is the keyset position of the page's last
 * item. Signed so a client can't forge positions, opaque so we may change the inside.
 * See docs/decisions/004-continuation-tokens.md.
 */

export type Position = (string | number)[];

export function queryFingerprint(instanceId: string, query: ListQuery): string {
  const canonical = JSON.stringify([instanceId, query.filters, query.order]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

const sign = (secret: string, payload: string) => createHmac('sha256', secret).update(payload).digest('base64url').slice(0, 32);

export function encodeCursor(secret: string, fingerprint: string, position: Position): string {
  const payload = Buffer.from(JSON.stringify({ q: fingerprint, k: position })).toString('base64url');
  return `${payload}.${sign(secret, payload)}`;
}

const badToken = (why: string) =>
  new DomainError('invalid_request', `continuationToken ${why}`, [{ path: '/headers/continuationToken', message: why }]);

export function decodeCursor(secret: string, fingerprint: string, token: string): Position {
  const [payload, signature, extra] = token.trim().split('.');
  if (!payload || !signature || extra !== undefined) throw badToken('is malformed');
  const expected = Buffer.from(sign(secret, payload));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw badToken('is not valid');
  let decoded: { q?: unknown; k?: unknown };
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw badToken('is malformed');
  }
  if (decoded.q !== fingerprint) throw badToken('belongs to a query with other filters or another order');
  if (!Array.isArray(decoded.k) || !decoded.k.every((v) => typeof v === 'string' || typeof v === 'number')) {
    throw badToken('is malformed');
  }
  return decoded.k;
}
