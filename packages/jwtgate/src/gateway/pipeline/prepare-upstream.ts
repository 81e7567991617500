import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { type JwtGateError, toErrorResponse, toJwtGateError, type VerifiedToken } from '@jwtgate/verify';
import type { CompiledGateway, CompiledRoute } from '../config/compile-gateway.ts';
import { GatewayError } from '../errors.ts';
import type { Target } from '../upstream/upstream-targets.ts';
import { copyRequestHeaders, withoutCookies } from './forward.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Paths are matched as sent, so anything an upstream could resolve to another path is refused:
 * dot segments (also percent-encoded, and `..;` which Java servers resolve), `;` parameters,
 * backslashes, encoded slashes, NUL, empty segments, and a fragment (RFC 9112 3.2: never in a
 * request-target; an upstream that drops it would see a path the routes did not match).
 */
const UNSAFE_PATH = /(^|\/)(\.|%2e){1,2}(\/|;|$)|;|%3b|\\|%2f|%5c|%00|\/\/|#/i;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/** What to send upstream, once the request has passed every check. */
export interface Forwarding {
  readonly ok: true;
  readonly route: CompiledRoute;
  readonly verified: VerifiedToken | undefined;
  readonly target: Target;
  /** Upstream path with query, the token's query parameter removed unless forwarded. */
  readonly path: string;
  readonly headers: Record<string, string>;
}

/** A request that stops at the gateway: the answer, and the reason code for logs and metrics. */
export interface Denial {
  readonly ok: false;
  readonly route: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: Record<string, string>;
  readonly body: object;
  readonly verified: VerifiedToken | undefined;
  /** Set for ERR_INTERNAL: the original error, for the log only. */
  readonly cause?: unknown;
}

function gatewayDenial(
  route: string,
  err: GatewayError,
  requestId: string,
  verified?: VerifiedToken,
): Denial {
  return {
    ok: false,
    route,
    status: err.status,
    reason: err.code,
    headers: { ...err.headers, 'x-request-id': requestId },
    body: { error: err.code, message: err.message, request_id: requestId },
    verified,
  };
}

function tokenDenial(route: CompiledRoute, error: JwtGateError, requestId: string): Denial {
  const r = toErrorResponse(error, { requestId, ...(route.scope ? { scope: route.scope } : {}) });
  return {
    ok: false,
    route: route.name,
    status: r.status,
    reason: error.code,
    headers: { ...r.headers, 'x-request-id': requestId },
    body: r.body,
    verified: undefined,
    ...(error.code === 'ERR_INTERNAL' ? { cause: error.cause } : {}),
  };
}

/** The path the upstream sees: the route prefix stripped, the target's base path prepended. */
function upstreamPath(route: CompiledRoute, target: Target, path: string, query: string): string {
  let p = path;
  if (route.stripPrefix !== null && p.startsWith(route.stripPrefix)) {
    p = p.slice(route.stripPrefix.length);
    if (!p.startsWith('/')) p = `/${p}`;
  }
  if (query !== '' && route.dropQuery.size > 0) {
    const params = new URLSearchParams(query.slice(1));
    for (const name of route.dropQuery) params.delete(name);
    const rest = params.toString();
    query = rest === '' ? '' : `?${rest}`;
  }
  return target.basePath + p + query;
}

/**
 * Everything between "a request arrived" and "send it upstream", shared by plain requests and
 * WebSocket upgrades: path safety -> route match (deny by default) -> authenticate and
 * authorize with the verify core -> rate limit -> upstream headers (client copies of identity
 * and forwarding headers removed, identity set from claims) -> target and path.
 */
export async function prepareUpstream(
  req: IncomingMessage,
  g: CompiledGateway,
  requestId: string,
  now: () => number,
): Promise<Forwarding | Denial> {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q);
  if (!path.startsWith('/') || UNSAFE_PATH.test(path)) {
    return gatewayDenial('-', new GatewayError('ERR_PATH_INVALID'), requestId);
  }
  const match = g.match(req.method ?? 'GET', path);
  if (match.route === null) {
    const err =
      match.allowed === null
        ? new GatewayError('ERR_ROUTE_NOT_FOUND')
        : new GatewayError('ERR_METHOD_NOT_ALLOWED', { headers: { allow: match.allowed.join(', ') } });
    return gatewayDenial('-', err, requestId);
  }
  const route = match.route;
  let verified: VerifiedToken | undefined;
  if (route.authenticate !== null) {
    if (g.refusing()) return gatewayDenial(route.name, new GatewayError('ERR_REDIS_UNAVAILABLE'), requestId);
    try {
      verified = await route.authenticate(req);
    } catch (error) {
      return tokenDenial(route, toJwtGateError(error), requestId);
    }
    if (route.rateLimit !== null) {
      const key = verified.claims[route.rateLimit.per];
      let wait: number;
      try {
        wait = await route.rateLimit.limiter.take(typeof key === 'string' ? key : '', now());
      } catch (error) {
        if (error instanceof GatewayError) return gatewayDenial(route.name, error, requestId, verified);
        throw error;
      }
      if (wait > 0) {
        const err = new GatewayError('ERR_RATE_LIMITED', { headers: { 'retry-after': String(wait) } });
        return gatewayDenial(route.name, err, requestId, verified);
      }
    }
  }

  const headers = copyRequestHeaders(req.headers, route.dropRequestHeader) as Record<string, string>;
  if (verified !== undefined) route.identity(verified.claims, headers);
  if (route.dropCookies.size > 0 && headers.cookie !== undefined) {
    const cookie = withoutCookies(headers.cookie, route.dropCookies);
    if (cookie === '') delete headers.cookie;
    else headers.cookie = cookie;
  }
  headers['x-request-id'] = requestId;
  // Forwarding headers: the client's are kept (and appended to) only behind a trusted proxy.
  const peer = req.socket.remoteAddress ?? '';
  const prior = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = g.trustForwarded && prior ? `${prior}, ${peer}` : peer;
  if (!g.trustForwarded || headers['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = 'http';
  if ((!g.trustForwarded || headers['x-forwarded-host'] === undefined) && req.headers.host !== undefined) {
    headers['x-forwarded-host'] = req.headers.host;
  }
  const target = route.upstream.pick(now());
  return { ok: true, route, verified, target, path: upstreamPath(route, target, path, query), headers };
}
