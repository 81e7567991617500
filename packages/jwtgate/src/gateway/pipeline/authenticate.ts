import {
  compileTokenExtractor,
  type DpopCredentials,
  type DpopRequestLike,
  type JwtGateError,
  readDpopCredentials,
  type TokenExtractor,
  type TokenSource,
  toJwtGateError,
  usesDpopScheme,
  type VerifiedToken,
  type Verifier,
  type VerifyCallOptions,
} from '@jwtgate/verify';
import { tracing } from '../../lib/tracing/tracing.ts';
import type { CompiledRoute } from '../config/compile-gateway.ts';
import { GatewayError } from '../errors.ts';
import { clientOrigin } from '../headers/client-origin.ts';
import { traceVerify } from '../observe/request-spans.ts';
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
 * once: a cached token, its proof checked), a promise of it, or a JwtGateError thrown or rejected;
 * undefined only on a route with `requires.optional` when the request carries no token at all.
 */
export type Authenticate = (request: DpopRequestLike) => Identity | undefined | Promise<Identity | undefined>;

interface ProviderStep {
  readonly extract: TokenExtractor;
  readonly call: { readonly providers: readonly string[] };
}

/**
 * Compiles how a route authenticates: each provider's token read from its own sources, or from
 * `Authorization: DPoP` with its proof (checked against the URL the client used, `originOf`),
 * verified by the verify core (nothing here re-checks a token or a proof). `any`: the first
 * provider (in the order listed) whose token verifies is the identity; `all`: every provider's
 * token must verify. Roles, scopes and sign-in methods are the authorize step's.
 */
export function compileAuthenticate(
  verifier: Verifier,
  providers: readonly string[],
  mode: 'any' | 'all',
  tokenSources: (provider: string) => readonly TokenSource[] | undefined,
  originOf: (request: DpopRequestLike) => string = (request) => clientOrigin(request, false),
): (request: DpopRequestLike) => Identity | Promise<Identity> {
  const steps: ProviderStep[] = providers.map((name) => ({
    extract: compileTokenExtractor(tokenSources(name)) as TokenExtractor,
    call: { providers: [name] },
  }));
  // RFC 9449 7.1: a DPoP request carries its token in Authorization, whatever the provider's
  // token sources say; its proof is bound to this request's method and URL.
  const verifyStep = (
    step: ProviderStep,
    request: DpopRequestLike,
  ): VerifiedToken | Promise<VerifiedToken> => {
    if (!usesDpopScheme(request)) return verifier.verifyNow(step.extract(request), step.call);
    const dpop = readDpopCredentials(request, originOf(request)) as DpopCredentials;
    const call: VerifyCallOptions = { ...step.call, dpop: dpop.presentation };
    return verifier.verifyNow(dpop.token, call);
  };

  if (steps.length === 1) {
    const step = steps[0] as ProviderStep;
    return (request) => verifyStep(step, request);
  }

  if (mode === 'all') {
    return async (request) => {
      const verified: VerifiedToken[] = [];
      for (const step of steps) verified.push(await verifyStep(step, request));
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
        return await verifyStep(step, request);
      } catch (err) {
        const e = toJwtGateError(err);
        if (failure === undefined || rank(e.code) > rank(failure.code)) failure = e;
      }
    }
    throw failure as JwtGateError;
  };
}

/**
 * `requires.optional`: a request that carries no token for any of the route's providers goes on
 * without identity. One that carries a token, valid or not, is authenticated as usual: a bad
 * token is still 401, never quietly anonymous.
 */
export function allowAnonymous(
  authenticate: Authenticate,
  tokenSources: readonly (readonly TokenSource[] | undefined)[],
): Authenticate {
  const extractors = tokenSources.map((s) => compileTokenExtractor(s) as TokenExtractor);
  const carriesNone = (request: DpopRequestLike) =>
    extractors.every((extract) => {
      try {
        extract(request);
        return false;
      } catch (err) {
        return toJwtGateError(err).code === 'ERR_TOKEN_MISSING';
      }
    });
  return (request) => (carriesNone(request) ? undefined : authenticate(request));
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
  let verified: Identity | undefined | Promise<Identity | undefined>;
  try {
    verified =
      t === null
        ? authenticateRoute(s.req)
        : traceVerify(
            t,
            s,
            () => s.g.verifier.stats().hits,
            () => {
              // Run now (a cache hit is seen by the span), settled as a promise either way.
              try {
                return Promise.resolve(authenticateRoute(s.req));
              } catch (err) {
                return Promise.reject(err);
              }
            },
          );
  } catch (error) {
    return tokenDenial(s, toJwtGateError(error));
  }
  if (!(verified instanceof Promise)) {
    // A cached token: no promise, no microtask; the verifier re-checked expiry, revocation, key
    // and the DPoP proof.
    s.identity = verified;
    return undefined;
  }
  return verified.then(
    (identity) => {
      s.identity = identity;
      return undefined;
    },
    (error: unknown) => tokenDenial(s, toJwtGateError(error)),
  );
}
