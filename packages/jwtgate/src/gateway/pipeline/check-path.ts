import { GatewayError } from '../errors.ts';
import { type Denial, gatewayDenial, type RequestState } from './request-state.ts';

/**
 * Paths are matched as sent, so anything an upstream could resolve to another path is refused:
 * dot segments (also percent-encoded, and `..;` which Java servers resolve), `;` parameters,
 * backslashes, encoded slashes, NUL, empty segments, and a fragment (RFC 9112 3.2: never in a
 * request-target; an upstream that drops it would see a path the routes did not match).
 */
const UNSAFE_PATH = /(^|\/)(\.|%2e){1,2}(\/|;|$)|;|%3b|\\|%2f|%5c|%00|\/\/|#/i;

/**
 * Step: splits the target into path and query, and refuses an unsafe path (400 ERR_PATH_INVALID),
 * and a fragment in the query as well: it is no more part of a request-target there.
 */
export function checkPath(s: RequestState): Denial | undefined {
  const url = s.req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (!path.startsWith('/') || UNSAFE_PATH.test(path) || (q !== -1 && url.includes('#', q))) {
    return gatewayDenial(s, new GatewayError('ERR_PATH_INVALID'));
  }
  s.path = path;
  s.query = q === -1 ? '' : url.slice(q);
  return undefined;
}
