import { createHash } from 'node:crypto';
import { type TrustedKey, trustJwk } from '../keys/trusted-key.ts';

/** The embedded key of a proof, imported once per distinct proof header. */
export interface ProofKey {
  readonly key: TrustedKey;
  /** RFC 7638 thumbprint (SHA-256, base64url): what `cnf.jkt` of a bound token names. */
  readonly thumbprint: string;
}

// RFC 7638 3.2: the required members of each key type, in lexicographic order.
const REQUIRED: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
};

// RFC 7517 / RFC 7518 6.2.2, 6.3.2, RFC 8037 2: members that only a private (or symmetric) key has.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/**
 * The RFC 7638 thumbprint of a public JWK, or undefined when a required member is missing or not
 * a string.
 *
 * @example
 * jwkThumbprint({ kty: 'EC', crv: 'P-256', x: '...', y: '...' }) // '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I'
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string | undefined {
  const members = REQUIRED[jwk.kty as string];
  if (members === undefined) return undefined;
  const parts: string[] = [];
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== 'string') return undefined;
    // JSON.stringify of a string is its RFC 8259 form; RFC 7638 3.3 asks for no whitespace.
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
  }
  return createHash('sha256')
    .update(`{${parts.join(',')}}`)
    .digest('base64url');
}

/**
 * Imports the `jwk` header of a DPoP proof (RFC 9449 4.3 step 7): a public asymmetric key only
 * (a private member anywhere refuses it; so does a symmetric key), under the same key rules as a
 * trusted JWKS (RSA >= 2048 bits, known curves). A reason string when it cannot be used.
 */
export function importProofKey(jwk: unknown): ProofKey | string {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'jwk is not a JSON object';
  const j = jwk as Record<string, unknown>;
  for (const m of PRIVATE_MEMBERS) if (j[m] !== undefined) return 'jwk holds a private or secret key';
  const key = trustJwk(j);
  if (typeof key === 'string') return key;
  const thumbprint = jwkThumbprint(j);
  if (thumbprint === undefined) return 'jwk lacks a required member';
  return { key, thumbprint };
}
