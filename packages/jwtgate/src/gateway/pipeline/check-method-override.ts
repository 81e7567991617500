import type { CompiledRoute } from '../config/compile-gateway.ts';
import { GatewayError } from '../errors.ts';
import { METHOD_OVERRIDE_HEADERS } from '../headers/header-policy.ts';
import { type Denial, gatewayDenial, type RequestState } from './request-state.ts';

/**
 * Whether a form or query parameter name asks for another method: `_method`, as Rails
 * (Rack::MethodOverride), Laravel and Symfony read it, in any case, and as PHP reads it (PHP
 * drops leading spaces and turns a dot (or a space) into `_`, so ` .method` is `_method` to it;
 * `_method[x]` is an array it may still take).
 */
export function isMethodOverrideName(name: string): boolean {
  // PHP skips leading spaces in a name, then reads ' ' and '.' as '_'.
  const n = name.trimStart().toLowerCase();
  if (n.length < 7 || n.slice(1, 7) !== 'method' || (n[0] !== '_' && n[0] !== '.')) return false;
  return n.length === 7 || n[7] === '[';
}

/** Whether the query (with its `?`) names a method override. */
export function queryOverridesMethod(query: string): boolean {
  // Names may be percent-encoded (`%5Fmethod`): decode every name, but only when one could be it.
  if (!/method|%/i.test(query)) return false;
  for (const name of new URLSearchParams(query.slice(1)).keys()) if (isMethodOverrideName(name)) return true;
  return false;
}

const refused = (s: RequestState) => gatewayDenial(s, new GatewayError('ERR_METHOD_OVERRIDE'));

/**
 * Step: a request that asks for another method than the one it was routed by would reach an
 * upstream framework as that method, past the rules of this route: a public `POST /docs/x` with
 * `_method=DELETE` is a DELETE to Rails, Laravel, Symfony and Express's method-override. With
 * `method_override: refuse` (the default) the header forms and `_method` in the query are
 * refused here (400 ERR_METHOD_OVERRIDE); with `strip` the headers are removed (header policy)
 * and the parameter by upstreamHeaders. A `_method` field in a form body is refused in both
 * modes, while the body is forwarded (forward.ts): a body is never rewritten.
 */
export function checkMethodOverride(s: RequestState): Denial | undefined {
  if ((s.route as CompiledRoute).methodOverride !== 'refuse') return undefined;
  const headers = s.req.headers;
  for (let i = 0; i < METHOD_OVERRIDE_HEADERS.length; i++)
    if (headers[METHOD_OVERRIDE_HEADERS[i] as string] !== undefined) return refused(s);
  if (s.query !== '' && queryOverridesMethod(s.query)) return refused(s);
  return undefined;
}
