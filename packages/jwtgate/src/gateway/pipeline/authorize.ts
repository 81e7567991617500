import {
  type Authorizer,
  JwtGateError,
  type Requirement,
  toJwtGateError,
  type Verifier,
} from '@jwtgate/verify';
import type { CompiledRoute } from '../config/compile-gateway.ts';
import type { Identity } from './authenticate.ts';
import { type Denial, type RequestState, tokenDenial } from './request-state.ts';

/** Checks the route's roles, scopes, sign-in methods and delegation chain on an identity; throws the verify core's insufficient-role, -scope, -authentication and delegation errors. */
export type Authorize = (identity: Identity) => void;

/**
 * `requires.amr_any`: the identity's token says (RFC 8176 `amr`, an array of method names) the
 * user signed in with one of these methods. RFC 9470 3: otherwise the client is told to have the
 * user sign in again with a stronger method (401 insufficient_user_authentication).
 */
function compileAmrCheck(amrAny: readonly string[]): (claims: Identity['claims']) => void {
  const wanted = new Set(amrAny);
  return (claims) => {
    const amr = claims.amr;
    if (Array.isArray(amr) && amr.some((m) => typeof m === 'string' && wanted.has(m))) return;
    throw new JwtGateError('ERR_INSUFFICIENT_AUTHENTICATION', `amr lacks one of ${amrAny.join(', ')}`);
  };
}

/**
 * Compiles a route's roles and scopes into one check, each provider's at its own roles claim
 * (`roles_claim`): the identity's token, and with `requires.all` every other token as well; and
 * `amr_any` on the identity's token. Null when the route requires none of them.
 */
export function compileAuthorize(
  verifier: Verifier,
  providers: readonly string[],
  requirement: Requirement,
  amrAny?: readonly string[],
): Authorize | null {
  const { rolesAny, rolesAll, scopesAny, scopesAll, delegation } = requirement;
  const amr = amrAny === undefined ? null : compileAmrCheck(amrAny);
  if (!rolesAny && !rolesAll && !scopesAny && !scopesAll && !delegation) {
    return amr === null ? null : (identity) => amr(identity.claims);
  }
  const byProvider = new Map<string, Authorizer>(
    providers.map((name) => [name, verifier.compileRequirement(name, requirement)]),
  );
  const check = (provider: string, claims: Identity['claims']) => {
    // The identity's provider is always one of the route's: authentication asked only them.
    (byProvider.get(provider) as Authorizer)(claims);
  };
  return (identity) => {
    amr?.(identity.claims);
    check(identity.provider, identity.claims);
    if (identity.also !== undefined) for (const t of identity.also) check(t.provider, t.claims);
  };
}

/**
 * Step: 403 (RFC 6750 insufficient_scope, with the route's scope) when a role or scope is
 * missing; 401 insufficient_user_authentication when the sign-in method is not one required.
 */
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
