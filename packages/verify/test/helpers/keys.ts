// Test fixtures: keys are generated in the test process, never committed.
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export const SECRET = 'a-test-secret-that-is-long-enough-for-hs512-0123456789abcdef-0123456789';
export const secretBytes = (secret = SECRET) => new TextEncoder().encode(secret);

export interface TestKeyPair {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: JWK;
}

/** Generates an extractable key pair for `alg`, with its public JWK carrying `kid` and `alg`. */
export async function makeKeyPair(alg: string, kid = `${alg.toLowerCase()}-key`, extra: object = {}): Promise<TestKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...extra });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg };
  return { alg, kid, privateKey, publicKey, publicJwk };
}

/** A fixed clock for tests: seconds and milliseconds agree. */
export const NOW_SECONDS = 1_800_000_000;
export const NOW_MS = NOW_SECONDS * 1000;

/** Signs a JWT with jose; the defaults produce a token valid at NOW_SECONDS. */
export async function signToken(
  key: CryptoKey | Uint8Array,
  options: {
    alg: string;
    kid?: string;
    typ?: string;
    header?: Record<string, unknown>;
    claims?: JWTPayload;
    iss?: string;
    aud?: string | string[];
    exp?: number | null;
  },
): Promise<string> {
  const claims: JWTPayload = {
    iss: options.iss ?? 'https://issuer.test',
    aud: options.aud ?? 'api://test',
    iat: NOW_SECONDS - 10,
    ...(options.exp === null ? {} : { exp: options.exp ?? NOW_SECONDS + 300 }),
    ...options.claims,
  };
  return new SignJWT(claims)
    .setProtectedHeader({
      alg: options.alg,
      ...(options.kid ? { kid: options.kid } : {}),
      ...(options.typ ? { typ: options.typ } : {}),
      ...options.header,
    })
    .sign(key);
}

/** base64url of a JSON value or string, for hand-built (often malicious) tokens. */
export function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
}
