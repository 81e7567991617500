// DPoP fixtures: a client key pair (generated here), proofs signed with jose, and a verifier
// whose provider issues bound tokens (cnf.jkt), all on the fixed test clock.
import { createHash, randomUUID } from 'node:crypto';
import { type CryptoKey, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { createVerifier, type Verifier, type VerifierOptions } from '../../src/create-verifier.ts';
import type { DpopMode } from '../../src/dpop/check-binding.ts';
import { makeKeyPair, NOW_MS, NOW_SECONDS, signToken, type TestKeyPair } from '../helpers/keys.ts';

export const ISS = 'https://issuer.test';
export const AUD = 'api://test';
export const URL_ = 'https://api.example/orders';

export interface DpopKey {
  readonly alg: string;
  readonly jwk: JWK;
  readonly privateJwk: JWK;
  readonly privateKey: CryptoKey;
  readonly thumbprint: string;
  /** A proof for `method` and `url`; `ath` of `token` when given; `claims` and `header` override. */
  proof(options?: {
    method?: string;
    url?: string;
    token?: string;
    iat?: number;
    claims?: Record<string, unknown>;
    header?: Record<string, unknown>;
  }): Promise<string>;
}

export const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

export async function dpopKey(alg = 'ES256', extra: object = {}): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...extra });
  const jwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  return {
    alg,
    jwk,
    privateJwk,
    privateKey,
    thumbprint: await calculateJwkThumbprint(jwk),
    proof: (o = {}) =>
      new SignJWT({
        jti: randomUUID(),
        htm: o.method ?? 'GET',
        htu: o.url ?? URL_,
        iat: o.iat ?? NOW_SECONDS,
        ...(o.token === undefined ? {} : { ath: ath(o.token) }),
        ...o.claims,
      })
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk, ...o.header })
        .sign(privateKey),
  };
}

export interface DpopFixture {
  readonly issuerKey: TestKeyPair;
  readonly client: DpopKey;
  /** An access token bound to `client` (cnf.jkt). */
  readonly bound: string;
  /** The same claims, unbound. */
  readonly unbound: string;
  verifier(mode?: DpopMode, options?: Partial<VerifierOptions>): Verifier;
}

export async function dpopFixture(): Promise<DpopFixture> {
  const issuerKey = await makeKeyPair('ES256');
  const client = await dpopKey();
  const bound = await signToken(issuerKey.privateKey, {
    alg: 'ES256',
    kid: issuerKey.kid,
    claims: { sub: 'alice', jti: randomUUID(), cnf: { jkt: client.thumbprint } },
  });
  const unbound = await signToken(issuerKey.privateKey, {
    alg: 'ES256',
    kid: issuerKey.kid,
    claims: { sub: 'alice', jti: randomUUID() },
  });
  return {
    issuerKey,
    client,
    bound,
    unbound,
    verifier: (mode, options = {}) =>
      createVerifier({
        providers: {
          corp: {
            issuer: ISS,
            audiences: [AUD],
            algorithms: ['ES256'],
            keys: { jwks: { keys: [issuerKey.publicJwk] } },
            ...(mode === undefined ? {} : { dpop: mode }),
          },
        },
        now: () => NOW_MS,
        ...options,
      }),
  };
}
