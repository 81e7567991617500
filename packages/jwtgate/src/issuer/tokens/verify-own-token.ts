import { createVerifier, type JwtClaims, type ProviderOptions, type Verifier } from '@jwtgate/verify';
import { decodeJwt } from 'jose';
import { SIGNING_ALGORITHMS } from '../keys/generate-signing-key.ts';

export interface OwnTokenVerifier {
  /** The claims of an access token this issuer signed with a key it still publishes; rejects otherwise. */
  verify(token: string): Promise<JwtClaims>;
}

const MAX_VERIFIERS = 64;

/**
 * The verify-core policy of the issuer's own access tokens for one audience: the one definition
 * shared by introspection, revocation and the console's token debugger.
 *
 * @example
 * createVerifier({ providers: { self: ownTokenPolicy(issuerUrl, jwks, ['https://billing.example']) } });
 */
export function ownTokenPolicy(
  issuer: string,
  publicJwks: { readonly keys: readonly Record<string, unknown>[] },
  audiences: readonly string[],
): ProviderOptions {
  return {
    issuer,
    audiences: [...audiences],
    algorithms: [...SIGNING_ALGORITHMS],
    keys: { jwks: publicJwks },
    tokenTypes: ['at+jwt'],
    requireSub: true,
    requiredClaims: ['jti', 'client_id'],
    // Introspection, revocation, exchange and the console look at a token, they are not the
    // resource it is presented to: a DPoP-bound token is theirs to read (cnf included) without a
    // proof. /userinfo checks the binding itself (answer-userinfo.ts).
    dpop: 'off',
  };
}

/**
 * Verifies the issuer's own access tokens (for introspection and revocation) with @jwtgate/verify,
 * against the published keys: signature, `iss`, `exp`, `typ: at+jwt` (RFC 9068 4). Any audience
 * the issuer minted is acceptable here, so the verifier is chosen by the token's `aud`; that claim
 * only selects the policy, the verifier still checks it and everything else.
 */
export function createOwnTokenVerifier(
  issuer: string,
  publicJwks: { readonly keys: readonly Record<string, unknown>[] },
  now: () => number = Date.now,
): OwnTokenVerifier {
  const verifiers = new Map<string, Verifier>();
  const forAudience = (aud: string): Verifier => {
    let v = verifiers.get(aud);
    if (v === undefined) {
      if (verifiers.size >= MAX_VERIFIERS) verifiers.clear();
      v = createVerifier({ providers: { self: ownTokenPolicy(issuer, publicJwks, [aud]) }, now });
      verifiers.set(aud, v);
    }
    return v;
  };
  return {
    async verify(token) {
      let aud: unknown;
      try {
        aud = decodeJwt(token).aud;
      } catch {
        throw new Error('not a JWT');
      }
      const first = Array.isArray(aud) ? aud[0] : aud;
      if (typeof first !== 'string' || first === '') throw new Error('no audience');
      return (await forAudience(first).verify(token)).claims;
    },
  };
}
