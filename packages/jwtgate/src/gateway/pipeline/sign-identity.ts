import type { CompiledRoute } from '../config/compile-gateway.ts';
import type { Denial, RequestState } from './request-state.ts';

/**
 * Step: on a route with `signed_identity`, the gateway's own short-lived token for the upstream
 * in the configured header (after upstreamHeaders removed any client copy of it). From the cache
 * at once for a token seen recently (no promise, the runner stays synchronous); signed otherwise.
 */
export function signIdentity(s: RequestState): Denial | undefined | Promise<undefined> {
  const route = s.route as CompiledRoute;
  const signer = route.signedIdentity;
  if (signer === null || s.identity === undefined) return undefined;
  const headers = s.headers as Record<string, string>;
  const out = signer.mint(s.identity, signer.tokenOf(s.identity.provider, s.req));
  if (typeof out === 'string') {
    headers[signer.header] = out;
    return undefined;
  }
  return out.then((jwt) => {
    headers[signer.header] = jwt;
    return undefined;
  });
}
