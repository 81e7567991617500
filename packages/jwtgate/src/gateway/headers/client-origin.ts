import type { DpopRequestLike } from '@jwtgate/verify';

// A scheme and an RFC 3986 authority (host or [IPv6], optional port); anything else is not used.
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

function first(value: string | readonly string[] | undefined): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const comma = text.indexOf(',');
  return (comma === -1 ? text : text.slice(0, comma)).trim();
}

/**
 * The scheme a trusted proxy described for a decision (the decision listener only reads
 * describing headers from `trusted_proxies`): the request decided is the client's, not the
 * proxy's plain-HTTP question, so its scheme wins over the decision listener's own.
 */
const DESCRIBED_SCHEME = new WeakMap<object, 'http' | 'https'>();

/** Records the scheme of the request a trusted proxy describes (ignored unless http or https). */
export function describeScheme(req: object, proto: string | undefined): void {
  const scheme = proto?.trim().toLowerCase();
  if (scheme === 'https' || scheme === 'http') DESCRIBED_SCHEME.set(req, scheme);
}

/**
 * The origin the client addressed (for a DPoP proof's `htu`, RFC 9449 4.3): the listener's
 * scheme (https on a TLS connection) and the Host header (`:authority` in HTTP/2). With
 * `trust_forwarded` the gateway is behind a proxy or TLS terminator that says what the client
 * used: the first X-Forwarded-Proto and X-Forwarded-Host (the outermost proxy's) win. For a
 * decision, the scheme the trusted proxy described (describeScheme) is the client's.
 *
 * @example
 * clientOrigin(req, false) // 'http://api.example:9001'
 */
export function clientOrigin(req: DpopRequestLike, trustForwarded: boolean): string {
  let scheme: string =
    DESCRIBED_SCHEME.get(req) ??
    ((req.socket as { encrypted?: unknown } | undefined)?.encrypted === true ? 'https' : 'http');
  let host = first(req.headers.host) ?? first(req.headers[':authority']) ?? '';
  if (trustForwarded) {
    const proto = first(req.headers['x-forwarded-proto'])?.toLowerCase();
    if (proto === 'https' || proto === 'http') scheme = proto;
    const forwardedHost = first(req.headers['x-forwarded-host']);
    if (forwardedHost !== undefined && HOST.test(forwardedHost)) host = forwardedHost;
  }
  return `${scheme}://${host}`;
}
