import { randomUUID } from 'node:crypto';
import { compileClaimPath, type JwtClaims, type RequestLike } from '@jwtgate/verify';
import { SignJWT } from 'jose';
import type { Identity } from '../pipeline/authenticate.ts';
import type { IdentityKeys } from './identity-keys.ts';

/** The `typ` of a signed identity token (RFC 8725 3.11: explicit typing), for `token_types`. */
export const IDENTITY_TOKEN_TYPE = 'jwtgate-identity+jwt';

export interface SignedIdentitySpec {
  /** The header the upstream reads it from (lower case). */
  readonly header: string;
  readonly issuer: string;
  readonly audience: string;
  readonly lifetimeSeconds: number;
  /** The roles claim path of each provider (its `roles_claim`). */
  readonly rolesClaim: (provider: string) => string;
  readonly keys: IdentityKeys;
  /** Tokens kept for reuse on this route at most; the oldest goes first. */
  readonly maxEntries: number;
  readonly now: () => number;
  /** The client's token as the provider that verified it reads it (the cache key). */
  readonly tokenOf: (provider: string, request: RequestLike) => string;
}

/** One route's signed identity, compiled once. */
export interface SignedIdentity {
  readonly header: string;
  readonly tokenOf: (provider: string, request: RequestLike) => string;
  /** The token for the upstream: from the cache when one for `token` is still fresh, else signed. */
  mint(identity: Identity, token: string): string | Promise<string>;
}

interface Minted {
  readonly jwt: string | Promise<string>;
  /** Reused until then (ms): shortly before it expires. */
  readonly refreshAt: number;
}

function scopeOf(claims: JwtClaims): string | undefined {
  if (typeof claims.scope === 'string') return claims.scope;
  if (Array.isArray(claims.scp)) return claims.scp.filter((s) => typeof s === 'string').join(' ');
  return typeof claims.scp === 'string' ? claims.scp : undefined;
}

/**
 * Compiles a route's signed identity (what Oathkeeper's id_token mutator does): a short-lived JWT
 * of the gateway's own, signed with its current key, saying who the caller is: `sub`, `roles`,
 * `scope`, `client_id`, the original issuer as `orig_iss` and, for delegated tokens, `act`. Minted
 * once per (token, route) and reused until shortly before it expires, never past the client token's
 * own `exp`; the cache is bounded (`maxEntries`, oldest out first).
 */
export function compileSignedIdentity(spec: SignedIdentitySpec): SignedIdentity {
  const { issuer, audience, lifetimeSeconds, keys, now, maxEntries } = spec;
  const roles = new Map<string, (claims: JwtClaims) => unknown>();
  const rolesOf = (identity: Identity) => {
    let read = roles.get(identity.provider);
    if (read === undefined) {
      read = compileClaimPath(spec.rolesClaim(identity.provider));
      roles.set(identity.provider, read);
    }
    const value = read(identity.claims);
    return Array.isArray(value) ? value.filter((r) => typeof r === 'string') : undefined;
  };
  // Refreshed a tenth of its lifetime before expiry (at least a second): an upstream whose clock
  // is a little ahead still accepts it.
  const margin = Math.max(1000, lifetimeSeconds * 100);
  const cache = new Map<string, Minted>();

  async function sign(identity: Identity, exp: number): Promise<string> {
    const c = identity.claims;
    const key = keys.current();
    const iat = Math.floor(now() / 1000);
    const clientId =
      typeof c.client_id === 'string' ? c.client_id : typeof c.azp === 'string' ? c.azp : undefined;
    return new SignJWT({
      ...(typeof c.sub === 'string' ? { sub: c.sub } : {}),
      ...(rolesOf(identity) ? { roles: rolesOf(identity) } : {}),
      ...(scopeOf(c) !== undefined ? { scope: scopeOf(c) } : {}),
      ...(clientId !== undefined ? { client_id: clientId } : {}),
      orig_iss: c.iss,
      ...(c.act !== undefined ? { act: c.act } : {}),
      // The client's token was DPoP-bound and came with a valid proof (RFC 9449).
      ...(identity.binding !== undefined ? { token_binding: identity.binding.type } : {}),
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: IDENTITY_TOKEN_TYPE })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(key.key);
  }

  return Object.freeze({
    header: spec.header,
    tokenOf: spec.tokenOf,
    mint(identity: Identity, token: string): string | Promise<string> {
      const t = now();
      const hit = cache.get(token);
      if (hit !== undefined && t < hit.refreshAt) return hit.jwt;
      const tokenExp =
        typeof identity.claims.exp === 'number' ? identity.claims.exp : Number.POSITIVE_INFINITY;
      const exp = Math.min(Math.floor(t / 1000) + lifetimeSeconds, tokenExp);
      const pending = sign(identity, exp);
      if (cache.size >= maxEntries) {
        if (hit !== undefined) cache.delete(token);
        else cache.delete(cache.keys().next().value as string);
      }
      const refreshAt = exp * 1000 - margin;
      cache.set(token, { jwt: pending, refreshAt });
      return pending.then(
        (jwt) => {
          if (cache.get(token)?.jwt === pending) cache.set(token, { jwt, refreshAt });
          return jwt;
        },
        (err: unknown) => {
          if (cache.get(token)?.jwt === pending) cache.delete(token);
          throw err;
        },
      );
    },
  });
}
