import { ALGORITHMS, type AlgorithmSpec } from '../algorithms.ts';

/**
 * Algorithms a DPoP proof may be signed with: asymmetric only (RFC 9449 4.2: never `none` nor a
 * MAC), and `Ed25519`, the fully specified name of EdDSA over Ed25519 (RFC 9864) some clients send.
 */
export const DPOP_ALGORITHMS: readonly string[] = Object.freeze([
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  'EdDSA',
  'Ed25519',
]);

/** The signature rules of a proof algorithm, or undefined when it is not one. */
export function dpopAlgorithmSpec(alg: string): AlgorithmSpec | undefined {
  if (alg === 'Ed25519') return ALGORITHMS.EdDSA;
  if (!DPOP_ALGORITHMS.includes(alg)) return undefined;
  return ALGORITHMS[alg as keyof typeof ALGORITHMS];
}
