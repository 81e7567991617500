import {
  type Algorithm,
  createVerifier,
  type FetchEvent,
  type FetchFunction,
  type ProviderOptions,
  type TokenSource,
  type Verifier,
} from '@jwtgate/verify';
import { createRateLimiter } from '../../lib/rate-limit.ts';
import { ConfigError } from '../errors.ts';
import {
  compileHeaderPolicy,
  HEADER_NAME,
  type HeaderPolicy,
  identityHeaderProblem,
} from '../headers/header-policy.ts';
import { type ConnectionPlan, planConnections } from '../limits/plan-connections.ts';
import { type Authenticate, compileAuthenticate } from '../pipeline/authenticate.ts';
import { type Authorize, compileAuthorize } from '../pipeline/authorize.ts';
import { compileMatcher, compilePathPattern, findOverlaps, type MatchResult } from '../routes/match-route.ts';
import type { PathPattern } from '../routes/path-pattern.ts';
import { createRedisRateLimiter, type SharedRateLimiter } from '../state/redis-rate-limit.ts';
import { REVOCATION_GRACE_SECONDS, type RevocationList } from '../state/revocation-list.ts';
import type { RedisSettings, SharedRedis } from '../state/shared-redis.ts';
import { RouteGate } from '../upstream/upstream-gate.ts';
import { createTargetGroup, PoolRegistry, type TargetGroup } from '../upstream/upstream-targets.ts';
import { type CompiledDecisions, compileDecisions } from './compile-decisions.ts';
import { compileLimits, type Limits } from './compile-limits.ts';
import { toMs } from './duration.ts';
import type { GatewayConfig, ProviderConfig, RouteConfig } from './types.ts';

/** A route compiled once at load: nothing on it is re-validated per request. */
export interface CompiledRoute {
  readonly name: string;
  readonly pattern: PathPattern;
  readonly methods: ReadonlySet<string> | null;
  readonly public: boolean;
  /** Who the request is (null on public routes). */
  readonly authenticate: Authenticate | null;
  /** Whether they may (null when the route requires no role or scope). */
  readonly authorize: Authorize | null;
  readonly upstream: TargetGroup;
  readonly stripPrefix: string | null;
  /** What the upstream sees of the request's headers, cookies and token parameters. */
  readonly headers: HeaderPolicy;
  /** Scopes the route requires, for `WWW-Authenticate: ... scope="..."` on 403. */
  readonly scope: string;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
  readonly rateLimit: { readonly per: 'sub' | 'client_id'; readonly limiter: SharedRateLimiter } | null;
  readonly websocket: boolean;
  /** `method_override`: refuse (400) or strip the ways to ask for another method. */
  readonly methodOverride: 'refuse' | 'strip' | 'allow';
  /** The route's cap on requests at the upstream at once (`max_concurrent`). */
  readonly gate: RouteGate;
}

export interface CompiledGateway {
  readonly listen: { readonly host: string; readonly port: number };
  readonly admin: { readonly host: string; readonly port: number } | null;
  /** The forward-auth decision listener (`gateway.decisions`), or null. */
  readonly decisions: CompiledDecisions | null;
  readonly verifier: Verifier;
  readonly routes: readonly CompiledRoute[];
  readonly match: (method: string, path: string) => MatchResult<CompiledRoute>;
  /** Lower-case names a client may never send upstream: every identity header, and the reserved prefix. */
  readonly reservedHeaders: ReadonlySet<string>;
  readonly reservedPrefix: string;
  readonly trustForwarded: boolean;
  readonly pools: PoolRegistry;
  /** The issuer revocation stream to follow (`<feed>/revocations/stream`), or null. */
  readonly revocationFeed: string | null;
  /** The configured Redis (`gateway.redis`), or null. */
  readonly redis: RedisSettings | null;
  /** Whether authenticated routes must answer 503 now (Redis down with `on_failure: closed`). */
  readonly refusing: () => boolean;
  /** `gateway.limits`, defaults filled in. */
  readonly limits: Limits;
  /** Client and upstream connections as fitted under the open-file limit. */
  readonly connections: ConnectionPlan;
}

export interface CompileContext {
  readonly file: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly revocations: RevocationList;
  readonly onKeyFetch?: (provider: string, event: FetchEvent) => void;
  readonly now?: () => number;
  /** The gateway's open Redis connection, when `gateway.redis` is configured: routes share rate limits through it. */
  readonly redis?: SharedRedis | null;
  /** The fetch of remote key sources (the shared JWKS cache with `redis.jwks_cache`). Default: the global fetch. */
  readonly fetch?: FetchFunction;
  /** The process's open-file limit (readOpenFileLimit); connections are fitted under it. Default: none. */
  readonly openFileLimit?: number;
}

