/** Key types a JWS algorithm can be used with (RFC 7518 3.1, RFC 8037 3.1). */
export type KeyKind = 'oct' | 'RSA' | 'EC' | 'OKP';

export interface AlgorithmSpec {
  readonly kind: KeyKind;
  /** node:crypto digest name; null for EdDSA, which hashes internally. */
  readonly hash: 'sha256' | 'sha384' | 'sha512' | null;
  /** EC curve (JWK `crv`) or OKP subtype the key must have. */
  readonly curve?: 'P-256' | 'P-384' | 'P-521' | 'Ed25519';
  /** Exact signature length in bytes, when fixed by the algorithm alone. */
  readonly signatureBytes?: number;
  /** RSASSA-PSS (RFC 7518 3.5) rather than PKCS#1 v1.5. */
  readonly pss?: boolean;
}

/** The algorithms jwtgate verifies. `none` is not here and cannot be configured. */
export const ALGORITHMS = {
  HS256: { kind: 'oct', hash: 'sha256', signatureBytes: 32 },
  HS384: { kind: 'oct', hash: 'sha384', signatureBytes: 48 },
  HS512: { kind: 'oct', hash: 'sha512', signatureBytes: 64 },
  RS256: { kind: 'RSA', hash: 'sha256' },
  RS384: { kind: 'RSA', hash: 'sha384' },
  RS512: { kind: 'RSA', hash: 'sha512' },
  PS256: { kind: 'RSA', hash: 'sha256', pss: true },
  PS384: { kind: 'RSA', hash: 'sha384', pss: true },
  PS512: { kind: 'RSA', hash: 'sha512', pss: true },
  // RFC 7518 3.4: ECDSA signatures are R || S, each the curve's byte length, never DER.
  ES256: { kind: 'EC', hash: 'sha256', curve: 'P-256', signatureBytes: 64 },
  ES384: { kind: 'EC', hash: 'sha384', curve: 'P-384', signatureBytes: 96 },
  ES512: { kind: 'EC', hash: 'sha512', curve: 'P-521', signatureBytes: 132 },
  EdDSA: { kind: 'OKP', hash: null, curve: 'Ed25519', signatureBytes: 64 },
} as const satisfies Record<string, AlgorithmSpec>;

export type Algorithm = keyof typeof ALGORITHMS;

/** Minimum RSA modulus (RFC 7518 3.3 and 3.5). */
export const MIN_RSA_BITS = 2048;

export function isAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && Object.hasOwn(ALGORITHMS, value);
}

/** Bytes of HMAC key an HS algorithm needs at least (RFC 7518 3.2: no shorter than the hash). */
export function minSecretBytes(alg: Algorithm): number {
  const spec: AlgorithmSpec = ALGORITHMS[alg];
  return spec.kind === 'oct' ? (spec.signatureBytes ?? 0) : 0;
}
