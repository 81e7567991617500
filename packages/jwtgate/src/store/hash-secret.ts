import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'sha256:';

/** A new client secret: 32 random bytes (256 bits), base64url. */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * `sha256:<base64url digest>`. A fast hash is appropriate here, unlike for passwords: the secrets
 * are generated with 256 bits of entropy, so a leaked hash cannot be brute-forced however fast the
 * hash is, and a slow KDF would only make every token request pay for nothing.
 */
export function hashClientSecret(secret: string): string {
  return PREFIX + createHash('sha256').update(secret, 'utf8').digest('base64url');
}

/** Whether `secret` matches `hash`, compared in constant time so timing reveals nothing of the hash. */
export function verifyClientSecret(secret: string, hash: string): boolean {
  if (typeof secret !== 'string' || typeof hash !== 'string' || !hash.startsWith(PREFIX)) return false;
  const expected = Buffer.from(hash, 'utf8');
  const actual = Buffer.from(hashClientSecret(secret), 'utf8');
  // Both are fixed-length digests; a length mismatch means a malformed stored hash, not a near miss.
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
