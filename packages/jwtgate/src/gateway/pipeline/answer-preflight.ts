import { GATEWAY_ERROR_CODES } from '../errors.ts';
import type { Denial, RequestState } from './request-state.ts';

/**
 * Step: a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) for a
 * route with CORS is answered here, before any authentication: a browser sends no credentials
 * with it. The route is the one the real request would take (its method is the one asked for).
 * Allowed: 204 with the CORS headers (reason CORS_PREFLIGHT); refused: 403 without them, with
 * the reason in the access log. Anything else goes on.
 */
export function answerPreflight(s: RequestState): Denial | undefined {
  const req = s.req;
  if (req.method !== 'OPTIONS' || s.res === null) return undefined;
  const origin = req.headers.origin;
  const asked = req.headers['access-control-request-method'];
  if (origin === undefined || typeof asked !== 'string') return undefined;
  const route = s.g.match(asked, s.host, s.path).route;
  if (route === null || route.cors === null) return undefined;
  s.route = route;
  const requested = req.headers['access-control-request-headers'];
  const answer = route.cors.preflight(origin, asked, requested);
  const headers = { ...answer.headers, 'x-request-id': s.requestId };
  if (answer.ok)
    return { ok: false, status: 204, reason: 'CORS_PREFLIGHT', headers, body: {}, preflight: true };
  const { status, message } = GATEWAY_ERROR_CODES[answer.code];
  return {
    ok: false,
    status,
    reason: answer.code,
    headers,
    body: { error: answer.code, message, request_id: s.requestId },
    preflight: true,
  };
}
