import type { RevocationRecord, Store } from '../../store/types.ts';
import { revokeJti } from '../revocation/revoke-jti.ts';
import type { OwnTokenVerifier } from './verify-own-token.ts';

// oidc-provider keeps no record of JWT access tokens and refuses them at its revocation and
// introspection endpoints (after authenticating the caller). These two functions answer for them
// instead, verifying the token against the issuer's own published keys.

export interface OwnTokenContext {
  readonly verifier: OwnTokenVerifier;
  readonly store: Store;
  readonly onRevoked: (record: RevocationRecord) => void;
}

/**
 * RFC 7662 2.2: an active token's claims; anything else (bad signature, another issuer, unknown
 * key, expired, revoked, or its client removed or disabled) is only `{"active": false}`.
 */
export async function introspectOwnToken(
  ctx: OwnTokenContext,
  token: string,
): Promise<Record<string, unknown>> {
  let claims: Record<string, unknown>;
  try {
    claims = { ...(await ctx.verifier.verify(token)) };
  } catch {
    return { active: false };
  }
  const jti = claims.jti as string;
  const client = await ctx.store.clients.get(claims.client_id as string);
  if (client === undefined || client.disabled || (await ctx.store.revocations.isRevoked(jti))) {
    return { active: false };
  }
  return { active: true, ...claims, token_type: 'Bearer' };
}

export type RevokeOutcome = 'revoked' | 'not-a-valid-token' | 'other-client';

/**
 * RFC 7009 2.1: a client revokes its own tokens. A token that does not verify is answered like a
 * revoked one (2.2: "invalid tokens do not cause an error response"); another client's token is
 * refused, as oidc-provider does for the tokens it stores.
 */
export async function revokeOwnToken(
  ctx: OwnTokenContext,
  token: string,
  callerClientId: string,
): Promise<RevokeOutcome> {
  let claims: Record<string, unknown>;
  try {
    claims = { ...(await ctx.verifier.verify(token)) };
  } catch {
    return 'not-a-valid-token';
  }
  if (claims.client_id !== callerClientId) return 'other-client';
  const record = await revokeJti(ctx.store, {
    jti: claims.jti as string,
    exp: claims.exp as number,
    actor: callerClientId,
    clientId: callerClientId,
  });
  ctx.onRevoked(record);
  return 'revoked';
}
