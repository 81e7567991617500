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

/**
 * Streams the request to `target` and the response back (undici
 * `Pool.stream`: the response body is written straight into the client response). Resolves with
 * the upstream status; rejects with the raw error when it failed before the response started.
 */
export function forward(s: RequestState, target: Target, body: Buffer | Readable | null): Promise<number> {
  const req = s.req;
  const res = s.res as NonNullable<RequestState['res']>;
  const route = s.route as CompiledRoute;
  let status = 0;
  // A client that goes away before the response is complete cancels the upstream request too,
  // rather than leaving it running until the upstream answers into a closed socket.
  const cancel = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) cancel.abort();
  });
  const requestId = s.requestId;
  return target.pool
    .stream(
      {
        path: target.basePath + s.upstreamPath,
        method: (req.method ?? 'GET') as 'GET',
        headers: s.headers as Record<string, string>,
        body,
        signal: cancel.signal,
        headersTimeout: route.timeoutMs,
        bodyTimeout: route.timeoutMs,
      },
      ({ statusCode, headers }) => {
        status = statusCode;
        const out = copyResponseHeaders(headers);
        out['x-request-id'] = requestId;
        if (route.cors !== null) withCorsHeaders(out, route.cors.responseHeaders(req.headers.origin));
        res.writeHead(statusCode, out);
        return res;
      },
    )
    .then(() => status);
}
