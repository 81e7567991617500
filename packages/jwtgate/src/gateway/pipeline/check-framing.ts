import { GatewayError } from '../errors.ts';
import { type Denial, gatewayDenial, type RequestState } from './request-state.ts';

/** How many Host fields the client sent (node keeps only the first in `req.headers`). */
function hostFields(raw: readonly string[]): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host')) n++;
  }
  return n;
}

/**
 * Step: refuses what node's parser lets through but an upstream (or a second parser in front of
 * it) may read differently, before anything is forwarded (400 ERR_REQUEST_MALFORMED):
 * - an HTTP/0.9-style request line (no version): it has no headers to carry identity in;
 * - more than one Host (RFC 9112 3.2: a server MUST answer 400);
 * - Transfer-Encoding in an HTTP/1.0 request (RFC 9112 6.1: its framing is faulty).
 */
export function checkFraming(s: RequestState): Denial | undefined {
  const req = s.req;
  if (
    req.httpVersionMajor === 0 ||
    (req.rawHeaders !== undefined && hostFields(req.rawHeaders) > 1) ||
    (req.httpVersionMajor === 1 &&
      req.httpVersionMinor === 0 &&
      req.headers['transfer-encoding'] !== undefined)
  ) {
    // The connection is closed after the answer: what follows on it cannot be trusted to be framed.
    const err = new GatewayError('ERR_REQUEST_MALFORMED', { headers: { connection: 'close' } });
    return gatewayDenial(s, err);
  }
  return undefined;
}
