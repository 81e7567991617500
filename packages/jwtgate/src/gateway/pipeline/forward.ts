import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { GatewayError } from '../errors.ts';
import type { Target } from '../upstream/upstream-targets.ts';

// RFC 9110 7.6.1: hop-by-hop fields are not forwarded, nor any field the Connection header names.
// `host` is set by undici from the upstream origin (the client's is sent as X-Forwarded-Host).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  // undici refuses Expect; node already answered 100-continue to the client.
  'expect',
  'http2-settings',
]);

function connectionListed(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  const text = Array.isArray(value) ? value.join(',') : value;
  return new Set(text.split(',').map((s) => s.trim().toLowerCase()));
}

/** Headers for the upstream: the client's minus hop-by-hop fields and anything `drop` says. */
export function copyRequestHeaders(
  headers: IncomingHttpHeaders,
  drop: (name: string) => boolean,
): Record<string, string | string[]> {
  const listed = connectionListed(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || drop(name) || listed?.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** The Cookie header without the named cookies (the token's, when it is not forwarded). */
export function withoutCookies(header: string, names: ReadonlySet<string>): string {
  return header
    .split(';')
    .filter((pair) => {
      const eq = pair.indexOf('=');
      return !names.has((eq === -1 ? pair : pair.slice(0, eq)).trim());
    })
    .map((pair) => pair.trim())
    .join('; ');
}

/** Response headers for the client: the upstream's minus hop-by-hop fields. */
export function copyResponseHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const listed = connectionListed(headers.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || listed?.has(name)) continue;
    const value = headers[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

class BodyLimit extends Transform {
  #left: number;
  constructor(limit: number) {
    super();
    this.#left = limit;
  }
  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#left -= chunk.length;
    if (this.#left < 0) done(new GatewayError('ERR_BODY_TOO_LARGE'));
    else done(null, chunk);
  }
}

export interface ForwardRequest {
  readonly target: Target;
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string | string[]>;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly requestId: string;
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

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
 * Streams the request to the upstream and the response back (undici `Pool.stream`: the
 * response body is written straight into the client response). Resolves with the upstream
 * status; rejects with the raw error when it failed before the response started.
 */
export function forward(req: IncomingMessage, res: ServerResponse, f: ForwardRequest): Promise<number> {
  let body: IncomingMessage | BodyLimit | null = null;
  if (hasBody(req)) {
    const declared = Number(req.headers['content-length']);
    if (declared > f.maxBodyBytes) return Promise.reject(new GatewayError('ERR_BODY_TOO_LARGE'));
    body = Number.isFinite(declared) ? req : req.pipe(new BodyLimit(f.maxBodyBytes));
  }
  let status = 0;
  // A client that goes away before the response is complete cancels the upstream request too,
  // rather than leaving it running until the upstream answers into a closed socket.
  const cancel = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) cancel.abort();
  });
  return f.target.pool
    .stream(
      {
        path: f.path,
        method: f.method as 'GET',
        headers: f.headers,
        body,
        signal: cancel.signal,
        headersTimeout: f.timeoutMs,
        bodyTimeout: f.timeoutMs,
      },
      ({ statusCode, headers }) => {
        status = statusCode;
        const out = copyResponseHeaders(headers);
        out['x-request-id'] = f.requestId;
        res.writeHead(statusCode, out);
        return res;
      },
    )
    .then(() => status);
}
