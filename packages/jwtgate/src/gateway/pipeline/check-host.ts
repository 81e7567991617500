import { GatewayError } from '../errors.ts';
import { requestHost } from '../routes/host-pattern.ts';
import { type Denial, gatewayDenial, type RequestState } from './request-state.ts';

/**
 * Step: the host routes are matched on, from Host (HTTP/1.1) or `:authority` (HTTP/2), lower
 * case and without its port. A value that is not a host name or address is refused (400
 * ERR_HOST_INVALID), and so is an `:authority` that names another host than Host (RFC 9113
 * 8.3.1: they must agree): a route never matches on a host an upstream could read another way.
 */
export function checkHost(s: RequestState): Denial | undefined {
  const headers = s.req.headers;
  const authority = headers[':authority'];
  const host = requestHost(typeof authority === 'string' ? authority : headers.host);
  if (host === null) return gatewayDenial(s, new GatewayError('ERR_HOST_INVALID'));
  if (typeof authority === 'string' && headers.host !== undefined && requestHost(headers.host) !== host)
    return gatewayDenial(s, new GatewayError('ERR_HOST_INVALID'));
  s.host = host;
  return undefined;
}
