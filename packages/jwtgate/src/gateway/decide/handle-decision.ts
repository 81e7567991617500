import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { tracing } from '../../lib/tracing/tracing.ts';
import type { CompiledGateway, CompiledRoute } from '../config/compile-gateway.ts';
import { GatewayError } from '../errors.ts';
import { describeScheme } from '../headers/client-origin.ts';
import type { AccessLog } from '../observe/access-log.ts';
import type { GatewayMetrics } from '../observe/metrics.ts';
import { createOutcomeRecorder } from '../observe/record-outcome.ts';
import { startRequestSpan } from '../observe/request-spans.ts';
import { type Denial, gatewayDenial, RequestState } from '../pipeline/request-state.ts';
import { type Continuation, PIPELINE, runPipeline, type Step } from '../pipeline/run-pipeline.ts';
import { upstreamHeaders } from '../pipeline/upstream-headers.ts';
import { DESCRIBING_HEADERS, describeRequest } from './describe-request.ts';

export interface DecisionContext {
  readonly current: () => CompiledGateway;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  /** Where access lines go (one per decision), as for forwarded requests. */
  readonly access: AccessLog;
  readonly now: () => number;
}

/**
 * Step in place of upstreamHeaders: the proxy forwards the request and keeps its own headers, so
 * what the gateway has to say is the answer's headers: the request id and the route's identity
 * headers from the verified claims (and, after it, signIdentity's token on such a route).
 */
export function answerHeaders(s: RequestState): undefined {
  const headers: Record<string, string> = { 'x-request-id': s.requestId };
  if (s.identity !== undefined) (s.route as CompiledRoute).headers.identity(s.identity.claims, headers);
  s.headers = headers;
  return undefined;
}

/**
 * The gateway's own steps, in order: a decision is the gateway's pipeline, not a copy of it. The
 * proxy forwards, so what the upstream would see is replaced by what the proxy copies.
 */
export const DECISION_PIPELINE: readonly Step[] = PIPELINE.map((step) =>
  step === upstreamHeaders ? answerHeaders : step,
);

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: object | null) {
  if (res.headersSent) return void res.destroy();
  const h: Record<string, string> = { 'cache-control': 'no-store', ...headers };
  // A length, never chunked: nginx reads only the headers of an auth_request answer, and keeps
  // the connection for the next decision only when it knows where the answer ends.
  if (body === null) return void res.writeHead(status, { ...h, 'content-length': '0' }).end();
  const text = JSON.stringify(body);
  h['content-type'] = 'application/json; charset=utf-8';
  h['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(status, h).end(text);
}

/**
 * The decision listener's handler: the request a trusted proxy describes (describeRequest) goes
 * through DECISION_PIPELINE; 200 with the route's identity headers for the proxy to copy to the
 * upstream request, or the denial as the gateway would answer it (RFC 6750 401/403 with
 * WWW-Authenticate, 404, 429 with Retry-After ...). A peer outside `trusted_proxies` is refused
 * before anything is read: its describing headers would choose what is decided.
 */
export function createDecisionHandler(
  ctx: DecisionContext,
): (req: IncomingMessage, res: ServerResponse) => void {
  const record = createOutcomeRecorder(
    ctx.access,
    ctx.metrics,
    (request_id, err) => ctx.log.error({ request_id, err }, 'verification failed unexpectedly'),
    'decision',
  );
  const k: Continuation = {
    pass(s) {
      record.allowed(s);
      send(s.res as ServerResponse, 200, s.headers ?? { 'x-request-id': s.requestId }, null);
      record.finished(s, 200, 'OK');
    },
    deny(s, d: Denial) {
      send(s.res as ServerResponse, d.status, d.headers, d.body);
      record.denied(s, d);
    },
    fail(s, err) {
      ctx.log.error({ err, request_id: s.requestId }, 'decision failed');
      send(s.res as ServerResponse, 500, { 'x-request-id': s.requestId }, { error: 'ERR_INTERNAL' });
      record.finished(s, 500, 'ERR_INTERNAL');
    },
  };

  return (req, res) => {
    const g = ctx.current();
    const decisions = g.decisions;
    const untrusted = decisions === null || !decisions.trusts(req.socket.remoteAddress);
    const described = untrusted ? null : describeRequest(req);
    if (described !== null) {
      // The pipeline reads the request it decides: the described one, in place of the proxy's.
      req.method = described.method;
      req.url = described.uri;
      if (described.host !== undefined) req.headers.host = described.host;
      // A DPoP proof names the URL the client used: the described scheme, not the listener's.
      describeScheme(req, described.proto);
      for (const name of DESCRIBING_HEADERS) delete req.headers[name];
    }
    const s = new RequestState(req, res, null, g, ctx.now);
    const t = tracing();
    if (t !== null) s.trace = startRequestSpan(t, s, true);
    if (described === null) {
      const err = untrusted
        ? new GatewayError('ERR_DECISION_UNTRUSTED')
        : new GatewayError('ERR_DECISION_UNDESCRIBED');
      if (untrusted)
        ctx.log.warn({ peer: req.socket.remoteAddress }, 'decision asked by an untrusted address');
      return k.deny(s, gatewayDenial(s, err));
    }
    try {
      runPipeline(DECISION_PIPELINE, s, k);
    } catch (err) {
      k.fail(s, err);
    }
  };
}
