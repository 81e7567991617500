// The gateway's spans, made only when tracing is on (the callers check `tracing()` first). No
// token, secret or claim value goes into an attribute: the route, the decision and its reason
// code, statuses, the algorithm and whether the verification came from the cache; `sub` only with
// JWTGATE_TRACE_SUB=true. Paths are recorded without their query, which may carry a token.

import type { FetchFunction } from '@jwtgate/verify';
import type { Context, Span } from '@opentelemetry/api';
import type { Tracing } from '../../lib/tracing/tracing.ts';
import type { RequestState } from '../pipeline/request-state.ts';
import type { Target } from '../upstream/upstream-targets.ts';

/** The server span of one request and the context its children start in. */
export interface RequestTrace {
  readonly span: Span;
  readonly context: Context;
  /** A forward-auth decision (the decision listener), not a request the gateway forwards. */
  readonly decision: boolean;
}

/**
 * Starts the server span of a request, continuing the client's `traceparent` (W3C); on the
 * decision listener, the proxy's (which passes the client's on, or its own).
 */
export function startRequestSpan(t: Tracing, s: RequestState, decision = false): RequestTrace {
  const { api, semconv } = t;
  const parent = api.propagation.extract(api.ROOT_CONTEXT, s.req.headers);
  const span = t.tracer.startSpan(
    decision ? 'jwtgate.decision' : (s.req.method ?? 'GET'),
    {
      kind: api.SpanKind.SERVER,
      attributes: {
        [semconv.ATTR_HTTP_REQUEST_METHOD]: s.req.method ?? 'GET',
        [semconv.ATTR_URL_PATH]: (s.req.url ?? '/').split('?')[0] as string,
      },
    },
    parent,
  );
  return { span, context: api.trace.setSpan(parent, span), decision };
}

/** Ends the server span: the route, the decision, the reason code and the status. */
export function endRequestSpan(t: Tracing, s: RequestState, status: number, reason: string): void {
  const trace = s.trace;
  if (trace === null) return;
  const { api, semconv } = t;
  const span = trace.span;
  // The method and path decided: on the decision listener, the request the proxy described.
  span.setAttribute(semconv.ATTR_HTTP_REQUEST_METHOD, s.req.method ?? 'GET');
  span.setAttribute(semconv.ATTR_URL_PATH, s.path || ((s.req.url ?? '/').split('?')[0] as string));
  if (s.route !== null) {
    span.setAttribute('jwtgate.route', s.route.name);
    span.updateName(`${trace.decision ? 'jwtgate.decision ' : ''}${s.req.method ?? 'GET'} ${s.route.name}`);
  }
  span.setAttribute('jwtgate.decision', reason === 'OK' || status < 400 ? 'allow' : 'deny');
  span.setAttribute('jwtgate.reason', reason);
  span.setAttribute(semconv.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  const sub = s.identity?.claims.sub;
  if (t.recordSub && typeof sub === 'string') span.setAttribute('enduser.id', sub);
  if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR, message: reason });
  span.end();
}

/**
 * Runs a verification inside a `jwtgate.verify` span (so a key fetch it waits for is its child):
 * the provider, the algorithm, whether the verified-token cache answered, the error code.
 */
export function traceVerify<T extends { provider: string; alg: string } | undefined>(
  t: Tracing,
  s: RequestState,
  cacheHits: () => number,
  run: () => Promise<T>,
): Promise<T> {
  const { api } = t;
  const parent = s.trace?.context ?? api.context.active();
  const span = t.tracer.startSpan('jwtgate.verify', { kind: api.SpanKind.INTERNAL }, parent);
  const before = cacheHits();
  const pending = api.context.with(api.trace.setSpan(parent, span), run);
  // A cache hit answers synchronously: the count has moved by the time `run` returns.
  span.setAttribute('jwtgate.token.cached', cacheHits() > before);
  return pending.then(
    (verified) => {
      // undefined: an optional route's request without a token.
      if (verified !== undefined) {
        span.setAttribute('jwtgate.provider', verified.provider);
        span.setAttribute('jwtgate.token.alg', verified.alg);
      }
      span.end();
      return verified;
    },
    (err: unknown) => {
      const code = (err as { code?: unknown })?.code;
      span.setAttribute('jwtgate.reason', typeof code === 'string' ? code : 'ERR_INTERNAL');
      span.setStatus({ code: api.SpanStatusCode.ERROR });
      span.end();
      throw err;
    },
  );
}

/** The client span of the upstream call; its context goes upstream in `traceparent`. */
export function startUpstreamSpan(t: Tracing, s: RequestState, target: Target): Span {
  const { api, semconv } = t;
  const parent = s.trace?.context ?? api.ROOT_CONTEXT;
  const origin = new URL(target.origin);
  const span = t.tracer.startSpan(
    `${s.req.method ?? 'GET'}`,
    {
      kind: api.SpanKind.CLIENT,
      attributes: {
        [semconv.ATTR_HTTP_REQUEST_METHOD]: s.req.method ?? 'GET',
        [semconv.ATTR_SERVER_ADDRESS]: origin.hostname,
        [semconv.ATTR_SERVER_PORT]: Number(origin.port || (origin.protocol === 'https:' ? 443 : 80)),
        [semconv.ATTR_URL_PATH]: (target.basePath + s.upstreamPath).split('?')[0] as string,
      },
    },
    parent,
  );
  // The client's traceparent (if any) is replaced by the gateway's own span.
  if (s.headers !== null) {
    delete s.headers.traceparent;
    delete s.headers.tracestate;
    api.propagation.inject(api.trace.setSpan(parent, span), s.headers);
  }
  return span;
}

export function endUpstreamSpan(t: Tracing, span: Span, status: number | null, reason?: string): void {
  if (status !== null) span.setAttribute(t.semconv.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  if (reason !== undefined) span.setAttribute('jwtgate.reason', reason);
  if (status === null || status >= 500) span.setStatus({ code: t.api.SpanStatusCode.ERROR });
  span.end();
}

/**
 * Key fetches (JWKS, discovery) in a client span, child of the verification waiting for them (or
 * a root span for a background refresh), with `traceparent` sent to the key server.
 */
export function traceKeyFetch(t: Tracing, fetch: FetchFunction): FetchFunction {
  const { api, semconv } = t;
  return (input, init) => {
    const parent = api.context.active();
    const span = t.tracer.startSpan(
      'jwtgate.jwks.fetch',
      { kind: api.SpanKind.CLIENT, attributes: { [semconv.ATTR_URL_FULL]: input.split('?')[0] as string } },
      parent,
    );
    const headers = new Headers(init.headers);
    api.propagation.inject(api.trace.setSpan(parent, span), headers, {
      set: (carrier, key, value) => carrier.set(key, value),
    });
    return fetch(input, { ...init, headers }).then(
      (res) => {
        span.setAttribute(semconv.ATTR_HTTP_RESPONSE_STATUS_CODE, res.status);
        if (res.status >= 400) span.setStatus({ code: api.SpanStatusCode.ERROR });
        span.end();
        return res;
      },
      (err: unknown) => {
        span.setStatus({ code: api.SpanStatusCode.ERROR });
        span.end();
        throw err;
      },
    );
  };
}
