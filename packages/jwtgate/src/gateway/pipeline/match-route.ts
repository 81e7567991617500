import { GatewayError } from '../errors.ts';
import { type Denial, gatewayDenial, type RequestState } from './request-state.ts';

/** Step: the one route for the method, host and path (the most specific); none is 404 (deny by default), another method 405 with Allow. */
export function matchRoute(s: RequestState): Denial | undefined {
  const match = s.g.match(s.req.method ?? 'GET', s.host, s.path);
  if (match.route !== null) {
    s.route = match.route;
    return undefined;
  }
  const err =
    match.allowed === null
      ? new GatewayError('ERR_ROUTE_NOT_FOUND')
      : new GatewayError('ERR_METHOD_NOT_ALLOWED', { headers: { allow: match.allowed.join(', ') } });
  return gatewayDenial(s, err);
}
