import { type Authorizer, type Requirement, toJwtGateError, type Verifier } from '@jwtgate/verify';
import type { CompiledRoute } from '../config/compile-gateway.ts';
import type { Identity } from './authenticate.ts';
import { type Denial, type RequestState, tokenDenial } from './request-state.ts';

/** Checks the route's roles, scopes and delegation chain on an identity; throws ERR_INSUFFICIENT_ROLE / _SCOPE, ERR_DELEGATION_* / ERR_ACTOR_NOT_ALLOWED. */
export type Authorize = (identity: Identity) => void;

/**
 * Compiles a route's roles and scopes into one check, each provider's at its own roles claim
 * (`roles_claim`): the identity's token, and with `requires.all` every other token as well.
 * Null when the route requires no role or scope.
 */
export function compileAuthorize(
  verifier: Verifier,
  providers: readonly string[],
  requirement: Requirement,
): Authorize | null {
  const { rolesAny, rolesAll, scopesAny, scopesAll, delegation } = requirement;
  if (!rolesAny && !rolesAll && !scopesAny && !scopesAll && !delegation) return null;
  const byProvider = new Map<string, Authorizer>(
    providers.map((name) => [name, verifier.compileRequirement(name, requirement)]),
  );
  const check = (provider: string, claims: Identity['claims']) => {
    // The identity's provider is always one of the route's: authentication asked only them.
    (byProvider.get(provider) as Authorizer)(claims);
  };
  return (identity) => {
    check(identity.provider, identity.claims);
    if (identity.also !== undefined) for (const t of identity.also) check(t.provider, t.claims);
  };
}

/** Step: 403 (RFC 6750 insufficient_scope, with the route's scope) when a role or scope is missing. */
export function authorize(s: RequestState): Denial | undefined {
  const check = (s.route as CompiledRoute).authorize;
  if (check === null || s.identity === undefined) return undefined;
  try {
    check(s.identity);
  } catch (error) {
    return tokenDenial(s, toJwtGateError(error));
  }
  return undefined;
}
