import {
  compileTokenExtractor,
  type JwtGateError,
  type RequestLike,
  type TokenExtractor,
  type TokenSource,
  toJwtGateError,
  type VerifiedToken,
  type Verifier,
} from '@jwtgate/verify';
import type { CompiledRoute } from '../config/compile-gateway.ts';
import { GatewayError } from '../errors.ts';
import { type Denial, gatewayDenial, type RequestState, tokenDenial } from './request-state.ts';

/**
 * Who the request is: the verified token of the route's provider. With `requires.all`, the first
 * provider's token, and in `also` every other provider's (each is authorized too).
 */
export interface Identity extends VerifiedToken {
  readonly also?: readonly VerifiedToken[];
}

/**
 * Authenticates one request for a route: its identity (at once when the verifier can answer at
 * once: a cached token), a promise of it, or a JwtGateError thrown or rejected.
 */
export type Authenticate = (request: RequestLike) => Identity | Promise<Identity>;

/**
 * Compiles how a route authenticates: each provider's token read from its own sources, verified
 * by the verify core (nothing here re-checks a token). `any`: the first provider (in the order
 * listed) whose token verifies is the identity; `all`: every provider's token must verify.
 * Roles and scopes are the authorize step's.
 */
export function compileAuthenticate(
  verifier: Verifier,
  providers: readonly string[],
  mode: 'any' | 'all',
  tokenSources: (provider: string) => readonly TokenSource[] | undefined,
): Authenticate {
  const steps = providers.map((name) => ({
    extract: compileTokenExtractor(tokenSources(name)) as TokenExtractor,
    call: { providers: [name] },
  }));

  if (steps.length === 1) {
    const [{ extract, call }] = steps as [(typeof steps)[0]];
    return (request) => verifier.verifyNow(extract(request), call);
  }

  if (mode === 'all') {
    return async (request) => {
      const verified: VerifiedToken[] = [];
      for (const step of steps) verified.push(await verifier.verify(step.extract(request), step.call));
      const [first, ...also] = verified as [VerifiedToken, ...VerifiedToken[]];
      return { ...first, also };
    };
  }

  // any: otherwise the most telling error: a token problem beats "not this provider's issuer",
  // which beats "missing".
  const rank = (code: string) => (code === 'ERR_TOKEN_MISSING' ? 0 : code === 'ERR_ISSUER_MISMATCH' ? 1 : 2);
  return async (request) => {
    let failure: JwtGateError | undefined;
    for (const step of steps) {
      try {
        return await verifier.verify(step.extract(request), step.call);
      } catch (err) {
        const e = toJwtGateError(err);
        if (failure === undefined || rank(e.code) > rank(failure.code)) failure = e;
      }
    }
    throw failure as JwtGateError;
  };
}

/**
 * Step: authenticates on a protected route (public routes pass without looking at any token).
 * With Redis down and `on_failure: closed`, protected routes answer 503 first.
 */
export function authenticate(s: RequestState): Denial | undefined | Promise<Denial | undefined> {
  const route = s.route as CompiledRoute;
  if (route.authenticate === null) return undefined;
  if (s.g.refusing()) return gatewayDenial(s, new GatewayError('ERR_REDIS_UNAVAILABLE'));
  let out: Identity | Promise<Identity>;
  try {
    out = route.authenticate(s.req);
  } catch (error) {
    return tokenDenial(s, toJwtGateError(error));
  }
  if (!(out instanceof Promise)) {
    // A cached token: no promise, no microtask; the verifier re-checked expiry, revocation and key.
    s.identity = out;
    return undefined;
  }
  return out.then(
    (identity) => {
      s.identity = identity;
      return undefined;
    },
    (error: unknown) => tokenDenial(s, toJwtGateError(error)),
  );
}
