import {
  type Authorizer,
  compileTokenExtractor,
  type JwtGateError,
  type RequestLike,
  type TokenExtractor,
  type TokenSource,
  toJwtGateError,
  type VerifiedToken,
  type Verifier,
} from '@jwtgate/verify';

/** Authenticates and authorizes one request for a route: the verified token, or a JwtGateError. */
export type Authenticate = (request: RequestLike) => Promise<VerifiedToken>;

export interface RequirementSpec {
  /** Providers whose tokens are accepted; `mode` says whether one or every one is needed. */
  readonly providers: readonly string[];
  readonly mode: 'any' | 'all';
  readonly rolesAny?: readonly string[];
  readonly rolesAll?: readonly string[];
  readonly scopesAny?: readonly string[];
  readonly scopesAll?: readonly string[];
}

/**
 * Compiles a route's `requires` into one function: extract (each provider from its own token
 * sources), verify with the verify core, then check roles and scopes with the provider's roles
 * claim. Nothing here re-checks a token; the verifier decides.
 */
export function compileAuthenticate(
  verifier: Verifier,
  spec: RequirementSpec,
  tokenSources: (provider: string) => readonly TokenSource[] | undefined,
): Authenticate {
  const requirement = {
    rolesAny: spec.rolesAny,
    rolesAll: spec.rolesAll,
    scopesAny: spec.scopesAny,
    scopesAll: spec.scopesAll,
  };
  const steps = spec.providers.map((name) => ({
    name,
    extract: compileTokenExtractor(tokenSources(name)) as TokenExtractor,
    call: { providers: [name] },
    authorize: verifier.compileRequirement(name, requirement) as Authorizer,
  }));

  if (steps.length === 1) {
    const [{ extract, call, authorize }] = steps as [(typeof steps)[0]];
    return async (request) => {
      const verified = await verifier.verify(extract(request), call);
      authorize(verified.claims);
      return verified;
    };
  }

  if (spec.mode === 'all') {
    return async (request) => {
      let first: VerifiedToken | undefined;
      for (const step of steps) {
        const verified = await verifier.verify(step.extract(request), step.call);
        step.authorize(verified.claims);
        first ??= verified;
      }
      return first as VerifiedToken;
    };
  }

  // any: the first provider whose token verifies and satisfies the requirement wins; otherwise
  // the most telling error: a token problem beats "not this provider's issuer", which beats "missing".
  const rank = (code: string) => (code === 'ERR_TOKEN_MISSING' ? 0 : code === 'ERR_ISSUER_MISMATCH' ? 1 : 2);
  return async (request) => {
    let failure: JwtGateError | undefined;
    for (const step of steps) {
      try {
        const verified = await verifier.verify(step.extract(request), step.call);
        step.authorize(verified.claims);
        return verified;
      } catch (err) {
        const e = toJwtGateError(err);
        if (failure === undefined || rank(e.code) > rank(failure.code)) failure = e;
      }
    }
    throw failure as JwtGateError;
  };
}
