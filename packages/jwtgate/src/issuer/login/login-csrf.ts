import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The CSRF token of a login form: an HMAC of the interaction uid under the server's CSRF key. It
 * needs no storage, and it is bound to the interaction cookie because the POST handler only
 * accepts it for the uid that oidc-provider finds through that cookie.
 *
 * @example
 * const token = createCsrfToken(csrfKey, 'login', interaction.uid);
 */
export function createCsrfToken(key: Buffer, purpose: string, uid: string): string {
  return createHmac('sha256', key).update(`${purpose}\n${uid}`).digest('base64url');
}

/** Whether `given` is the CSRF token of `uid`; compared in constant time. */
export function checkCsrfToken(key: Buffer, purpose: string, uid: string, given: unknown): boolean {
  if (typeof given !== 'string' || given.length > 128) return false;
  const expected = Buffer.from(createCsrfToken(key, purpose, uid));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
