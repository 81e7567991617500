import type { DpopRequestLike, RequestLike, Verifier } from '@jwtgate/verify';
import { type CorsPolicy, compileCors } from '../cors/compile-cors.ts';
import { clientOrigin } from '../headers/client-origin.ts';
import { type HeaderPolicy, identityHeaderProblem } from '../headers/header-policy.ts';
import type { IdentityKeys } from '../identity/identity-keys.ts';
import { compileSignedIdentity, type SignedIdentity } from '../identity/mint-identity.ts';
import { type Authenticate, allowAnonymous, compileAuthenticate } from '../pipeline/authenticate.ts';
import { type Authorize, compileAuthorize } from '../pipeline/authorize.ts';
import { type CheckClaims, compileClaimConditions } from '../pipeline/check-claims.ts';
import { ANY_HOST, compileHostPattern, type HostPattern } from '../routes/host-pattern.ts';
import { compilePathPattern, type PathPattern } from '../routes/path-pattern.ts';
import type { SharedRateLimiter } from '../state/redis-rate-limit.ts';
import { RouteGate } from '../upstream/upstream-gate.ts';
import { createTargetGroup, type PoolRegistry, type TargetGroup } from '../upstream/upstream-targets.ts';
import type { Limits } from './compile-limits.ts';
import { compileRouteHeaders, type HeaderContext } from './compile-route-headers.ts';
import { type ClientCertificateRule, routeClientCertificate, routeUpstreamTls } from './compile-route-tls.ts';
import { type ConfigPath, ConfigProblems, sourceWithoutLines } from './config-source.ts';
import { toMs } from './duration.ts';
import type { GatewaySection, RouteConfig } from './types.ts';

/** A route compiled once at load: nothing on it is re-validated per request. */
export interface CompiledRoute {
  readonly name: string;
  readonly pattern: PathPattern;
  /** `match.host` (any host when left out). */
  readonly host: HostPattern;
  /** `priority`: orders routes equally specific for a request. */
  readonly priority: number;
  readonly methods: ReadonlySet<string> | null;
  readonly public: boolean;
  /** Who the request is (null on public routes). */
  readonly authenticate: Authenticate | null;
  /** Whether they may (null when the route requires no role or scope). */
  readonly authorize: Authorize | null;
  /** `requires.claims` (null when there are none). */
  readonly claims: { readonly check: CheckClaims; readonly usesParams: boolean } | null;
  /** `requires.optional`: a request without any token goes on without identity. */
  readonly optional: boolean;
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
  /** Every provider of the route is `dpop: required` (a missing token gets a DPoP challenge). */
  readonly dpopRequired: boolean;
  /** `method_override`: refuse (400) or strip the ways to ask for another method. */
  readonly methodOverride: 'refuse' | 'strip' | 'allow';
  /** The route's cap on requests at the upstream at once (`max_concurrent`). */
  readonly gate: RouteGate;
  /** Its CORS (`cors`, else `gateway.cors`), or null for none. */
  readonly cors: CorsPolicy | null;
  /** The gateway's own token for the upstream (`signed_identity`), or null. */
  readonly signedIdentity: SignedIdentity | null;
  /** `client_certificate`: a verified client certificate (one of `subjects`) is required; null: not asked. */
  readonly clientCertificate: ClientCertificateRule | null;
}

/** What every route of one configuration is compiled against. */
export interface RouteContext {
  readonly g: GatewaySection;
  readonly verifier: Verifier;
  readonly pools: PoolRegistry;
  readonly limits: Limits;
  readonly headers: HeaderContext;
  readonly limiter: (scope: string, rate: number, burst: number) => SharedRateLimiter;
  /** The gateway's signing keys for `signed_identity` (opened by the gateway), or null. */
  readonly identityKeys: IdentityKeys | null;
  /** The client's token as a provider reads it (the signed identity cache's key). */
  readonly tokenOf: (provider: string, request: RequestLike) => string;
  readonly now: () => number;
}

// `gateway.cors` is checked once, by compileGateway; here only compiled for each route.
const UNREPORTED = () => new ConfigProblems(sourceWithoutLines(''));

