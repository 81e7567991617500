import type { IncomingMessage } from 'node:http';

/** Whether the request came over HTTP/2 (node's compatibility request object). */
export const isHttp2 = (req: IncomingMessage): boolean => req.httpVersionMajor === 2;

/**
 * An HTTP/2 request carries its host as `:authority` (RFC 9113 8.3.1), and a Host header only
 * when the client chose to send one: routing, X-Forwarded-Host and logs read `host`, so it is
 * set from `:authority` when absent. The pseudo-headers stay (node's request reads its method and
 * path from them); the header policy never forwards them.
 */
export function adaptHttp2Request(req: IncomingMessage): void {
  const headers = req.headers;
  if (headers.host === undefined && typeof headers[':authority'] === 'string')
    headers.host = headers[':authority'];
}
