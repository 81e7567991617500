import { checkDelegation, compileDelegation } from './check-delegation.ts';
import { type ClaimReader, compileClaimPath, toStringList } from './claim-path.ts';
import { fail } from './errors.ts';
import type { DelegationOptions } from './provider.ts';

/** What a resource requires of a verified token. Empty lists require nothing. */
export interface Requirement {
  readonly rolesAny?: readonly string[];
  readonly rolesAll?: readonly string[];
  readonly scopesAny?: readonly string[];
  readonly scopesAll?: readonly string[];
  /**
   * What this resource accepts of the delegation chain in `act`, besides the provider's own
   * `delegation` (both apply): e.g. a route only service A may call on a user's behalf.
   */
  readonly delegation?: DelegationOptions;
}

/** A compiled requirement: throws ERR_INSUFFICIENT_ROLE / ERR_INSUFFICIENT_SCOPE when unmet. */
export type Authorizer = (claims: Readonly<Record<string, unknown>>) => void;

const readScope = compileClaimPath('scope');
const readScp = compileClaimPath('scp');

/** Roles of a token, read from the provider's roles claim path. */
export function readRoles(claims: Readonly<Record<string, unknown>>, rolesClaim: ClaimReader): string[] {
  return toStringList(rolesClaim(claims));
}

/** Scopes of a token: `scope` (RFC 8693 4.2 / RFC 9068 2.2.3, space-delimited) or `scp` (array). */
export function readScopes(claims: Readonly<Record<string, unknown>>): string[] {
  const scope = readScope(claims);
  return toStringList(scope !== undefined ? scope : readScp(claims));
}

function satisfies(
  have: readonly string[],
  any: readonly string[] | undefined,
  all: readonly string[] | undefined,
) {
  if (any && any.length > 0 && !any.some((r) => have.includes(r))) return false;
  if (all && !all.every((r) => have.includes(r))) return false;
  return true;
}

/**
 * Compiles a role/scope requirement once, against the claim path where roles live.
 *
 * @example
 * const check = compileRequirement({ rolesAny: ['billing', 'admin'] }, 'realm_access.roles');
 * check(verified.claims); // throws JwtGateError ERR_INSUFFICIENT_ROLE when neither role is present
 */
export function compileRequirement(
  requirement: Requirement,
  rolesClaim: string | readonly string[] = 'roles',
): Authorizer {
  const { rolesAny, rolesAll, scopesAny, scopesAll } = requirement;
  const delegation = compileDelegation(requirement.delegation, 'requirement.delegation');
  const needsRoles = (rolesAny?.length ?? 0) + (rolesAll?.length ?? 0) > 0;
  const needsScopes = (scopesAny?.length ?? 0) + (scopesAll?.length ?? 0) > 0;
  const rolesReader = compileClaimPath(rolesClaim);
  return (claims) => {
    if (delegation !== undefined) checkDelegation(delegation, claims);
    if (needsRoles && !satisfies(readRoles(claims, rolesReader), rolesAny, rolesAll)) {
      throw fail('ERR_INSUFFICIENT_ROLE');
    }
    if (needsScopes && !satisfies(readScopes(claims), scopesAny, scopesAll)) {
      throw fail('ERR_INSUFFICIENT_SCOPE', [...(scopesAll ?? []), ...(scopesAny ?? [])].join(' '));
    }
  };
}
