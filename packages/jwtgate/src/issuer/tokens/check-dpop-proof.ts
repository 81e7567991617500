import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, type JWK, jwtVerify } from 'jose';
import type { Store } from '../../store/types.ts';

// The proof check of the issuer's own resource endpoint (/userinfo), RFC 9449 4.3 and 7.1. The
// token endpoint's proofs are oidc-provider's to check; this is the same check for the one
// protected resource the issuer answers itself, with the same window and replay store.

/** Algorithms accepted for DPoP proofs, here and at the token endpoint (RFC 9449 4.2: asymmetric only). */
export const DPOP_ALGORITHMS = [
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
];

/** RFC 9449 11.1: a proof is accepted within this many seconds of its iat (oidc-provider's window). */
export const DPOP_WINDOW_SECONDS = 300;
const REPLAY_MODEL = 'DPoPProof';

export interface DpopExpectation {
  /** The request's method and URL as the client sent them (htm, htu: no query, no fragment). */
  readonly method: string;
  readonly url: string;
  /** The access token it comes with (ath, RFC 9449 4.2). */
  readonly accessToken: string;
  /** The token's cnf.jkt: the proof must be signed by that key. */
  readonly jkt: string;
}

export type DpopOutcome = { readonly ok: true } | { readonly ok: false; readonly description: string };

const sha256 = (text: string) => createHash('sha256').update(text).digest('base64url');

function sameHtu(given: unknown, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const url = URL.parse(given);
  if (url === null) return false;
  url.search = '';
  url.hash = '';
  return url.href === new URL(expected).href;
}

/**
 * Checks a DPoP proof for a request with a DPoP-bound access token: `typ` dpop+jwt, an asymmetric
 * algorithm, a signature by the embedded public key (jose refuses a private one), `htm` and `htu`
 * of this request, `iat` within the window, `ath` of this token, the key's thumbprint (RFC 7638)
 * equal to the token's `cnf.jkt`, and a `jti` not seen within the window (kept in the store, so
 * a proof used at one replica is refused at another). The description never holds the proof.
 *
 * @example
 * const outcome = await checkDpopProof(store, proof, { method: 'GET', url, accessToken, jkt }, Date.now);
 */
export async function checkDpopProof(
  store: Store,
  proof: string,
  expected: DpopExpectation,
  now: () => number,
): Promise<DpopOutcome> {
  let payload: Record<string, unknown>;
  let jwk: JWK;
  try {
    const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGORITHMS });
    payload = verified.payload;
    jwk = verified.protectedHeader.jwk as JWK;
  } catch {
    return { ok: false, description: 'invalid DPoP key binding' };
  }
  if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256)
    return { ok: false, description: 'the DPoP proof has no jti' };
  if (payload.htm !== expected.method) return { ok: false, description: 'DPoP proof htm mismatch' };
  if (!sameHtu(payload.htu, expected.url)) return { ok: false, description: 'DPoP proof htu mismatch' };
  const nowSeconds = Math.floor(now() / 1000);
  if (typeof payload.iat !== 'number' || Math.abs(nowSeconds - payload.iat) > DPOP_WINDOW_SECONDS)
    return { ok: false, description: 'the DPoP proof is too old or from the future' };
  if (payload.ath !== sha256(expected.accessToken))
    return { ok: false, description: 'DPoP proof ath mismatch' };
  if ((await calculateJwkThumbprint(jwk)) !== expected.jkt)
    return { ok: false, description: 'the DPoP proof is not signed by the key the token is bound to' };
  // A jti is unique per key; the replay entry outlives every iat the window still accepts.
  const id = sha256(`${expected.jkt}:${payload.jti}`);
  if ((await store.oidc.find(REPLAY_MODEL, id)) !== undefined)
    return { ok: false, description: 'DPoP proof replay detected' };
  await store.oidc.upsert(REPLAY_MODEL, id, {}, 2 * DPOP_WINDOW_SECONDS);
  return { ok: true };
}
