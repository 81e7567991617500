import type { IncomingMessage } from 'node:http';

/** The request a proxy asks about: what the pipeline decides instead of the proxy's own request. */
export interface DescribedRequest {
  readonly method: string;
  /** The request-target as the client sent it: path and query. */
  readonly uri: string;
  readonly host: string | undefined;
  readonly proto: string | undefined;
}

/** Where Envoy's `ext_authz` (HTTP service, `path_prefix: /envoy`) puts the original path. */
export const ENVOY_PREFIX = '/envoy';

/**
 * Headers by which proxies describe the original request. Each is removed from the request once
 * read, so none of them reaches a step as if the client had sent it.
 */
export const DESCRIBING_HEADERS: readonly string[] = [
  'x-forwarded-method',
  'x-forwarded-uri',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-original-method',
  'x-original-uri',
  'x-original-url',
  'x-scheme',
];

const one = (v: string | string[] | undefined): string | undefined =>
  typeof v === 'string' && v !== '' ? v : undefined;

/**
 * Reads which request a proxy asks about, by the conventions of each proxy:
 * - Envoy `ext_authz` over HTTP: the check request is the original one (method, headers,
 *   `:authority`), its path under `/envoy`;
 * - Traefik `ForwardAuth`, Caddy `forward_auth`: `X-Forwarded-Method`, `-Uri`, `-Host`, `-Proto`;
 * - nginx `auth_request`: `X-Original-Method`, `X-Original-URI` and the Host the snippet sets;
 * - ingress-nginx `auth-url`: `X-Original-Method` and `X-Original-URL` (the whole URL).
 * Null when the method or the target is not described (the request cannot be decided).
 */
export function describeRequest(req: IncomingMessage): DescribedRequest | null {
  const h = req.headers;
  const url = req.url ?? '/';
  if (url === ENVOY_PREFIX || url.startsWith(`${ENVOY_PREFIX}/`) || url.startsWith(`${ENVOY_PREFIX}?`)) {
    const rest = url.slice(ENVOY_PREFIX.length);
    return {
      method: req.method ?? 'GET',
      uri: rest.startsWith('/') ? rest : `/${rest}`,
      host: one(h.host),
      proto: one(h['x-forwarded-proto']),
    };
  }
  const method = one(h['x-forwarded-method']) ?? one(h['x-original-method']);
  let uri = one(h['x-forwarded-uri']) ?? one(h['x-original-uri']);
  let host = one(h['x-forwarded-host']);
  let proto = one(h['x-forwarded-proto']) ?? one(h['x-scheme']);
  const full = one(h['x-original-url']);
  if (uri === undefined && full !== undefined) {
    // ingress-nginx: `$scheme://$http_host$request_uri`. The target is taken as written, not
    // re-encoded by a URL parser: path safety must see what the upstream will see.
    const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(full);
    if (m === null) return null;
    proto ??= (m[1] as string).toLowerCase();
    host ??= m[2] as string;
    uri = m[3] === '' ? '/' : m[3];
  }
  if (method === undefined || uri === undefined) return null;
  return { method, uri, host: host ?? one(h.host), proto };
}
