import {
  compileTokenExtractor,
  type DpopCredentials,
  type RequestLike,
  readDpopCredentials,
  usesDpopScheme,
  type Verifier,
} from '@jwtgate/verify';
import { compileCors } from '../cors/compile-cors.ts';
import type { IdentityKeys } from '../identity/identity-keys.ts';
import { type ConnectionPlan, planConnections } from '../limits/plan-connections.ts';
import { compileMatcher, findOverlaps, type MatchResult } from '../routes/match-route.ts';
import type { RedisSettings, SharedRedis } from '../state/shared-redis.ts';
import { PoolRegistry } from '../upstream/upstream-targets.ts';
import { compileLimits, type Limits } from './compile-limits.ts';
import { compileProviders, type ProviderContext } from './compile-providers.ts';
import { type CompiledRoute, compileRoute } from './compile-route.ts';
import { compileHeaderContext } from './compile-route-headers.ts';
import { dpopReplayCache, planSharedState, rateLimiterFactory } from './compile-shared-state.ts';
import { type ConfigPath, ConfigProblems } from './config-source.ts';
import { toMs } from './duration.ts';
import type { LoadedConfig } from './read-config.ts';

export type { CompiledRoute };

export interface CompiledGateway {
  readonly listen: { readonly host: string; readonly port: number };
  readonly admin: { readonly host: string; readonly port: number } | null;
  readonly verifier: Verifier;
  readonly routes: readonly CompiledRoute[];
  readonly match: (method: string, path: string) => MatchResult<CompiledRoute>;
  /** Lower-case names a client may never send upstream: every identity header, and the reserved prefix. */
  readonly reservedHeaders: ReadonlySet<string>;
  readonly reservedPrefix: string;
  readonly trustForwarded: boolean;
  /** Upstream pools, each opened by the first request to its origin (compiling opens none). */
  readonly pools: PoolRegistry;
  /** The issuer revocation stream to follow (`<feed>/revocations/stream`), or null. */
  readonly revocationFeed: string | null;
  /** The configured Redis (`gateway.redis`), or null. */
  readonly redis: RedisSettings | null;
  /** Whether authenticated routes must answer 503 now (Redis down with `on_failure: closed`). */
  readonly refusing: () => boolean;
  /** `gateway.limits`, in the server's units. */
  readonly limits: Limits;
  /** Client and upstream connections as fitted under the open-file limit. */
  readonly connections: ConnectionPlan;
}

export interface CompileContext extends ProviderContext {
  /** The gateway's open Redis connection, when `gateway.redis` is configured: routes share rate limits through it. */
  readonly redis?: SharedRedis | null;
  /** The process's open-file limit (readOpenFileLimit); connections are fitted under it. Default: none. */
  readonly openFileLimit?: number;
  /** The gateway's signing keys, opened by the gateway when `gateway.signed_identity` is set. */
  readonly identityKeys?: IdentityKeys | null;
}

export function parseHostPort(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const host = text.slice(0, i).replace(/^\[|\]$/g, '');
  return { host, port: Number(text.slice(i + 1)) };
}

/**
 * Compiles a validated configuration into frozen routes, one verifier and a matcher. Nothing is
 * opened (no socket, no Redis connection, no pool): the gateway does that when it serves. Every
 * cross-reference problem (unknown provider, overlapping routes, a bad header name) is collected
 * and thrown as one ConfigError naming the file, the path and its line.
 */
export function compileGateway(loaded: LoadedConfig, context: CompileContext): CompiledGateway {
  const g = loaded.config.gateway;
  const problems = new ConfigProblems(loaded.source);
  const shared = context.redis ?? null;
  const verifier = compileProviders(g, { ...context, dpopReplay: dpopReplayCache(shared) }, problems);
  problems.throwIfAny();
  const limits = compileLimits(g.limits);
  const origins = new Set(
    g.routes
      .flatMap((r) => (Array.isArray(r.upstream) ? r.upstream : [r.upstream]))
      .map((u) => URL.parse(u)?.origin),
  );
  const connections = planConnections({
    openFileLimit: context.openFileLimit ?? Number.POSITIVE_INFINITY,
    maxConnections: limits.maxConnections,
    upstreamConnections: limits.upstreamConnections,
    origins: origins.size,
  });
  const pools = new PoolRegistry(connections.upstreamConnections);
  const headers = compileHeaderContext(g);
  const extractors = new Map(
    Object.entries(g.providers).map(([name, p]) => [name, compileTokenExtractor(p.token_from)] as const),
  );
  const routeContext = {
    g,
    verifier: verifier as Verifier,
    pools,
    limits,
    headers,
    limiter: rateLimiterFactory(shared),
    identityKeys: context.identityKeys ?? null,
    // A DPoP request carries its token in Authorization whatever the provider reads (RFC 9449 7.1).
    tokenOf: (provider: string, request: RequestLike) =>
      usesDpopScheme(request)
        ? (readDpopCredentials(request) as DpopCredentials).token
        : (extractors.get(provider) as ReturnType<typeof compileTokenExtractor>)(request),
    now: context.now ?? Date.now,
  };
  // Checked once here; each route compiles it for its own methods and token headers.
  if (g.cors !== undefined)
    compileCors({ config: g.cors, routeMethods: undefined, tokenHeaders: [] }, ['gateway', 'cors'], problems);
  if (g.signed_identity !== undefined && toMs(g.signed_identity.rotate_after) < 60_000)
    problems.add(['gateway', 'signed_identity', 'rotate_after'], 'at least 1m');

  const names = new Map<string, number>();
  const routes: CompiledRoute[] = [];
  const located = new Map<CompiledRoute, ConfigPath>();
  g.routes.forEach((r, i) => {
    const at: ConfigPath = ['gateway', 'routes', i];
    const first = names.get(r.name);
    if (first !== undefined)
      problems.add([...at, 'name'], `duplicate route name "${r.name}" (also gateway.routes[${first}])`);
    else names.set(r.name, i);
    const route = compileRoute(r, at, routeContext, problems);
    if (route === null) return;
    routes.push(route);
    located.set(route, at);
  });
  for (const o of findOverlaps(routes)) {
    const [a, b] = o.routes.map((r) => located.get(r) as ConfigPath) as [ConfigPath, ConfigPath];
    const line = loaded.source.line(b);
    problems.add(a, `${o.message} (the other is gateway.routes[${b.at(-1)}]${line ? `, line ${line}` : ''})`);
  }
  const state = planSharedState(g, problems);
  problems.throwIfAny();
  return Object.freeze({
    listen: parseHostPort(g.listen),
    admin: g.admin?.listen ? parseHostPort(g.admin.listen) : null,
    verifier: verifier as Verifier,
    routes,
    match: compileMatcher(routes),
    reservedHeaders: headers.reserved,
    reservedPrefix: headers.reservedPrefix,
    trustForwarded: headers.trustForwarded,
    pools,
    revocationFeed: state.revocationFeed,
    redis: state.redis,
    refusing: () => shared?.refusing === true,
    limits,
    connections,
  });
}
