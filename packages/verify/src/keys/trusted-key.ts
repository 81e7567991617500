import { createPublicKey, type KeyObject } from 'node:crypto';
import { ALGORITHMS, type Algorithm, isAlgorithm, type KeyKind, MIN_RSA_BITS } from '../algorithms.ts';

/** A verification key that came from configuration or a trusted JWKS, never from a token. */
export interface TrustedKey {
  /** JWK `kid`; a token naming a kid only matches a key with that kid. */
  readonly kid: string | undefined;
  /** A single configured key (a secret, one PEM) matches a token whatever kid it names. */
  readonly anyKid: boolean;
  readonly kind: KeyKind;
  /** `P-256`, `P-384`, `P-521` or `Ed25519` for EC and OKP keys. */
  readonly curve: string | undefined;
  /** The JWK `alg`, when the key is pinned to one algorithm (RFC 7517 4.4). */
  readonly alg: Algorithm | undefined;
  readonly key: KeyObject;
  /** RSA modulus or HMAC secret length in bytes. */
  readonly bytes: number;
}

const CURVES: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/** Why a key cannot be trusted. */
export type KeyProblem = string;

/** Wraps an asymmetric public KeyObject, enforcing the key rules (RSA >= 2048 bits, known curves). */
export function trustPublicKey(
  key: KeyObject,
  meta: { kid?: string | undefined; alg?: string | undefined; anyKid?: boolean },
): TrustedKey | KeyProblem {
  if (key.type !== 'public') return 'not a public key';
  const details = key.asymmetricKeyDetails ?? {};
  let kind: KeyKind;
  let curve: string | undefined;
  let bytes = 0;
  switch (key.asymmetricKeyType) {
    case 'rsa':
      kind = 'RSA';
      bytes = Math.ceil((details.modulusLength ?? 0) / 8);
      if ((details.modulusLength ?? 0) < MIN_RSA_BITS) return `RSA key shorter than ${MIN_RSA_BITS} bits`;
      break;
    case 'ec':
      kind = 'EC';
      curve = CURVES[details.namedCurve ?? ''];
      if (!curve) return 'unsupported EC curve';
      break;
    case 'ed25519':
      kind = 'OKP';
      curve = 'Ed25519';
      break;
    default:
      return `unsupported key type ${String(key.asymmetricKeyType)}`;
  }
  let alg: Algorithm | undefined;
  if (meta.alg !== undefined) {
    if (!isAlgorithm(meta.alg)) return `unsupported alg ${meta.alg}`;
    const spec: { kind: KeyKind; curve?: string } = ALGORITHMS[meta.alg];
    if (spec.kind !== kind || (spec.curve !== undefined && spec.curve !== curve)) {
      return `alg ${meta.alg} does not fit the key`;
    }
    alg = meta.alg;
  }
  return { kid: meta.kid, anyKid: meta.anyKid ?? false, kind, curve, alg, key, bytes };
}

/**
 * Imports one JWK from a trusted JWKS. Keys not meant for signatures (`use` other than `sig`,
 * `key_ops` without `verify`) and symmetric keys (a JWKS is public) are refused with a reason.
 */
export function trustJwk(jwk: unknown, options: { anyKid?: boolean } = {}): TrustedKey | KeyProblem {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'not a JSON object';
  const j = jwk as Record<string, unknown>;
  if (j.kid !== undefined && typeof j.kid !== 'string') return 'kid is not a string';
  if (j.use !== undefined && j.use !== 'sig') return 'use is not "sig"';
  if (j.key_ops !== undefined && !(Array.isArray(j.key_ops) && j.key_ops.includes('verify'))) {
    return 'key_ops does not include "verify"';
  }
  if (j.alg !== undefined && typeof j.alg !== 'string') return 'alg is not a string';
  if (j.kty !== 'RSA' && j.kty !== 'EC' && j.kty !== 'OKP') return `unsupported kty ${String(j.kty)}`;
  if (j.kty === 'OKP' && j.crv !== 'Ed25519') return `unsupported OKP curve ${String(j.crv)}`;
  let key: KeyObject;
  try {
    // Only the public members: a JWKS that leaks private parts still yields a public key.
    const pub: Record<string, unknown> = { kty: j.kty };
    for (const m of ['n', 'e', 'crv', 'x', 'y']) if (j[m] !== undefined) pub[m] = j[m];
    key = createPublicKey({ key: pub as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch {
    return 'invalid key material';
  }
  return trustPublicKey(key, {
    kid: j.kid as string | undefined,
    alg: j.alg as string | undefined,
    anyKid: options.anyKid ?? false,
  });
}

/** True when `key` may verify a token signed with `alg` (key type, curve and pinned alg). */
export function keyFitsAlgorithm(key: TrustedKey, alg: Algorithm): boolean {
  const spec: { kind: KeyKind; curve?: string; signatureBytes?: number } = ALGORITHMS[alg];
  if (spec.kind !== key.kind) return false;
  if (spec.curve !== undefined && spec.curve !== key.curve) return false;
  if (key.alg !== undefined && key.alg !== alg) return false;
  // RFC 7518 3.2: an HMAC key must be at least as long as the hash output.
  if (spec.kind === 'oct' && key.bytes < (spec.signatureBytes ?? 0)) return false;
  return true;
}
