// What the upstream sees of a client's request headers, and the client of the upstream's response
// headers: the one place that decides it. Compiled once per route (compileHeaderPolicy); nothing
// here is decided per request beyond looking names up.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { JwtClaims, TokenSource, VerifiedToken } from '@jwtgate/verify';
import { compileIdentityHeaders, type IdentityMutator } from './identity-headers.ts';

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

/**
 * Forwarding headers. The gateway sets X-Forwarded-For, -Proto and -Host itself; the client's
 * copies of all of these are removed, unless `trust_forwarded` says the gateway is behind a
 * proxy that set them (then X-Forwarded-For is appended to and the others kept).
 */
export const FORWARDING_HEADERS: readonly string[] = [
  'forwarded',
  'x-real-ip',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
];

/** Ways a client asks for another method than the one it sent (`method_override`). */
export const METHOD_OVERRIDE_HEADERS: readonly string[] = [
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
];

/**
 * Client request headers that never reach an upstream, whatever the route: upstream code and
 * frameworks trust each of them to say who the client is, where it connected from, by which
 * scheme and host, or which method and URL it asked for, and only the gateway may say that.
 * Listed in docs/security-model.md; a route adds its own with `strip_headers`.
 */
export const STRIPPED_CLIENT_HEADERS: readonly string[] = [
  // The client's address, as CDNs and proxies set it (Cloudflare, Akamai, Fastly, Rackspace, ...).
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'fastly-client-ip',
  'x-cluster-client-ip',
  'x-forwarded',
  'forwarded-for',
  'x-original-forwarded-for',
  // The scheme and host the client used (Rails, Django, Symfony, Spring and others read these).
  'x-forwarded-scheme',
  'x-forwarded-ssl',
  'front-end-https',
  'x-url-scheme',
  'x-original-host',
  'x-host',
  'x-forwarded-server',
  // The method and URL, changed after routing (IIS, Symfony, Laravel, Zend, nginx auth_request).
  ...METHOD_OVERRIDE_HEADERS,
  'x-original-method',
  'x-original-url',
  'x-original-uri',
  'x-rewrite-url',
  'x-forwarded-uri',
  // Who the client is, as authenticating proxies assert it (Apache, oauth2-proxy, Grafana, ...).
  'remote-user',
  'x-remote-user',
  'x-forwarded-user',
  'x-forwarded-email',
  'x-forwarded-groups',
  'x-forwarded-preferred-username',
  'x-forwarded-access-token',
  'x-webauth-user',
];

/** Prefixes of client headers that never reach an upstream: oauth2-proxy's and nginx auth_request's identity headers. */
export const STRIPPED_CLIENT_HEADER_PREFIXES: readonly string[] = ['x-auth-request-'];

// Identity headers may not take names that frame or route the request, or that carry credentials.
const RESERVED_NAMES = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-request-id',
  'traceparent',
  'tracestate',
  ...FORWARDING_HEADERS,
  ...STRIPPED_CLIENT_HEADERS,
]);

