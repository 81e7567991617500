import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { JwtGateError, toErrorResponse, type VerifiedToken } from '@jwtgate/verify';
import type { Logger } from 'pino';
import type { CompiledGateway, CompiledRoute } from './config/compile-gateway.ts';
import { GatewayError } from './errors.ts';
import type { GatewayMetrics } from './observe/metrics.ts';
import {
  classifyUpstreamError,
  copyRequestHeaders,
  forward,
  isConnectFailure,
  withoutCookies,
} from './pipeline/forward.ts';

export interface HandlerContext {
  readonly current: () => CompiledGateway;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly now: () => number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Paths are matched as sent; dot segments and backslashes (which upstreams may resolve differently) are refused. */
const UNSAFE_PATH = /(^|\/)(\.|%2e){1,2}(\/|$)|\\|%2f|%5c|\/\//i;

export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

function sendJson(res: ServerResponse, status: number, headers: Record<string, string>, body: object): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

export function sendGatewayError(res: ServerResponse, err: GatewayError, requestId: string): void {
  sendJson(
    res,
    err.status,
    { ...err.headers, 'x-request-id': requestId },
    {
      error: err.code,
      message: err.message,
      request_id: requestId,
    },
  );
}

/** Rewrites the path for the upstream: strip the route prefix, prepend the target's base path. */
function upstreamPath(route: CompiledRoute, basePath: string, path: string, query: string): string {
  let p = path;
  if (route.stripPrefix !== null && p.startsWith(route.stripPrefix)) {
    p = p.slice(route.stripPrefix.length);
    if (!p.startsWith('/')) p = `/${p}`;
  }
  return basePath + p + query;
}

/** The client address as the gateway saw it (X-Forwarded-For is appended, not trusted, unless configured). */
function forwardedFor(req: IncomingMessage, trust: boolean): string {
  const peer = req.socket.remoteAddress ?? '';
  const prior = req.headers['x-forwarded-for'];
  return trust && typeof prior === 'string' && prior !== '' ? `${prior}, ${peer}` : peer;
}

/**
 * One request through the pipeline: match a route (deny by default) -> authenticate and
 * authorize with the verify core -> rate limit -> set identity headers (client copies removed)
 * -> forward. Every outcome is logged once with its reason code; no token is ever logged.
 */
export function createRequestHandler(ctx: HandlerContext) {
  const { log, metrics, now } = ctx;

  function finish(
    req: IncomingMessage,
    route: string,
    status: number,
    reason: string,
    started: number,
    requestId: string,
    verified: VerifiedToken | undefined,
  ) {
    metrics.request(route, status);
    log.info({
      request_id: requestId,
      method: req.method,
      path: req.url,
      route,
      status,
      reason,
      sub: verified?.claims.sub,
      latency_ms: Math.round((performance.now() - started) * 100) / 100,
    });
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const g = ctx.current();
    const requestId = requestIdOf(req);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q);
    const method = req.method ?? 'GET';

    if (!path.startsWith('/') || UNSAFE_PATH.test(path)) {
      sendJson(
        res,
        400,
        { 'x-request-id': requestId },
        {
          error: 'ERR_PATH_INVALID',
          message: 'The request path is not acceptable',
          request_id: requestId,
        },
      );
      finish(req, '-', 400, 'ERR_PATH_INVALID', started, requestId, undefined);
      return;
    }
    const match = g.match(method, path);
    if (match.route === null) {
      const err =
        match.allowed === null
          ? new GatewayError('ERR_ROUTE_NOT_FOUND')
          : new GatewayError('ERR_METHOD_NOT_ALLOWED', { headers: { allow: match.allowed.join(', ') } });
      sendGatewayError(res, err, requestId);
      metrics.decision('deny', err.code);
      finish(req, '-', err.status, err.code, started, requestId, undefined);
      return;
    }
    const route = match.route;
    let verified: VerifiedToken | undefined;
    if (route.authenticate !== null) {
      try {
        verified = await route.authenticate(req);
      } catch (error) {
        const err =
          error instanceof JwtGateError
            ? error
            : new JwtGateError('ERR_INTERNAL', undefined, { cause: error });
        if (err.code === 'ERR_INTERNAL')
          log.error({ request_id: requestId, err: err.cause }, 'verification failed unexpectedly');
        const r = toErrorResponse(err, { requestId });
        sendJson(res, r.status, { ...r.headers, 'x-request-id': requestId }, r.body);
        metrics.decision('deny', err.code);
        finish(req, route.name, r.status, err.code, started, requestId, undefined);
        return;
      }
      if (route.rateLimit !== null) {
        const key = verified.claims[route.rateLimit.per];
        const wait = route.rateLimit.limiter.take(typeof key === 'string' ? key : '', now());
        if (wait > 0) {
          sendGatewayError(
            res,
            new GatewayError('ERR_RATE_LIMITED', { headers: { 'retry-after': String(wait) } }),
            requestId,
          );
          metrics.decision('deny', 'ERR_RATE_LIMITED');
          finish(req, route.name, 429, 'ERR_RATE_LIMITED', started, requestId, verified);
          return;
        }
      }
      metrics.decision('allow', 'OK');
    }

    const headers = copyRequestHeaders(
      req.headers,
      (name) =>
        route.dropHeaders.has(name) || g.reservedHeaders.has(name) || name.startsWith(g.reservedPrefix),
    ) as Record<string, string>;
    if (verified !== undefined) route.identity(verified.claims, headers);
    if (route.dropCookies.size > 0 && headers.cookie !== undefined) {
      const cookie = withoutCookies(headers.cookie, route.dropCookies);
      if (cookie === '') delete headers.cookie;
      else headers.cookie = cookie;
    }
    headers['x-request-id'] = requestId;
    headers['x-forwarded-for'] = forwardedFor(req, g.trustForwarded);
    if (!g.trustForwarded || headers['x-forwarded-proto'] === undefined)
      headers['x-forwarded-proto'] = 'http';
    if (!g.trustForwarded || headers['x-forwarded-host'] === undefined) {
      const host = req.headers.host;
      if (host !== undefined) headers['x-forwarded-host'] = host;
    }

    const target = route.upstream.pick(now());
    const sent = performance.now();
    try {
      const status = await forward(req, res, {
        target,
        method,
        path: upstreamPath(route, target.basePath, path, query),
        headers,
        timeoutMs: route.timeoutMs,
        maxBodyBytes: route.maxBodyBytes,
        requestId,
      });
      metrics.upstream(route.name, (performance.now() - sent) / 1000);
      finish(req, route.name, status, 'OK', started, requestId, verified);
    } catch (error) {
      if (isConnectFailure(error)) route.upstream.markDown(target, now());
      const err = classifyUpstreamError(error);
      if (res.headersSent) {
        // The response had started: the only honest signal left is to cut the connection.
        res.destroy();
        finish(req, route.name, res.statusCode, 'ERR_UPSTREAM_ABORTED', started, requestId, verified);
        return;
      }
      if (err.code === 'ERR_BODY_TOO_LARGE') res.setHeader('connection', 'close');
      sendGatewayError(res, err, requestId);
      log.warn(
        { request_id: requestId, route: route.name, code: (error as { code?: string })?.code },
        err.message,
      );
      finish(req, route.name, err.status, err.code, started, requestId, verified);
    }
  };
}
