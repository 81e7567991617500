// The issuer's spans, made only when tracing is on: a server span per request (continuing the
// caller's traceparent) and, inside it, `jwtgate.issuer.token` for token issuance at the token
// endpoint and `jwtgate.issuer.login` for the sign-in pages. Only the method, path (no query),
// status and grant-free facts are recorded: never a client secret, code, token or claim value.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tracing } from '../lib/tracing/tracing.ts';
import { INTERACTION_PREFIX } from './login/interaction-handler.ts';
import { OAUTH_ROUTES } from './oidc/build-provider.ts';

const LOGIN_PATHS = ['/console/login', '/account/login'];

function operation(method: string, path: string): string | null {
  if (method === 'POST' && path === OAUTH_ROUTES.token) return 'jwtgate.issuer.token';
  if (path.startsWith(INTERACTION_PREFIX) || LOGIN_PATHS.some((p) => path.startsWith(p)))
    return 'jwtgate.issuer.login';
  return null;
}

/** Runs `serve` inside the request's spans; they end when the response is done. */
export function traceIssuerRequest(
  t: Tracing,
  req: IncomingMessage,
  res: ServerResponse,
  serve: () => Promise<void>,
): Promise<void> {
  const { api, semconv } = t;
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?')[0] as string;
  const parent = api.propagation.extract(api.ROOT_CONTEXT, req.headers);
  const server = t.tracer.startSpan(
    `${method} ${path}`,
    {
      kind: api.SpanKind.SERVER,
      attributes: { [semconv.ATTR_HTTP_REQUEST_METHOD]: method, [semconv.ATTR_URL_PATH]: path },
    },
    parent,
  );
  let context = api.trace.setSpan(parent, server);
  const name = operation(method, path);
  const inner = name === null ? null : t.tracer.startSpan(name, { kind: api.SpanKind.INTERNAL }, context);
  if (inner !== null) context = api.trace.setSpan(context, inner);
  res.once('close', () => {
    const status = res.statusCode;
    for (const span of inner === null ? [server] : [inner, server]) {
      span.setAttribute(semconv.ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (status >= 500) span.setStatus({ code: api.SpanStatusCode.ERROR });
      span.end();
    }
  });
  return api.context.with(context, serve);
}
