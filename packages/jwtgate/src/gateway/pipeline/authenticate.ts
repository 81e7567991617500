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
import { tracing } from '../../lib/tracing/tracing.ts';
import type { CompiledRoute } from '../config/compile-gateway.ts';
import { GatewayError } from '../errors.ts';
import { traceVerify } from '../observe/request-spans.ts';
import { type Denial, gatewayDenial, type RequestState, tokenDenial } from './request-state.ts';

/**
 * Who the request is: the verified token of the route's provider. With `requires.all`, the first
 * provider's token, and in `also` every other provider's (each is authorized too).
 */
export interface Identity extends VerifiedToken {
  readonly also?: readonly VerifiedToken[];
}

/** Authenticates one request for a route: its identity, or a JwtGateError. */
export type Authenticate = (request: RequestLike) => Promise<Identity>;

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
    return (request) => {
      try {
        return verifier.verify(extract(request), call);
      } catch (err) {
        return Promise.reject(err);
      }
    };
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
  const authenticateRoute = route.authenticate;
  if (authenticateRoute === null) return undefined;
  if (s.g.refusing()) return gatewayDenial(s, new GatewayError('ERR_REDIS_UNAVAILABLE'));
  const t = s.trace === null ? null : tracing();
  const verified =
    t === null
      ? authenticateRoute(s.req)
      : traceVerify(
          t,
          s,
          () => s.g.verifier.stats().hits,
          () => authenticateRoute(s.req),
        );
  return verified.then(
    (identity) => {
      s.identity = identity;
      return undefined;
    },
    (error: unknown) => tokenDenial(s, toJwtGateError(error)),
  );
}
