import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { CompiledGateway, CompiledRoute } from './config/compile-gateway.ts';
import type { GatewayError } from './errors.ts';
import type { GatewayMetrics } from './observe/metrics.ts';
import { createOutcomeRecorder } from './observe/record-outcome.ts';
import { classifyUpstreamError, forward, hasBody, isConnectFailure } from './pipeline/forward.ts';
import { type Denial, RequestState } from './pipeline/request-state.ts';
import { type Continuation, PIPELINE, runPipeline } from './pipeline/run-pipeline.ts';

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

/**
 * Plain requests: the pipeline (runPipeline), then forward. Every outcome is logged and counted
 * once (createOutcomeRecorder) with its reason code.
 */
export function createRequestHandler(ctx: HandlerContext) {
  const { log, metrics, now } = ctx;
  const record = createOutcomeRecorder(log, metrics);

  function failed(s: RequestState, error: unknown, target: NonNullable<RequestState['target']>) {
    const res = s.res as ServerResponse;
    const route = s.route as CompiledRoute;
    if (res.destroyed && !res.writableFinished) {
      // The client left first (nginx logs this as 499): nothing to answer, the upstream is fine.
      return record.finished(s, 499, 'CLIENT_CLOSED');
    }
    if (isConnectFailure(error)) route.upstream.markDown(target, now());
    const err: GatewayError = classifyUpstreamError(error);
    if (res.headersSent) {
      // The response had started: the only honest signal left is to cut the connection.
      res.destroy();
      return record.finished(s, res.statusCode, 'ERR_UPSTREAM_ABORTED');
    }
    const headers: Record<string, string> = { ...err.headers, 'x-request-id': s.requestId };
    if (err.code === 'ERR_BODY_TOO_LARGE') headers.connection = 'close';
    sendJson(res, err.status, headers, { error: err.code, message: err.message, request_id: s.requestId });
    log.warn(
      { request_id: s.requestId, route: route.name, code: (error as { code?: string })?.code },
      err.message,
    );
    record.finished(s, err.status, err.code);
  }

  const k: Continuation = {
    pass(s) {
      const route = s.route as CompiledRoute;
      record.allowed(s);
      const target = route.upstream.pick(now());
      s.target = target;
      const sent = performance.now();
      forward(s, target).then(
        (status) => {
          metrics.upstream(route.name, (performance.now() - sent) / 1000);
          record.finished(s, status, 'OK');
        },
        (error: unknown) => failed(s, error, target),
      );
    },
    deny(s, d: Denial) {
      // A body the client is still sending would be read and thrown away: close instead.
      const headers = hasBody(s.req) ? { ...d.headers, connection: 'close' } : d.headers;
      sendJson(s.res as ServerResponse, d.status, headers, d.body);
      record.denied(s, d);
    },
    fail(s, err) {
      log.error({ err }, 'request handler failed');
      const res = s.res as ServerResponse;
      if (!res.headersSent)
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"ERR_INTERNAL"}');
      else res.destroy();
    },
  };

  return function handle(req: IncomingMessage, res: ServerResponse): void {
    const s = new RequestState(req, res, null, ctx.current(), now);
    try {
      runPipeline(PIPELINE, s, k);
    } catch (err) {
      k.fail(s, err);
    }
  };
}