/** RFC 9110 5.6.2: a header name is a token. */
export const HEADER_NAME = /^[!#$%&'*+.^`|~0-9A-Za-z-]+$/;

/** Why `name` cannot be an identity header, or null when it can. */
export function identityHeaderProblem(name: string): string | null {
  if (!HEADER_NAME.test(name) || name.includes('_'))
    return `"${name}" is not a valid header name (letters, digits and - only)`;
  const lower = name.toLowerCase();
  if (RESERVED_NAMES.has(lower) || STRIPPED_CLIENT_HEADER_PREFIXES.some((p) => lower.startsWith(p)))
    return `"${name}" is reserved and cannot carry identity`;
  return null;
}

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

/**
 * The gateway's CORS headers on an upstream response of a route with CORS: the upstream's own
 * `Access-Control-*` headers are dropped (the gateway alone answers for the route), `Vary` merged.
 */
export function withCorsHeaders(out: Record<string, string | string[]>, cors: Record<string, string>): void {
  for (const name in out) if (name.startsWith('access-control-')) delete out[name];
  for (const name in cors) {
    const value = cors[name] as string;
    if (name !== 'vary' || out.vary === undefined) out[name] = value;
    else {
      const prior = Array.isArray(out.vary) ? out.vary.join(', ') : out.vary;
      if (!prior.split(',').some((v) => v.trim().toLowerCase() === 'origin')) out.vary = `${prior}, ${value}`;
    }
  }
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

export interface HeaderPolicySpec {
  /**
   * Where the route's providers read tokens (on a public route: Authorization and where any
   * provider reads one); removed before forwarding unless `forwardToken`.
   */
  readonly tokenSources: readonly TokenSource[];
  readonly forwardToken: boolean;
  /** The route's `strip_headers`. */
  readonly stripHeaders: readonly string[];
  /** `method_override: allow`: the method override headers are forwarded. */
  readonly forwardMethodOverride?: boolean;
  /** The route's `identity_headers` (header name -> claim path). */
  readonly identityHeaders: Readonly<Record<string, string>>;
  /** Lower-case names of every identity header any route sets: never taken from a client. */
  readonly reserved: ReadonlySet<string>;
  /** `identity_header_prefix`, lower case: client headers under it are never forwarded. */
  readonly reservedPrefix: string;
  readonly trustForwarded: boolean;
}

/** One route's header policy, compiled once. */
export interface HeaderPolicy {
  /** Request headers holding the token, never forwarded on this route (unless forward_token). */
  readonly dropHeaders: ReadonlySet<string>;
  /** Cookies holding the token, removed from the Cookie header unless forward_token. */
  readonly dropCookies: ReadonlySet<string>;
  /** Query parameters holding the token, removed from the upstream URL unless forward_token. */
  readonly dropQuery: ReadonlySet<string>;
  /** Whether a client request header must not reach the upstream. */
  readonly dropRequestHeader: (name: string) => boolean;
  readonly identity: IdentityMutator;
  /**
   * The upstream request's headers: the client's minus everything above, the identity headers
   * set from `claims` (when authenticated), X-Request-Id and the forwarding headers.
   */
  upstreamHeaders(
    req: IncomingMessage,
    claims: JwtClaims | undefined,
    requestId: string,
    binding?: VerifiedToken['binding'],
  ): Record<string, string>;
}

function tokenHeaders(sources: readonly TokenSource[]): string[] {
  return sources.flatMap((s) =>
    'bearer' in s ? ['authorization'] : 'header' in s ? [s.header.toLowerCase()] : [],
  );
}

/** Compiles a route's header policy; throws (with the claim path's problem) on a bad identity mapping. */
export function compileHeaderPolicy(spec: HeaderPolicySpec): HeaderPolicy {
  const dropHeaders = new Set<string>();
  const dropCookies = new Set<string>();
  const dropQuery = new Set<string>();
  if (!spec.forwardToken) {
    // A DPoP proof (RFC 9449 4.1) is part of the credentials, whichever source the token came from.
    dropHeaders.add('dpop');
    for (const h of tokenHeaders(spec.tokenSources)) dropHeaders.add(h);
    for (const s of spec.tokenSources) {
      if ('cookie' in s) dropCookies.add(s.cookie);
      if ('query' in s) dropQuery.add(s.query);
    }
  }
  const never = new Set([
    ...dropHeaders,
    ...spec.reserved,
    ...STRIPPED_CLIENT_HEADERS.filter(
      (h) => !(spec.forwardMethodOverride && METHOD_OVERRIDE_HEADERS.includes(h)),
    ),
    ...spec.stripHeaders.map((h) => h.toLowerCase()),
    ...(spec.trustForwarded ? [] : FORWARDING_HEADERS),
  ]);
  const prefixes = [spec.reservedPrefix, ...STRIPPED_CLIENT_HEADER_PREFIXES];
  // Names with '_' are dropped too: CGI-style upstreams read X_User_Id as X-User-Id.
  const dropRequestHeader = (name: string): boolean => {
    if (never.has(name) || name.includes('_')) return true;
    for (let i = 0; i < prefixes.length; i++) if (name.startsWith(prefixes[i] as string)) return true;
    return false;
  };
  const identity = compileIdentityHeaders(spec.identityHeaders);
  const trustForwarded = spec.trustForwarded;
  const bindingHeader = `${spec.reservedPrefix}token-binding`;
  const forwardToken = spec.forwardToken;
  return Object.freeze({
    dropHeaders,
    dropCookies,
    dropQuery,
    dropRequestHeader,
    identity,
    upstreamHeaders(
      req: IncomingMessage,
      claims: JwtClaims | undefined,
      requestId: string,
      binding?: VerifiedToken['binding'],
    ) {
      const headers = copyRequestHeaders(req.headers, dropRequestHeader) as Record<string, string>;
      if (claims !== undefined) identity(claims, headers);
      // The token was DPoP-bound and came with a valid proof for this request (client copies of
      // headers under the reserved prefix never get this far).
      if (binding !== undefined) {
        headers[bindingHeader] = binding.type;
        // The DPoP scheme carries the token in Authorization whatever the route reads it from.
        if (!forwardToken) delete headers.authorization;
      }
      if (dropCookies.size > 0 && headers.cookie !== undefined) {
        const cookie = withoutCookies(headers.cookie, dropCookies);
        if (cookie === '') delete headers.cookie;
        else headers.cookie = cookie;
      }
      headers['x-request-id'] = requestId;
      // Forwarding headers: the client's are kept (and appended to) only behind a trusted proxy.
      const peer = req.socket.remoteAddress ?? '';
      const prior = headers['x-forwarded-for'];
      headers['x-forwarded-for'] = trustForwarded && prior ? `${prior}, ${peer}` : peer;
      if (!trustForwarded || headers['x-forwarded-proto'] === undefined)
        headers['x-forwarded-proto'] = 'http';
      if ((!trustForwarded || headers['x-forwarded-host'] === undefined) && req.headers.host !== undefined) {
        headers['x-forwarded-host'] = req.headers.host;
      }
      return headers;
    },
  });
}
