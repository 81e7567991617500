import type { IncomingMessage } from 'node:http';

/** The request a proxy asks about: what the pipeline decides instead of the proxy's own request. */
export interface DescribedRequest {
  readonly method: string;
  /** The request-target as the client sent it: path and query. */
  readonly uri: string;
  readonly host: string | undefined;
  readonly proto: string | undefined;
}

/**
 * The decision listener's paths, one per convention. The path says which headers describe the
 * request, and only those are read: a header of another convention, which that proxy would pass
 * on from the client unchanged, never chooses what is decided.
 */
export const DECISION_PATHS = {
  /** nginx `auth_request`: `X-Original-Method`, `X-Original-URI`, `X-Forwarded-Host` (set by the snippet). */
  nginx: '/nginx',
  /** Traefik `ForwardAuth`, Caddy `forward_auth`: `X-Forwarded-Method`, `-Uri`, `-Host`, `-Proto`. */
  forwardAuth: '/forward-auth',
  /** ingress-nginx `auth-url`: `X-Original-Method` and `X-Original-URL` (the whole URL). */
  ingressNginx: '/ingress-nginx',
  /** Envoy `ext_authz` over HTTP (`path_prefix: /envoy`): the original request, its path below it. */
  envoy: '/envoy',
} as const;

/**
 * Headers by which proxies describe the original request. Each is removed from the request once
 * read, so none reaches a step as if the client had sent it.
 */
export const DESCRIBING_HEADERS: readonly string[] = [
  'x-forwarded-method',
  'x-forwarded-uri',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-original-method',
  'x-original-uri',
  'x-original-url',
];

const one = (v: string | string[] | undefined): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

function described(
  method: string | undefined,
  uri: string | undefined,
  host: string | undefined,
  proto: string | undefined,
): DescribedRequest | null {
  return method === undefined || uri === undefined ? null : { method, uri, host, proto };
}

/**
 * Reads which request a proxy asks about, by the convention its path names (DECISION_PATHS).
 * Null when the path names none, or the method or the target is not described.
 */
export function describeRequest(req: IncomingMessage): DescribedRequest | null {
  const h = req.headers;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === DECISION_PATHS.envoy || path.startsWith(`${DECISION_PATHS.envoy}/`)) {
    const rest = url.slice(DECISION_PATHS.envoy.length);
    return described(
      req.method,
      rest.startsWith('/') ? rest : `/${rest}`,
      one(h.host),
      one(h['x-forwarded-proto']),
    );
  }
  switch (path) {
    case DECISION_PATHS.nginx:
      return described(
        one(h['x-original-method']),
        one(h['x-original-uri']),
        one(h['x-forwarded-host']),
        one(h['x-forwarded-proto']),
      );
    case DECISION_PATHS.forwardAuth:
      return described(
        one(h['x-forwarded-method']),
        one(h['x-forwarded-uri']),
        one(h['x-forwarded-host']),
        one(h['x-forwarded-proto']),
      );
    case DECISION_PATHS.ingressNginx: {
      // `$scheme://$http_host$request_uri`: the target is taken as written, not re-encoded by a
      // URL parser, so path safety sees what the upstream will see.
      const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(one(h['x-original-url']) ?? '');
      if (m === null) return null;
      const uri = m[3] === '' ? '/' : m[3];
      return described(one(h['x-original-method']), uri, m[2], (m[1] as string).toLowerCase());
    }
    default:
      return null;
  }
}