/** The route's CORS: its own block, `false` for none, else the gateway's. */
function routeCors(
  r: RouteConfig,
  at: ConfigPath,
  g: GatewaySection,
  providers: readonly string[],
  problems: ConfigProblems,
) {
  const own = r.cors !== undefined;
  const config = own ? r.cors : g.cors;
  if (config === undefined || config === false) return null;
  return compileCors(
    {
      config,
      routeMethods: r.match.methods,
      tokenHeaders: providers.flatMap((p) =>
        (g.providers[p]?.token_from ?? []).flatMap((t) => ('header' in t ? [t.header] : [])),
      ),
    },
    own ? [...at, 'cors'] : ['gateway', 'cors'],
    own ? problems : UNREPORTED(),
  );
}

/** The route's signed identity, or null; problems recorded at `signed_identity`. */
function routeSignedIdentity(
  r: RouteConfig,
  at: ConfigPath,
  context: RouteContext,
  problems: ConfigProblems,
): SignedIdentity | null {
  const si = r.signed_identity;
  const keys = context.g.signed_identity;
  if (si === undefined) return null;
  const where = [...at, 'signed_identity'];
  const problem = identityHeaderProblem(si.header);
  if (r.public === true) problems.add(where, 'needs an authenticated route (it says who the caller is)');
  else if (keys === undefined) problems.add(where, 'needs gateway.signed_identity (its keys)');
  else if (problem !== null) problems.add([...where, 'header'], problem);
  else if (toMs(si.lifetime) > 3600_000 || toMs(si.lifetime) < 1000)
    problems.add([...where, 'lifetime'], 'between 1s and 1h');
  else if (context.identityKeys !== null)
    return compileSignedIdentity({
      header: si.header.toLowerCase(),
      issuer: keys.issuer,
      audience: si.audience ?? r.name,
      lifetimeSeconds: Math.floor(toMs(si.lifetime) / 1000),
      rolesClaim: (p) => context.g.providers[p]?.roles_claim ?? 'roles',
      keys: context.identityKeys,
      maxEntries: keys.cache_max_entries,
      now: context.now,
      tokenOf: context.tokenOf,
    });
  return null;
}

/** Whether `prefix` is whole literal leading segments of the pattern (`/bill` is not one of `/billing/**`). */
function isSegmentPrefix(prefix: string, pattern: PathPattern): boolean {
  const parts = prefix.replace(/\/$/, '').split('/').slice(1);
  return (
    parts.length <= pattern.segments.length && parts.every((s, i) => s !== '*' && s === pattern.segments[i])
  );
}

/** The providers a route names (`provider`, `any` or `all`; the schema allows exactly one). */
export function routeProviders(r: RouteConfig): string[] {
  const q = r.requires;
  if (q === undefined) return [];
  return q.provider !== undefined ? [q.provider] : (q.any ?? q.all ?? []);
}

/**
 * Compiles one route: its path pattern, who it lets in (authenticate, authorize), what its
 * upstream sees, and its limits. Null, with every problem recorded at its path, when it cannot be.
 */
