import { fail } from '../errors.ts';
import type { JwtClaims } from '../parse-token.ts';
import { type CheckedProof, checkDpopProof, type DpopPolicy } from './check-dpop-proof.ts';

/**
 * A provider's DPoP setting: `required` takes only DPoP-bound tokens with a proof; `optional`
 * takes bound tokens with a proof and unbound ones as Bearer tokens; `off` does not look at
 * `cnf.jkt` (a bound token is then a bearer token, as for a server that does not know DPoP).
 */
export type DpopMode = 'required' | 'optional' | 'off';

/** A request that used the DPoP scheme (`Authorization: DPoP <token>`), with what its proof must match. */
export interface DpopPresentation {
  /** The DPoP header's value; undefined when there was none. */
  readonly proof: string | undefined;
  /** The method as the client sent it. */
  readonly method: string;
  /** The URL as the client addressed it (scheme, host, path; a query is ignored). */
  readonly url: string;
}

/** The thumbprint a token is bound to (RFC 9449 6.1 `cnf.jkt`), or undefined when unbound. */
export function boundThumbprint(claims: JwtClaims): string | undefined {
  const cnf = claims.cnf;
  if (typeof cnf !== 'object' || cnf === null) return undefined;
  const jkt = (cnf as { jkt?: unknown }).jkt;
  if (jkt === undefined) return undefined;
  if (typeof jkt !== 'string' || jkt === '') throw fail('ERR_CLAIM_INVALID', 'cnf.jkt');
  return jkt;
}

/**
 * Applies a provider's DPoP setting to a token that verified (RFC 9449 7): run on every request,
 * cached tokens included. A bound token sent as Bearer is refused (7.2), so is the DPoP scheme
 * with an unbound token; a bound token with the DPoP scheme needs a valid proof for this request.
 */
export function checkBinding(
  mode: DpopMode,
  jkt: string | undefined,
  token: string,
  presented: DpopPresentation | undefined,
  policy: DpopPolicy,
): undefined | CheckedProof | Promise<CheckedProof> {
  if (presented === undefined) {
    if (mode === 'off') return undefined;
    if (jkt !== undefined) throw fail('ERR_DPOP_TOKEN_BOUND');
    if (mode === 'required') throw fail('ERR_DPOP_REQUIRED');
    return undefined;
  }
  if (mode === 'off') throw fail('ERR_DPOP_NOT_ACCEPTED');
  if (jkt === undefined) throw fail('ERR_DPOP_TOKEN_NOT_BOUND');
  if (presented.proof === undefined || presented.proof === '') throw fail('ERR_DPOP_PROOF_MISSING');
  return checkDpopProof(
    presented.proof,
    { method: presented.method, url: presented.url, accessToken: token, jkt },
    policy,
  );
}
