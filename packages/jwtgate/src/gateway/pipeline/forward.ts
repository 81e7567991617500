import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { CompiledRoute } from '../config/compile-gateway.ts';
import { GatewayError } from '../errors.ts';
import { copyResponseHeaders, withCorsHeaders } from '../headers/header-policy.ts';
import type { Target } from '../upstream/upstream-targets.ts';
import type { RequestState } from './request-state.ts';

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** Maps an upstream failure to the client answer: 504 for a deadline, 413 for our limit, else 502. */
export function classifyUpstreamError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const code = (err as { code?: string })?.code ?? '';
  if (TIMEOUT_CODES.has(code)) return new GatewayError('ERR_UPSTREAM_TIMEOUT', { cause: err });
  return new GatewayError('ERR_UPSTREAM_UNAVAILABLE', { cause: err });
}

/** Whether the failure says the target itself is unreachable (take it out for a while). */
export function isConnectFailure(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  return (
    code === 'ECONNREFUSED' ||
    code === 'EHOSTUNREACH' ||
    code === 'ENOTFOUND' ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  );
}

function abortUnfinished(this: NonNullable<RequestState['res']>): void {
  if (!this.writableFinished) this.emit('abort');
}

/** What `forward` reports when the upstream exchange is over: an error, or the upstream status. */
export type ForwardDone = (s: RequestState, error: Error | null, status: number) => void;

/** The upstream's status line and headers arrived: the client's response starts (undici's factory). */
function respond({
  statusCode,
  headers,
  opaque,
}: {
  statusCode: number;
  headers: IncomingHttpHeaders;
  opaque: unknown;
}) {
  const s = opaque as RequestState;
  const res = s.res as NonNullable<RequestState['res']>;
  const route = s.route as CompiledRoute;
  s.upstreamStatus = statusCode;
  const out = copyResponseHeaders(headers);
  out['x-request-id'] = s.requestId;
  if (route.cors !== null) withCorsHeaders(out, route.cors.responseHeaders(s.req.headers.origin));
  res.writeHead(statusCode, out);
  return res;
}

/** Sends one request upstream; the forwarder's `done` is told how it ended. */
export type Forward = (s: RequestState, target: Target, body: Buffer | Readable | null) => void;

/**
 * A forwarder: streams the request to `target` and the response back (undici `Pool.stream`: the
 * response body is written straight into the client response), then calls `done` with the
 * upstream status, or with the raw error when it failed before or while the response streamed.
 * The request state travels as undici's `opaque`, so the callbacks are made once per forwarder,
 * not per request.
 */
export function createForward(done: ForwardDone): Forward {
  const finished = (error: Error | null, data: { opaque: unknown }) => {
    const s = data.opaque as RequestState;
    done(s, error, s.upstreamStatus);
  };
  return (s, target, body) => {
    const res = s.res as NonNullable<RequestState['res']>;
    const route = s.route as CompiledRoute;
    // A client that goes away before the response is complete cancels the upstream request too,
    // rather than leaving it running until the upstream answers into a closed socket. undici
    // takes an EventEmitter as the signal (its 'abort' event): the response itself, told by a
    // shared 'close' listener, instead of an AbortController and its EventTarget per request.
    res.once('close', abortUnfinished);
    target.pool.stream(
      {
        path: target.basePath + s.upstreamPath,
        method: (s.req.method ?? 'GET') as 'GET',
        headers: s.headers as Record<string, string>,
        body,
        signal: res,
        opaque: s,
        headersTimeout: route.timeoutMs,
        bodyTimeout: route.timeoutMs,
      },
      respond,
      finished,
    );
  };
}
