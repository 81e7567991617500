import type { IncomingMessage, ServerResponse } from 'node:http';

// CORS for browser apps (public clients with registered web origins) at the endpoints they call:
// token, revocation, introspection, device authorization and userinfo. Exactly the registered
// origins are answered; any other origin gets no Access-Control-* header at all, so the browser
// keeps the answer from the page. Cookies are never involved (no Allow-Credentials): these
// endpoints authenticate by client id, PKCE verifier or bearer token.

/** Whether an origin is registered by the client that made the request, or by any client when none is known yet. */
export type OriginCheck = (origin: string) => Promise<boolean>;

/** Request headers a browser app may send (Fetch standard: what is not CORS-safelisted needs a preflight). */
const ALLOWED_REQUEST_HEADERS = new Set(['authorization', 'content-type', 'dpop']);
/** How long a browser may reuse a preflight answer. Short: an origin removed from a client stops working soon. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** The request's Origin, when it sent exactly one. */
export function requestOrigin(req: IncomingMessage): string | undefined {
  const origin = req.headers.origin;
  return typeof origin === 'string' && origin !== '' ? origin : undefined;
}

/**
 * Answers an OPTIONS request: a CORS preflight (Fetch standard 4.8) from a registered origin gets
 * the methods and the request headers it may use; from any other origin, a 403 without CORS
 * headers. A preflight names no client, so the check is whether any enabled client registers
 * the origin; the actual request is then checked against its own client.
 *
 * @example
 * if (req.method === 'OPTIONS') return answerPreflight(req, res, 'POST', (o) => store.clients.hasWebOrigin(o));
 */
export async function answerPreflight(
  req: IncomingMessage,
  res: ServerResponse,
  methods: string,
  registered: OriginCheck,
): Promise<void> {
  const origin = requestOrigin(req);
  const method = req.headers['access-control-request-method'];
  const vary = 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers';
  if (origin === undefined || typeof method !== 'string') {
    res.writeHead(204, { allow: `${methods}, OPTIONS`, vary, 'cache-control': 'no-store' }).end();
    return;
  }
  const allowedMethods = methods.split(',').map((m) => m.trim());
  const requested = String(req.headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  const ok =
    allowedMethods.includes(method) &&
    requested.every((h) => ALLOWED_REQUEST_HEADERS.has(h)) &&
    (await registered(origin));
  if (!ok) {
    res
      .writeHead(403, {
        'content-type': 'application/json; charset=utf-8',
        vary,
        'cache-control': 'no-store',
      })
      .end(
        JSON.stringify({
          error: 'invalid_request',
          error_description: 'this origin, method or header is not allowed',
        }),
      );
    return;
  }
  res
    .writeHead(204, {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': allowedMethods.join(', '),
      ...(requested.length > 0 ? { 'access-control-allow-headers': requested.join(', ') } : {}),
      'access-control-max-age': String(PREFLIGHT_MAX_AGE_SECONDS),
      vary,
    })
    .end();
}

/** The headers that let the page read an answer: only for an allowed origin. */
export function corsHeaders(origin: string | undefined, allowed: boolean): Record<string, string> {
  if (origin === undefined || !allowed) return { vary: 'Origin' };
  return {
    'access-control-allow-origin': origin,
    'access-control-expose-headers': 'WWW-Authenticate',
    vary: 'Origin',
  };
}
