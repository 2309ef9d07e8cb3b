import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

/*
 * Password hashing: argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane), about
 * 15–50 ms a hash, on the binding's own threads (the event loop is not held). The PHC string
 * keeps the parameters, so raising them later still verifies old hashes
 * (docs/decisions/019-people-and-sign-in.md).
 */
const PARAMETERS = { memoryCost: 19_456, timeCost: 2, parallelism: 1, outputLen: 32 };

export const hashPassword = (password: string): Promise<string> => hash(password, PARAMETERS);

let dummy: Promise<string> | undefined;

/**
 * Whether `password` is the one `stored` was made from. Without a stored hash (an unknown
 * address, a person without a password) a dummy hash is verified instead, so that the answer
 * takes the same time and an attacker cannot tell which addresses exist.
 */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored) {
    dummy ??= hashPassword(randomBytes(24).toString('base64url'));
    await verify(await dummy, password).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}