export function compileRoute(
  r: RouteConfig,
  at: ConfigPath,
  context: RouteContext,
  problems: ConfigProblems,
): CompiledRoute | null {
  const { g, verifier } = context;
  const before = problems.count;
  let pattern: PathPattern | null = null;
  try {
    pattern = compilePathPattern(r.match.path);
  } catch (err) {
    problems.add([...at, 'match', 'path'], (err as Error).message);
  }
  let host: HostPattern = ANY_HOST;
  try {
    host = compileHostPattern(r.match.host);
  } catch (err) {
    problems.add([...at, 'match', 'host'], (err as Error).message);
  }
  const isPublic = r.public === true;
  const providers = routeProviders(r);
  providers.forEach((p, i) => {
    if (Object.hasOwn(g.providers, p)) return;
    const where = r.requires?.provider !== undefined ? ['provider'] : [r.requires?.any ? 'any' : 'all', i];
    problems.add(
      [...at, 'requires', ...where],
      `unknown provider "${p}" (providers: ${Object.keys(g.providers).join(', ')})`,
    );
  });
  if (r.rate_limit && r.requires?.optional)
    problems.add(
      [...at, 'rate_limit'],
      'needs an authenticated route (requires.optional lets requests without a token in)',
    );
  let claims: CompiledRoute['claims'] = null;
  if (r.requires?.claims !== undefined && pattern !== null) {
    try {
      claims = compileClaimConditions(r.requires.claims, pattern);
    } catch (err) {
      const claim = (err as { claim?: string }).claim;
      problems.add([...at, 'requires', 'claims', ...(claim ? [claim] : [])], (err as Error).message);
    }
  }
  if (r.rate_limit && isPublic)
    problems.add([...at, 'rate_limit'], `needs an authenticated route (it counts per ${r.rate_limit.per})`);
  if (r.strip_prefix && pattern !== null && !isSegmentPrefix(r.strip_prefix, pattern))
    problems.add([...at, 'strip_prefix'], `${r.strip_prefix} is not a prefix of ${pattern.source}`);
  if (r.method_override === 'allow' && r.match.methods !== undefined)
    problems.add(
      [...at, 'method_override'],
      'allow needs a route without methods (an override could escape its method rules)',
    );
  if (r.match.methods?.includes('CONNECT'))
    problems.add([...at, 'match', 'methods'], 'CONNECT is not supported (the gateway does not tunnel)');
  if (r.requires?.delegation?.required === true && r.requires.delegation.max_depth === 0)
    problems.add(
      [...at, 'requires', 'delegation'],
      'required: true with max_depth: 0 would refuse every token',
    );
  const headers = compileRouteHeaders(r, at, g, providers, context.headers, problems);
  const cors = routeCors(r, at, g, providers, problems);
  const signedIdentity = routeSignedIdentity(r, at, context, problems);
  const clientCertificate = routeClientCertificate(r, at, g, problems);
  const upstreamTls = routeUpstreamTls(r, at, problems);
  if (problems.count > before || pattern === null || headers === null) return null;

  let authenticate: Authenticate | null = null;
  let authorize: Authorize | null = null;
  const q = r.requires;
  if (q !== undefined) {
    const sources = (name: string) => g.providers[name]?.token_from;
    // A DPoP proof names the URL the client used: behind a trusted proxy, the one it forwarded.
    const trustForwarded = context.headers.trustForwarded;
    const originOf = (req: DpopRequestLike) => clientOrigin(req, trustForwarded);
    authenticate = compileAuthenticate(verifier, providers, q.all ? 'all' : 'any', sources, originOf);
    if (q.optional) authenticate = allowAnonymous(authenticate, providers.map(sources));
    authorize = compileAuthorize(
      verifier,
      providers,
      {
        ...(q.roles_any ? { rolesAny: q.roles_any } : {}),
        ...(q.roles_all ? { rolesAll: q.roles_all } : {}),
        ...(q.scopes_any ? { scopesAny: q.scopes_any } : {}),
        ...(q.scopes_all ? { scopesAll: q.scopes_all } : {}),
        ...(q.delegation
          ? {
              delegation: {
                ...(q.delegation.required !== undefined ? { required: q.delegation.required } : {}),
                ...(q.delegation.max_depth !== undefined ? { maxDepth: q.delegation.max_depth } : {}),
                ...(q.delegation.actors ? { actors: q.delegation.actors } : {}),
              },
            }
          : {}),
      },
      q.amr_any,
    );
  }
  const rl = r.rate_limit;
  return Object.freeze({
    name: r.name,
    pattern,
    host,
    priority: r.priority,
    methods: r.match.methods ? new Set(r.match.methods) : null,
    public: isPublic,
    authenticate,
    authorize,
    claims,
    optional: q?.optional === true,
    upstream: createTargetGroup(
      Array.isArray(r.upstream) ? r.upstream : [r.upstream],
      context.pools,
      upstreamTls,
    ),
    stripPrefix: r.strip_prefix ? r.strip_prefix.replace(/\/$/, '') : null,
    headers,
    scope: [...(q?.scopes_all ?? []), ...(q?.scopes_any ?? [])].join(' '),
    timeoutMs: toMs(r.timeout),
    // A route without its own limit has the gateway's.
    maxBodyBytes: r.max_body_bytes ?? g.max_body_bytes,
    rateLimit: rl
      ? {
          per: rl.per,
          // No burst given: one second's worth.
          limiter: context.limiter(
            `${r.name}:${rl.per}`,
            rl.requests_per_second,
            rl.burst ?? Math.max(1, Math.ceil(rl.requests_per_second)),
          ),
        }
      : null,
    websocket: r.websocket,
    dpopRequired: providers.length > 0 && providers.every((p) => g.providers[p]?.dpop === 'required'),
    methodOverride: r.method_override,
    gate: new RouteGate(r.name, r.max_concurrent ?? context.limits.routeMaxConcurrent),
    cors,
    signedIdentity,
    clientCertificate,
  });
}
