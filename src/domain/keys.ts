import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * Instance keys: `tkt_` + 32 random bytes in base64url (256 bits). The prefix makes a leaked key
 * recognisable to secret scanners; only the SHA-256 is stored. See docs/decisions/003-keys.md.
 */
export const INSTANCE_KEY_PREFIX = 'tkt_';
export const ADMIN_TOKEN_PREFIX = 'tka_';

export const generateSecret = (prefix: string): string => prefix + randomBytes(32).toString('base64url');

export const hashSecret = (secret: string): string => createHash('sha256').update(secret).digest('hex');

/** Constant-time equality of two hex digests. */
export function digestsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
