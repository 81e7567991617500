import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { IssuerError } from '../errors.ts';

/**
 * What a private_key_jwt client's keys must be (RFC 7523 2.2: the issuer verifies the client's
 * assertions with them): public signature keys that oidc-provider can verify, of a strength that
 * makes a forged assertion infeasible. Every refusal names the key.
 */
export const CLIENT_KEY_POLICY = {
  /** RSA moduli below 2048 bits are factorable in reach of an attacker (NIST SP 800-131A 3). */
  minRsaBits: 2048,
  /** Above this a verification costs more than it protects (and a huge key is a CPU lever). */
  maxRsaBits: 16384,
  ecCurves: ['P-256', 'P-384', 'P-521'],
  /** oidc-provider's EdDSA is Ed25519 only. */
  okpCurves: ['Ed25519'],
} as const;

/** RFC 7518 6.2.2, 6.3.2, RFC 8037 2: members that carry private or symmetric key material. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** RFC 7518 3.1 / RFC 8037 3.1: the JWS algorithms each key type can verify, as oidc-provider offers them. */
const ALGS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  'P-256': ['ES256'],
  'P-384': ['ES384'],
  'P-521': ['ES512'],
  Ed25519: ['EdDSA', 'Ed25519'],
};

function refuse(name: string, why: string): IssuerError {
  return new IssuerError('ERR_CLIENT_KEY_INVALID', `${name}: ${why}`);
}

/** `jwks.keys[0] (kid "k1")`: which key, as the operator can find it in the file. */
function nameOf(key: Record<string, unknown>, i: number): string {
  const kid = Object.hasOwn(key, 'kid') ? key.kid : undefined;
  return typeof kid === 'string' && kid !== ''
    ? `jwks.keys[${i}] (kid ${JSON.stringify(kid.slice(0, 64))})`
    : `jwks.keys[${i}]`;
}

function own(key: Record<string, unknown>, member: string): unknown {
  return Object.hasOwn(key, member) ? key[member] : undefined;
}

/** Node's import checks the encoding and, for EC and OKP, that the point is on the curve. */
function importKey(key: Record<string, unknown>, name: string): KeyObject {
  try {
    return createPublicKey({ key: key as JsonWebKey, format: 'jwk' });
  } catch {
    throw refuse(name, 'is not a valid public key (its members do not decode to one)');
  }
}

function checkRsa(key: Record<string, unknown>, name: string): void {
  const details = importKey(key, name).asymmetricKeyDetails;
  const bits = details?.modulusLength ?? 0;
  if (bits < CLIENT_KEY_POLICY.minRsaBits)
    throw refuse(
      name,
      `the RSA modulus has ${bits} bits; at least ${CLIENT_KEY_POLICY.minRsaBits} are required`,
    );
  if (bits > CLIENT_KEY_POLICY.maxRsaBits)
    throw refuse(
      name,
      `the RSA modulus has ${bits} bits; at most ${CLIENT_KEY_POLICY.maxRsaBits} are accepted`,
    );
  // FIPS 186-5 A.1.1: the public exponent is odd and 2^16 < e < 2^256 (e = 1 would make any
  // signature verify, a small e invites forgeries against lax padding checks).
  const e = details?.publicExponent ?? 0n;
  if (e % 2n === 0n || e <= 2n ** 16n || e >= 2n ** 256n)
    throw refuse(name, 'the RSA public exponent must be odd and between 2^16 and 2^256 (usually 65537)');
}

function checkCurveKey(key: Record<string, unknown>, name: string, curves: readonly string[]): string {
  const crv = own(key, 'crv');
  if (typeof crv !== 'string' || !curves.includes(crv))
    throw refuse(
      name,
      `curve ${typeof crv === 'string' ? JSON.stringify(crv.slice(0, 32)) : '(none)'} is not accepted; use ${curves.join(', ')}`,
    );
  importKey(key, name);
  return crv;
}

function checkKey(value: unknown, i: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw refuse(`jwks.keys[${i}]`, 'expected a JWK object');
  const key = value as Record<string, unknown>;
  const name = nameOf(key, i);
  const kty = own(key, 'kty');
  if (kty === 'oct')
    throw refuse(name, 'a symmetric key (kty "oct") cannot authenticate a client here; give a public key');
  const secret = PRIVATE_MEMBERS.find((m) => Object.hasOwn(key, m));
  if (secret !== undefined)
    throw refuse(name, `holds private key material ("${secret}"); give the public key only`);
  // RFC 7517 4.2, 4.3: a key marked for encryption, or without "verify", is not for assertions.
  const use = own(key, 'use');
  if (use !== undefined && use !== 'sig') throw refuse(name, `"use" must be "sig" for a signature key`);
  const ops = own(key, 'key_ops');
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify')))
    throw refuse(name, '"key_ops" must include "verify"');
  let family: string;
  if (kty === 'RSA') {
    checkRsa(key, name);
    family = 'RSA';
  } else if (kty === 'EC') family = checkCurveKey(key, name, CLIENT_KEY_POLICY.ecCurves);
  else if (kty === 'OKP') family = checkCurveKey(key, name, CLIENT_KEY_POLICY.okpCurves);
  else throw refuse(name, 'expected an RSA, EC or OKP public key');
  const alg = own(key, 'alg');
  const algs = ALGS[family] ?? [];
  if (alg !== undefined && (typeof alg !== 'string' || !algs.includes(alg)))
    throw refuse(name, `"alg" must be one of ${algs.join(', ')} for this key`);
  return { ...key };
}

/**
 * Checks a private_key_jwt client's JWKS (RFC 7517 5) key by key; returns a copy of it.
 *
 * @example
 * checkClientJwks({ keys: [{ kty: 'EC', crv: 'P-256', x, y, kid: 'k1' }] });
 * checkClientJwks({ keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB' }] }); // throws ERR_CLIENT_KEY_INVALID
 */
export function checkClientJwks(jwks: unknown): { keys: Record<string, unknown>[] } {
  const keys =
    jwks !== null && typeof jwks === 'object' && Object.hasOwn(jwks, 'keys')
      ? (jwks as { keys: unknown }).keys
      : undefined;
  if (!Array.isArray(keys) || keys.length === 0)
    throw new IssuerError(
      'ERR_CLIENT_INVALID',
      'jwks: private_key_jwt needs the client public keys (a JWKS with at least one key)',
    );
  return { keys: keys.map(checkKey) };
}
