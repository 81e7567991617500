// Which redirect URIs and web origins a client may register, by kind of application. The
// authorization server compares redirect URIs exactly (oidc-provider), except for the port of a
// native app's loopback redirect (RFC 8252 7.3), which it ignores.

/** Schemes no app may claim for its redirects: they run code or read local data in a browser. */
const FORBIDDEN_SCHEMES = new Set([
  'javascript:',
  'data:',
  'vbscript:',
  'file:',
  'blob:',
  'about:',
  'ws:',
  'wss:',
]);

/** RFC 8252 7.3: loopback IP literals; `localhost` is NOT RECOMMENDED (8.3), it may resolve elsewhere. */
const LOOPBACK_IPS = new Set(['127.0.0.1', '[::1]']);

/** RFC 6749 3.1.2: an absolute URI without a fragment. */
function absoluteWithoutFragment(value: string): URL | null {
  const url = URL.parse(value);
  return url === null || value.includes('#') ? null : url;
}

/**
 * A web app's redirect URI: https, or http to loopback (localhost too, for development).
 * @example isWebRedirectUri('https://app.example/callback') // true
 */
export function isWebRedirectUri(value: string): boolean {
  const url = absoluteWithoutFragment(value);
  if (url === null) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', ...LOOPBACK_IPS].includes(url.hostname);
}

/**
 * A native app's redirect URI (RFC 8252 7): a loopback IP literal over http on any port
 * (`http://127.0.0.1/callback`, `http://[::1]:8400/cb`; the port is not compared, 7.3), a
 * private-use scheme in reverse-domain form (`com.example.app:/callback`, 7.1), or a claimed
 * https URI (7.2) that is not loopback.
 * @example isNativeRedirectUri('com.example.app:/oauth2redirect') // true
 */
export function isNativeRedirectUri(value: string): boolean {
  const url = absoluteWithoutFragment(value);
  if (url === null || FORBIDDEN_SCHEMES.has(url.protocol)) return false;
  if (url.protocol === 'http:') return LOOPBACK_IPS.has(url.hostname) && url.username === '';
  if (url.protocol === 'https:') return !LOOPBACK_IPS.has(url.hostname) && url.hostname !== 'localhost';
  // RFC 8252 7.1: "a URI scheme based on a domain name under [the app's] control, expressed in
  // reverse order", so it contains a period; 8.4 warns against a scheme another app may claim.
  const scheme = url.protocol.slice(0, -1);
  return /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+$/.test(scheme);
}

/**
 * A browser app's web origin, as browsers send it in `Origin` (RFC 6454 6.1): scheme, host and a
 * non-default port, nothing else; https, or http on loopback for development.
 * @example isWebOrigin('https://app.example') // true; 'https://app.example/' is false
 */
export function isWebOrigin(value: string): boolean {
  const url = URL.parse(value);
  if (url === null || url.origin !== value) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', ...LOOPBACK_IPS].includes(url.hostname);
}

/** An issuer identifier (RFC 8414 2): https, or http on loopback; no query or fragment. */
export function isIssuerUrl(value: string): boolean {
  const url = URL.parse(value);
  if (url === null || url.search !== '' || url.hash !== '' || value.includes('#')) return false;
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && ['localhost', ...LOOPBACK_IPS].includes(url.hostname);
}
