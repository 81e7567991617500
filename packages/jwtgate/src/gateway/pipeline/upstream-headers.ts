import type { CompiledRoute } from '../config/compile-gateway.ts';
import { isMethodOverrideName, queryOverridesMethod } from './check-method-override.ts';
import type { RequestState } from './request-state.ts';

/**
 * Step: what the upstream sees. Headers by the route's header policy (client copies of identity,
 * forwarding and override headers removed, identity set from the verified claims), and the path:
 * the route prefix stripped, the token's query parameter removed unless forwarded (and `_method`
 * with `method_override: strip`).
 */
export function upstreamHeaders(s: RequestState): undefined {
  const route = s.route as CompiledRoute;
  s.headers = route.headers.upstreamHeaders(s.req, s.identity?.claims, s.requestId, s.identity?.binding);
  let p = s.path;
  if (route.stripPrefix !== null && p.startsWith(route.stripPrefix)) {
    p = p.slice(route.stripPrefix.length);
    if (!p.startsWith('/')) p = `/${p}`;
  }
  let query = s.query;
  const drop = route.headers.dropQuery;
  const override = route.methodOverride === 'strip' && query !== '' && queryOverridesMethod(query);
  if (query !== '' && (drop.size > 0 || override)) {
    const params = new URLSearchParams(query.slice(1));
    for (const name of drop) params.delete(name);
    if (override) for (const name of [...params.keys()]) if (isMethodOverrideName(name)) params.delete(name);
    const rest = params.toString();
    query = rest === '' ? '' : `?${rest}`;
  }
  s.upstreamPath = p + query;
  return undefined;
}
