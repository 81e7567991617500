import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import { encryptPrivateJwk } from '../../store/key-encryption.ts';
import type { SigningKeyRecord } from '../../store/types.ts';

/** Algorithms the issuer signs access tokens with. HS256 exists only in tutorial mode (no JWKS for it). */
export const SIGNING_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

/** The public half of a JWK (RFC 7517 / 7518 6): never `d`, `p`, `q`, `dp`, `dq`, `qi`. */
export function publicPart(jwk: JWK, kid: string, alg: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const m of PUBLIC_MEMBERS) if (jwk[m] !== undefined) out[m] = jwk[m];
  return { ...out, kid, alg, use: 'sig' };
}

export interface NewKeyOptions {
  readonly state: 'next' | 'current';
  readonly now: number;
  /** When a `next` key starts signing; for `current`, when it started (now). */
  readonly activatesAt: number;
  readonly kek: Buffer | null;
}

/**
 * A fresh key pair for `alg`: the kid is the RFC 7638 thumbprint (stable, derived from the key, never
 * chosen), the private JWK is encrypted with the key encryption key when one is set.
 */
export async function generateSigningKey(
  alg: SigningAlgorithm,
  options: NewKeyOptions,
): Promise<SigningKeyRecord> {
  // RSA: 2048 bits, the RFC 7518 3.3 minimum and what verifiers expect; keys rotate long before it weakens.
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const jwk = await exportJWK(privateKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  const privateJwk = JSON.stringify({ ...jwk, kid, alg, use: 'sig' });
  return {
    kid,
    alg,
    privateJwk: encryptPrivateJwk(privateJwk, options.kek),
    publicJwk: publicPart(jwk, kid, alg),
    state: options.state,
    createdAt: options.now,
    activatesAt: options.activatesAt,
    removeAt: null,
  };
}