export function parseHostPort(text: string): { host: string; port: number } {
  const i = text.lastIndexOf(':');
  const host = text.slice(0, i).replace(/^\[|\]$/g, '');
  return { host, port: Number(text.slice(i + 1)) };
}

function providerOptions(p: ProviderConfig): ProviderOptions {
  const keySource =
    p.secret !== undefined
      ? { secret: p.secret }
      : p.keys !== undefined
        ? {
            keys: {
              ...(p.keys.jwks_file ? { jwksFile: p.keys.jwks_file } : {}),
              ...(p.keys.files ? { files: p.keys.files } : {}),
            },
          }
        : p.jwks_uri !== undefined
          ? { jwksUri: p.jwks_uri }
          : {};
  const remote: Record<string, number | boolean> = {};
  if (p.jwks?.timeout !== undefined) remote.timeoutMs = toMs(p.jwks.timeout, 0);
  if (p.jwks?.cooldown !== undefined) remote.cooldownMs = toMs(p.jwks.cooldown, 0);
  if (p.jwks?.cache_max_age !== undefined) remote.cacheMaxAgeMs = toMs(p.jwks.cache_max_age, 0);
  if (p.jwks?.max_bytes !== undefined) remote.maxBytes = p.jwks.max_bytes;
  if (p.jwks?.allow_http !== undefined) remote.allowHttp = p.jwks.allow_http;
  return {
    issuer: p.issuer,
    algorithms: p.algorithms as Algorithm[],
    audiences: p.audiences,
    ...keySource,
    ...(p.audience_mode ? { audienceMode: p.audience_mode } : {}),
    ...(p.token_types ? { tokenTypes: p.token_types } : {}),
    ...(p.leeway !== undefined ? { leewaySeconds: toMs(p.leeway, 0) / 1000 } : {}),
    ...(p.max_token_age !== undefined ? { maxTokenAgeSeconds: toMs(p.max_token_age, 0) / 1000 } : {}),
    ...(p.require_sub !== undefined ? { requireSub: p.require_sub } : {}),
    ...(p.required_claims ? { requiredClaims: p.required_claims } : {}),
    ...(p.roles_claim ? { rolesClaim: p.roles_claim } : {}),
    ...(Object.keys(remote).length ? { remote } : {}),
  };
}

/** Whether `prefix` is whole literal leading segments of the pattern (`/bill` is not one of `/billing/**`). */
function isSegmentPrefix(prefix: string, pattern: PathPattern): boolean {
  const parts = prefix.replace(/\/$/, '').split('/').slice(1);
  return (
    parts.length <= pattern.segments.length && parts.every((s, i) => s !== '*' && s === pattern.segments[i])
  );
}

// The verifier names its own options (camelCase); say them as the file spells them.
const FILE_NAMES: [RegExp, string][] = [
  [/^options\.providers\./, 'gateway.providers.'],
  [/^options\.cache\.maxEntries/, 'gateway.token_cache.max_entries'],
  [/^options\.cache\.maxBytes/, 'gateway.token_cache.max_bytes'],
  [/\.jwksUri\b/, '.jwks_uri'],
  [/\.jwksFile\b/, '.jwks_file'],
  [/\.audienceMode\b/, '.audience_mode'],
  [/\.tokenTypes\b/, '.token_types'],
  [/\.leewaySeconds\b/, '.leeway'],
  [/\.maxTokenAgeSeconds\b/, '.max_token_age'],
  [/\.requireSub\b/, '.require_sub'],
  [/\.requiredClaims\b/, '.required_claims'],
  [/\.rolesClaim\b/, '.roles_claim'],
  [/\.remote\.timeoutMs\b/, '.jwks.timeout'],
  [/\.remote\.cooldownMs\b/, '.jwks.cooldown'],
  [/\.remote\.cacheMaxAgeMs\b/, '.jwks.cache_max_age'],
  [/\.remote\.maxBytes\b/, '.jwks.max_bytes'],
  [/\.remote\.allowHttp\b/, '.jwks.allow_http'],
];

function fileOptionPath(message: string): string {
  const colon = message.indexOf(': ');
  let path = colon === -1 ? message : message.slice(0, colon);
  const rest = message.slice(path.length);
  for (const [from, to] of FILE_NAMES) path = path.replace(from, to);
  return path + rest;
}

/**
 * Compiles a validated configuration into frozen routes, one verifier and upstream pools.
 * Every cross-reference problem (unknown provider, overlapping routes, a route neither public
 * nor protected) is collected and thrown as one ConfigError naming the file and path.
 */
