import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VerifiedToken } from '@jwtgate/verify';
import type { Logger } from 'pino';
import type { CompiledGateway } from './config/compile-gateway.ts';
import type { GatewayError } from './errors.ts';
import type { GatewayMetrics } from './observe/metrics.ts';
import { classifyUpstreamError, forward, isConnectFailure } from './pipeline/forward.ts';
import { type Denial, prepareUpstream, requestIdOf } from './pipeline/prepare-upstream.ts';

export interface HandlerContext {
  readonly current: () => CompiledGateway;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  readonly now: () => number;
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

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The path without its query: a query may carry a token, and logs never do. */
function logPath(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * One request through the pipeline (prepareUpstream: match, authenticate, authorize, rate
 * limit, identity headers), then forwarded. Every outcome is logged once with its reason code.
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
      path: logPath(req),
      route,
      status,
      reason,
      sub: verified?.claims.sub,
      latency_ms: Math.round((performance.now() - started) * 100) / 100,
    });
  }

  function deny(req: IncomingMessage, res: ServerResponse, d: Denial, started: number, requestId: string) {
    if (d.cause !== undefined)
      log.error({ request_id: requestId, err: d.cause }, 'verification failed unexpectedly');
    // A body the client is still sending would be read and thrown away: close instead.
    const headers = hasBody(req) ? { ...d.headers, connection: 'close' } : d.headers;
    sendJson(res, d.status, headers, d.body);
    metrics.decision('deny', d.reason);
    finish(req, d.route, d.status, d.reason, started, requestId, d.verified);
  }

  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const requestId = requestIdOf(req);
    const prepared = await prepareUpstream(req, ctx.current(), requestId, now);
    if (!prepared.ok) return deny(req, res, prepared, started, requestId);
    const { route, verified, target } = prepared;
    if (route.authenticate !== null) metrics.decision('allow', 'OK');
    const sent = performance.now();
    try {
      const status = await forward(req, res, {
        target,
        method: req.method ?? 'GET',
        path: prepared.path,
        headers: prepared.headers,
        timeoutMs: route.timeoutMs,
        maxBodyBytes: route.maxBodyBytes,
        requestId,
      });
      metrics.upstream(route.name, (performance.now() - sent) / 1000);
      finish(req, route.name, status, 'OK', started, requestId, verified);
    } catch (error) {
      if (res.destroyed && !res.writableFinished) {
        // The client left first (nginx logs this as 499): nothing to answer, the upstream is fine.
        finish(req, route.name, 499, 'CLIENT_CLOSED', started, requestId, verified);
        return;
      }
      if (isConnectFailure(error)) route.upstream.markDown(target, now());
      const err: GatewayError = classifyUpstreamError(error);
      if (res.headersSent) {
        // The response had started: the only honest signal left is to cut the connection.
        res.destroy();
        finish(req, route.name, res.statusCode, 'ERR_UPSTREAM_ABORTED', started, requestId, verified);
        return;
      }
      const headers: Record<string, string> = { ...err.headers, 'x-request-id': requestId };
      if (err.code === 'ERR_BODY_TOO_LARGE') headers.connection = 'close';
      sendJson(res, err.status, headers, { error: err.code, message: err.message, request_id: requestId });
      log.warn(
        { request_id: requestId, route: route.name, code: (error as { code?: string })?.code },
        err.message,
      );
      finish(req, route.name, err.status, err.code, started, requestId, verified);
    }
  };
}
