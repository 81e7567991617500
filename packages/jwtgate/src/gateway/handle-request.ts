import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { tracing } from '../lib/tracing/tracing.ts';
import type { CompiledGateway, CompiledRoute } from './config/compile-gateway.ts';
import { GatewayError } from './errors.ts';
import { watchBodyDeadlines } from './limits/body-deadlines.ts';
import type { AccessLog } from './observe/access-log.ts';
import type { GatewayMetrics } from './observe/metrics.ts';
import { createOutcomeRecorder } from './observe/record-outcome.ts';
import { endUpstreamSpan, startRequestSpan, startUpstreamSpan } from './observe/request-spans.ts';
import { classifyUpstreamError, createForward, isConnectFailure } from './pipeline/forward.ts';
import { hasBody, readBody } from './pipeline/read-body.ts';
import { type Denial, RequestState } from './pipeline/request-state.ts';
import { type Continuation, PIPELINE, runPipeline } from './pipeline/run-pipeline.ts';
import { isHttp2 } from './tls/http2-request.ts';
import { release, tryAdmit, waitForAdmission } from './upstream/upstream-gate.ts';
import type { Target } from './upstream/upstream-targets.ts';

export interface HandlerContext {
  readonly current: () => CompiledGateway;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  /** Where each request's access line goes. */
  readonly access: AccessLog;
  readonly now: () => number;
}

function sendJson(res: ServerResponse, status: number, headers: Record<string, string>, body: object): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // A CORS preflight the gateway answered: 204, no body.
  if (status === 204) return void res.writeHead(204, headers).end();
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

/** The CORS headers of an answer on a route with CORS (none for a preflight: it has its own). */
function withCors(s: RequestState, headers: Record<string, string>): Record<string, string> {
  const cors = s.route?.cors;
  if (cors == null) return headers;
  return { ...headers, ...cors.responseHeaders(s.req.headers.origin) };
}

export interface RequestHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  /** Stops the body-deadline sweep. */
  close(): void;
}

/**
 * Plain requests: the pipeline (runPipeline), then the body (readBody), a place at the upstream
 * (upstream-gate) and forward. Every outcome is logged and counted once (createOutcomeRecorder)
 * with its reason code.
 */
export function createRequestHandler(ctx: HandlerContext): RequestHandler {
  const { log, metrics, now } = ctx;
  const record = createOutcomeRecorder(
    ctx.access,
    metrics,
    (request_id, err) => log.error({ request_id, err }, 'verification failed unexpectedly'),
    'proxy',
  );

  function answer(s: RequestState, err: GatewayError) {
    const res = s.res as ServerResponse;
    const headers: Record<string, string> = withCors(s, { ...err.headers, 'x-request-id': s.requestId });
    // A body the client is still sending would have to be read and thrown away: close instead
    // (HTTP/1.1; an HTTP/2 stream ends alone, and RFC 9113 8.2.2 forbids Connection there).
    if (!s.req.complete && hasBody(s.req) && !isHttp2(s.req)) headers.connection = 'close';
    sendJson(res, err.status, headers, { error: err.code, message: err.message, request_id: s.requestId });
  }

  function failed(s: RequestState, error: unknown, target: Target) {
    const res = s.res as ServerResponse;
    const route = s.route as CompiledRoute;
    if (s.recorded) {
      // Answered already (the body deadline): what is left is to let go of the connection.
      if (!res.writableFinished) res.destroy();
      return;
    }
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
    answer(s, err);
    if (!(error instanceof GatewayError))
      log.warn(
        { request_id: s.requestId, route: route.name, code: (error as { code?: string })?.code },
        err.message,
      );
    record.finished(s, err.status, err.code);
  }

  // How a forwarded request ended: one function for every request (the state says which).
  const forward = createForward((s, error, status) => {
    const route = s.route as CompiledRoute;
    const target = s.target as Target;
    const span = s.upstreamSpan;
    if (span !== null) {
      const t = tracing() as NonNullable<ReturnType<typeof tracing>>;
      if (error === null) endUpstreamSpan(t, span, status);
      else endUpstreamSpan(t, span, null, (error as { code?: string }).code);
    }
    release(route.gate, target.gate);
    if (error !== null) return failed(s, error, target);
    metrics.upstream(route.name, (performance.now() - s.sentAt) / 1000);
    record.finished(s, status, 'OK');
  });

  function send(s: RequestState, target: Target, body: Buffer | Readable | null) {
    s.sentAt = performance.now();
    if (s.trace !== null)
      s.upstreamSpan = startUpstreamSpan(tracing() as NonNullable<ReturnType<typeof tracing>>, s, target);
    forward(s, target, body);
  }

  /** Takes a place at the upstream (waiting for one if need be), then sends. */
  function admit(s: RequestState, target: Target, body: Buffer | Readable | null) {
    const route = s.route as CompiledRoute;
    if (tryAdmit(route.gate, target.gate)) return send(s, target, body);
    const res = s.res as ServerResponse;
    const left = new AbortController();
    const onClose = () => left.abort(Object.assign(new Error('client closed'), { code: 'ECONNRESET' }));
    res.once('close', onClose);
    waitForAdmission(route.gate, target.gate, s.g.limits.upstreamQueueTimeoutMs, left.signal).then(
      () => {
        res.off('close', onClose);
        if (res.destroyed) {
          release(route.gate, target.gate);
          return failed(s, new Error('client closed'), target);
        }
        send(s, target, body);
      },
      (error: unknown) => {
        res.off('close', onClose);
        failed(s, error, target);
      },
    );
  }

  const deadlines = watchBodyDeadlines((s) => {
    if (s.recorded) return;
    const res = s.res as ServerResponse;
    const socket = s.req.socket;
    if (!res.headersSent && !res.destroyed) {
      answer(s, new GatewayError('ERR_BODY_TIMEOUT'));
      res.once('finish', () => socket.destroy());
    } else socket.destroy();
    record.finished(s, 408, 'ERR_BODY_TIMEOUT');
  }, now);

  const k: Continuation = {
    pass(s) {
      const route = s.route as CompiledRoute;
      record.allowed(s);
      const target = route.upstream.pick(now());
      s.target = target;
      if (!hasBody(s.req)) return admit(s, target, null);
      deadlines.watch(s);
      readBody(s).then(
        (body) => admit(s, target, body),
        (error: unknown) => failed(s, error, target),
      );
    },
    deny(s, d: Denial) {
      // A body the client is still sending would be read and thrown away: close instead.
      const own = d.preflight === true ? d.headers : withCors(s, d.headers);
      const headers = hasBody(s.req) && !isHttp2(s.req) ? { ...own, connection: 'close' } : own;
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

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const s = new RequestState(req, res, null, ctx.current(), now);
    const t = tracing();
    if (t !== null) s.trace = startRequestSpan(t, s);
    try {
      runPipeline(PIPELINE, s, k);
    } catch (err) {
      k.fail(s, err);
    }
  };
  return Object.assign(handle, { close: () => deadlines.close() });
}