export function compileGateway(config: GatewayConfig, context: CompileContext): CompiledGateway {
  const g = config.gateway;
  const problems: string[] = [];
  const shared = context.redis ?? null;
  // With Redis, a route's buckets are shared by every replica; the local bucket is the fallback.
  const routeLimiter = (scope: string, rate: number, burst: number): SharedRateLimiter => {
    const local = createRateLimiter(rate, burst);
    if (shared === null) return local;
    return createRedisRateLimiter({
      redis: shared.client,
      prefix: shared.prefix,
      scope,
      rate,
      burst,
      onFailure: shared.onFailure,
      fallback: local,
    });
  };
  let verifier: Verifier;
  try {
    verifier = createVerifier({
      providers: Object.fromEntries(
        Object.entries(g.providers).map(([name, p]) => [name, providerOptions(p)]),
      ),
      isRevoked: context.revocations.isRevoked,
      ...(context.env ? { env: context.env } : {}),
      ...(context.now ? { now: context.now } : {}),
      ...(context.onKeyFetch ? { onKeyFetch: context.onKeyFetch } : {}),
      ...(context.fetch ? { fetch: context.fetch } : {}),
      ...(g.token_cache?.max_entries === 0
        ? {}
        : {
            cache: {
              maxEntries: g.token_cache?.max_entries ?? 10_000,
              maxBytes: g.token_cache?.max_bytes ?? 32 * 1024 * 1024,
            },
          }),
    });
  } catch (err) {
    // The verifier names paths like options.providers.corp.secret; in the file they live under gateway.
    const message = (err as { detail?: string }).detail ?? (err as Error).message;
    throw new ConfigError(context.file, [fileOptionPath(message)]);
  }
  const sources = (name: string): readonly TokenSource[] | undefined => g.providers[name]?.token_from;
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
  const reservedPrefix = (g.identity_header_prefix ?? 'x-jwtgate-').toLowerCase();
  const trustForwarded = g.trust_forwarded === true;
  // Revocations are kept until exp plus this grace (RevocationList); a larger leeway would let a
  // revoked token back in after its entry is gone.
  for (const [name, p] of Object.entries(g.providers)) {
    if (p.leeway !== undefined && toMs(p.leeway, 0) > REVOCATION_GRACE_SECONDS * 1000) {
      problems.push(`gateway.providers.${name}.leeway: at most ${REVOCATION_GRACE_SECONDS}s`);
    }
  }
  const reserved = new Set<string>();
  for (const r of g.routes)
    for (const h of Object.keys(r.identity_headers ?? {})) reserved.add(h.toLowerCase());

  const names = new Set<string>();
  const routes: CompiledRoute[] = [];
  const located = new Map<CompiledRoute, string>();
  g.routes.forEach((r: RouteConfig, i) => {
    const at = `gateway.routes[${i}] (${r.name})`;
    if (names.has(r.name)) problems.push(`${at}.name: duplicate route name`);
    names.add(r.name);
    let pattern: PathPattern;
    try {
      pattern = compilePathPattern(r.match.path);
    } catch (err) {
      problems.push(`${at}.match.path: ${(err as Error).message}`);
      return;
    }
    const isPublic = r.public === true;
    if (isPublic && r.requires) problems.push(`${at}: a public route cannot have requires`);
    if (!isPublic && !r.requires)
      problems.push(`${at}: requires is missing (routes are protected unless public: true)`);
    let authenticate: Authenticate | null = null;
    let authorize: Authorize | null = null;
    let providers: string[] = [];
    if (r.requires) {
      const q = r.requires;
      const given = [q.provider !== undefined, q.any !== undefined, q.all !== undefined].filter(
        Boolean,
      ).length;
      if (given !== 1) problems.push(`${at}.requires: give exactly one of provider, any, all`);
      providers = q.provider ? [q.provider] : (q.any ?? q.all ?? []);
      const unknown = providers.filter((p) => !Object.hasOwn(g.providers, p));
      if (unknown.length) problems.push(`${at}.requires: unknown provider ${unknown.join(', ')}`);
      else if (given === 1) {
        authenticate = compileAuthenticate(verifier, providers, q.all ? 'all' : 'any', sources);
        authorize = compileAuthorize(verifier, providers, {
          ...(q.roles_any ? { rolesAny: q.roles_any } : {}),
          ...(q.roles_all ? { rolesAll: q.roles_all } : {}),
          ...(q.scopes_any ? { scopesAny: q.scopes_any } : {}),
          ...(q.scopes_all ? { scopesAll: q.scopes_all } : {}),
        });
      }
    }
    if (r.rate_limit && isPublic)
      problems.push(
        `${at}.rate_limit: needs an authenticated route (it counts per ${r.rate_limit.per ?? 'sub'})`,
      );
    if (r.strip_prefix && !isSegmentPrefix(r.strip_prefix, pattern)) {
      problems.push(`${at}.strip_prefix: ${r.strip_prefix} is not a prefix of ${pattern.source}`);
    }
    for (const name of Object.keys(r.identity_headers ?? {})) {
      const problem = identityHeaderProblem(name);
      if (problem !== null) problems.push(`${at}.identity_headers: ${problem}`);
    }
    for (const name of r.strip_headers ?? []) {
      if (!HEADER_NAME.test(name)) problems.push(`${at}.strip_headers: "${name}" is not a valid header name`);
    }
    if (r.method_override === 'allow' && r.match.methods !== undefined)
      problems.push(
        `${at}.method_override: allow needs a route without methods (an override could escape its method rules)`,
      );
    if (r.match.methods?.includes('CONNECT'))
      problems.push(`${at}.match.methods: CONNECT is not supported (the gateway does not tunnel)`);
    const scope = [...(r.requires?.scopes_all ?? []), ...(r.requires?.scopes_any ?? [])].join(' ');
    let headers: HeaderPolicy;
    try {
      headers = compileHeaderPolicy({
        // A public route reads no token, so none reaches its upstream either: whatever any
        // provider would read one from, and Authorization.
        tokenSources: isPublic
          ? [{ bearer: true as const }, ...Object.keys(g.providers).flatMap((p) => sources(p) ?? [])]
          : providers.flatMap((p) => sources(p) ?? [{ bearer: true as const }]),
        forwardToken: r.forward_token === true,
        stripHeaders: r.strip_headers ?? [],
        forwardMethodOverride: r.method_override === 'allow',
        identityHeaders: r.identity_headers ?? {},
        reserved,
        reservedPrefix,
        trustForwarded,
      });
    } catch (err) {
      problems.push(`${at}.identity_headers: ${(err as Error).message}`);
      return;
    }
    const rl = r.rate_limit;
    routes.push(
      Object.freeze({
        name: r.name,
        pattern,
        methods: r.match.methods ? new Set(r.match.methods) : null,
        public: isPublic,
        authenticate,
        authorize,
        upstream: createTargetGroup(Array.isArray(r.upstream) ? r.upstream : [r.upstream], pools),
        stripPrefix: r.strip_prefix ? r.strip_prefix.replace(/\/$/, '') : null,
        headers,
        scope,
        timeoutMs: toMs(r.timeout, 30_000),
        maxBodyBytes: r.max_body_bytes ?? g.max_body_bytes ?? 10 * 1024 * 1024,
        rateLimit: rl
          ? {
              per: rl.per ?? 'sub',
              limiter: routeLimiter(
                `${r.name}:${rl.per ?? 'sub'}`,
                rl.requests_per_second,
                rl.burst ?? Math.max(1, Math.ceil(rl.requests_per_second)),
              ),
            }
          : null,
        websocket: r.websocket === true,
        methodOverride: r.method_override ?? 'refuse',
        gate: new RouteGate(r.name, r.max_concurrent ?? limits.routeMaxConcurrent),
      }),
    );
    located.set(routes.at(-1) as CompiledRoute, `gateway.routes[${i}]`);
  });
  problems.push(...findOverlaps(routes, (r) => located.get(r) ?? r.name));
  let revocationFeed: string | null = null;
  if (g.revocation) {
    const base = URL.parse(g.revocation.feed);
    if (base === null || !/^https?:$/.test(base.protocol)) {
      problems.push('gateway.revocation.feed: expected an http(s) URL');
    } else if (base.protocol === 'http:' && !/^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(base.hostname)) {
      // The feed decides which tokens are denied: over plain http to another host it could be suppressed.
      problems.push('gateway.revocation.feed: plain http is allowed only to a loopback address; use https');
    } else {
      revocationFeed = new URL('revocations/stream', base.href.endsWith('/') ? base.href : `${base.href}/`)
        .href;
    }
  }
  let redis: RedisSettings | null = null;
  if (g.redis) {
    const u = URL.parse(g.redis.url);
    if (u === null || !/^rediss?:$/.test(u.protocol) || u.hostname === '')
      problems.push('gateway.redis.url: expected redis://host:port or rediss://host:port');
    else
      redis = {
        url: g.redis.url,
        prefix: g.redis.key_prefix ?? 'jwtgate:',
        onFailure: g.redis.on_failure ?? 'open',
        jwksCache: g.redis.jwks_cache === true,
      };
  }
  const decisions = compileDecisions(g.decisions, problems);
  if (problems.length) {
    void pools.close();
    throw new ConfigError(context.file, problems);
  }
  return Object.freeze({
    listen: parseHostPort(g.listen),
    admin: g.admin?.listen ? parseHostPort(g.admin.listen) : null,
    decisions,
    verifier,
    routes,
    match: compileMatcher(routes),
    reservedHeaders: reserved,
    reservedPrefix,
    trustForwarded: g.trust_forwarded === true,
    pools,
    revocationFeed,
    redis,
    refusing: () => shared?.refusing === true,
    limits,
    connections,
  });
}
