import type { TokenSource } from '@jwtgate/verify';
import {
  compileHeaderPolicy,
  HEADER_NAME,
  type HeaderPolicy,
  identityHeaderProblem,
} from '../headers/header-policy.ts';
import type { ConfigPath, ConfigProblems } from './config-source.ts';
import type { GatewaySection, RouteConfig } from './types.ts';

/** What every route's header policy shares: the names no client may send upstream. */
export interface HeaderContext {
  /** Lower-case names of every identity header of every route. */
  readonly reserved: ReadonlySet<string>;
  readonly reservedPrefix: string;
  readonly trustForwarded: boolean;
}

/** The identity headers of every route and the reserved prefix (`identity_header_prefix`). */
export function compileHeaderContext(g: GatewaySection): HeaderContext {
  const reserved = new Set<string>();
  for (const r of g.routes) {
    for (const h of Object.keys(r.identity_headers ?? {})) reserved.add(h.toLowerCase());
    if (r.signed_identity !== undefined) reserved.add(r.signed_identity.header.toLowerCase());
  }
  return {
    reserved,
    reservedPrefix: g.identity_header_prefix.toLowerCase(),
    trustForwarded: g.trust_forwarded,
  };
}

/**
 * What the upstream of one route sees of the request's headers, cookies and token parameters.
 * Null, with the problems recorded, when a header name is not acceptable.
 */
export function compileRouteHeaders(
  r: RouteConfig,
  at: ConfigPath,
  g: GatewaySection,
  providers: readonly string[],
  context: HeaderContext,
  problems: ConfigProblems,
): HeaderPolicy | null {
  let ok = true;
  for (const name of Object.keys(r.identity_headers ?? {})) {
    const problem = identityHeaderProblem(name);
    if (problem !== null) {
      problems.add([...at, 'identity_headers', name], problem, { key: true });
      ok = false;
    }
  }
  (r.strip_headers ?? []).forEach((name, i) => {
    if (!HEADER_NAME.test(name)) {
      problems.add([...at, 'strip_headers', i], `"${name}" is not a valid header name`);
      ok = false;
    }
  });
  if (!ok) return null;
  const sources = (name: string): readonly TokenSource[] => g.providers[name]?.token_from ?? [];
  try {
    return compileHeaderPolicy({
      // A public route reads no token, so none reaches its upstream either: whatever any
      // provider would read one from, and Authorization.
      tokenSources: r.public
        ? [{ bearer: true as const }, ...Object.keys(g.providers).flatMap(sources)]
        : providers.flatMap(sources),
      forwardToken: r.forward_token,
      stripHeaders: r.strip_headers ?? [],
      forwardMethodOverride: r.method_override === 'allow',
      identityHeaders: r.identity_headers ?? {},
      reserved: context.reserved,
      reservedPrefix: context.reservedPrefix,
      trustForwarded: context.trustForwarded,
    });
  } catch (err) {
    problems.add([...at, 'identity_headers'], (err as Error).message);
    return null;
  }
}
