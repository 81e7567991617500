/**
 * The form in which a proof's `htu` and the request URL are compared (RFC 9449 4.3 step 9):
 * scheme, host and path only, no query or fragment, after the syntax- and scheme-based
 * normalisation of RFC 3986 6.2.2 and 6.2.3 (case of scheme and host, default port, dot
 * segments, an empty path as `/`), which the WHATWG URL parser does. Undefined when it is not an
 * absolute http(s) URL, or carries credentials.
 *
 * @example
 * normalizeHtu('HTTPS://API.example:443/a/../b?x=1') // 'https://api.example/b'
 */
export function normalizeHtu(text: string): string | undefined {
  const url = URL.parse(text);
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return `${url.protocol}//${url.host}${url.pathname}`;
}
