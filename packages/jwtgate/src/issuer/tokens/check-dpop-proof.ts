import { createHash } from 'node:crypto';
import {
  checkDpopProof as checkProof,
  createDpopPolicy,
  DPOP_ALGORITHMS,
  type DpopExpectation,
  type DpopPolicy,
  ERROR_CODES,
  type ErrorCode,
  type ReplayCache,
  toJwtGateError,
} from '@jwtgate/verify';
import type { Store } from '../../store/types.ts';

// The proof check of the issuer's own resource endpoint (/userinfo): the verify core's, with the
// replay ids kept in the store, so a proof used at one replica is refused at another. The token
// endpoint's proofs are oidc-provider's to check.

/** Algorithms accepted for DPoP proofs, here and at the token endpoint (RFC 9449 4.2: asymmetric only). */
export { DPOP_ALGORITHMS, type DpopExpectation };

/** RFC 9449 11.1: a proof is accepted up to this many seconds after its iat (oidc-provider's window). */
export const DPOP_WINDOW_SECONDS = 300;
const REPLAY_MODEL = 'DPoPProof';

export type DpopOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly code: ErrorCode; readonly description: string };

/** The store as a replay cache: an id is kept (hashed again, under its own model) until its window ends. */
function storeReplayCache(store: Store): ReplayCache {
  return {
    async remember(id, expiresAtMs, nowMs) {
      const key = createHash('sha256').update(id).digest('base64url');
      if ((await store.oidc.find(REPLAY_MODEL, key)) !== undefined) return false;
      await store.oidc.upsert(REPLAY_MODEL, key, {}, Math.max(1, Math.ceil((expiresAtMs - nowMs) / 1000)));
      return true;
    },
  };
}

const policies = new WeakMap<Store, Map<() => number, DpopPolicy>>();

function policyFor(store: Store, now: () => number): DpopPolicy {
  let byClock = policies.get(store);
  if (byClock === undefined) {
    byClock = new Map();
    policies.set(store, byClock);
  }
  let policy = byClock.get(now);
  if (policy === undefined) {
    policy = createDpopPolicy(
      { maxAgeSeconds: DPOP_WINDOW_SECONDS, replayCache: storeReplayCache(store) },
      'dpop',
      now,
    );
    byClock.set(now, policy);
  }
  return policy;
}

/**
 * Checks a DPoP proof for a request with a DPoP-bound access token, with @jwtgate/verify's
 * checkDpopProof (RFC 9449 4.3: typ, algorithm, embedded public key, signature, htm, htu, iat,
 * ath, cnf.jkt, jti). The outcome's description is the verify core's client message, never
 * the proof.
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
  try {
    await checkProof(proof, expected, policyFor(store, now));
    return { ok: true };
  } catch (err) {
    const code = toJwtGateError(err).code;
    return { ok: false, code, description: ERROR_CODES[code].message };
  }
}
