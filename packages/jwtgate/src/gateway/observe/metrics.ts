import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** The limits a client can reach (`gateway.limits`, body size, rate limits): `jwtgate_limit_reached_total{limit}`. */
export const LIMIT_NAMES = [
  'max_connections',
  'connections_per_address',
  'first_byte_timeout',
  'headers_timeout',
  'idle_timeout',
  'body_timeout',
  'body_too_large',
  'upstream_busy',
  'rate_limited',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

/** One origin's admission state, read at scrape time. */
export interface UpstreamLoad {
  readonly origin: string;
  readonly active: number;
  readonly waiting: number;
}

/** The gateway's Prometheus metrics (Envoy jwt_authn's counters, by route and reason code). */
export interface GatewayMetrics {
  readonly registry: Registry;
  request(route: string, status: number): void;
  decision(decision: 'allow' | 'deny', reason: string): void;
  upstream(route: string, seconds: number): void;
  jwksFetch(provider: string, ok: boolean): void;
  /** A JWKS or discovery GET with `redis.jwks_cache`: served from Redis, fetched, or fetched because Redis failed. */
  sharedJwks(result: 'hit' | 'miss' | 'error'): void;
  /** Called at scrape time to read the verifier's cache counters. */
  setCacheSource(read: () => { hits: number; misses: number }): void;
  /** A client reached a limit (and got what docs/security-model.md says it gets). */
  limitReached(limit: LimitName): void;
  /** Read at scrape time: open client connections and the cap in force. */
  setConnectionSource(read: () => Promise<{ open: number; max: number }>): void;
  /** Read at scrape time: requests at each upstream origin and waiting for it. */
  setUpstreamSource(read: () => readonly UpstreamLoad[]): void;
}

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'jwtgate_' });
  const requests = new Counter({
    name: 'jwtgate_requests_total',
    help: 'Requests answered, by route and status',
    labelNames: ['route', 'status'],
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'jwtgate_auth_decisions_total',
    help: 'Authentication and authorization decisions, by outcome and reason code',
    labelNames: ['decision', 'reason'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'jwtgate_upstream_duration_seconds',
    help: 'Time from forwarding a request to the end of the upstream response',
    labelNames: ['route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const jwks = new Counter({
    name: 'jwtgate_jwks_fetch_total',
    help: 'JWKS and discovery fetches, by provider and result',
    labelNames: ['provider', 'result'],
    registers: [registry],
  });
  const sharedJwks = new Counter({
    name: 'jwtgate_jwks_shared_cache_total',
    help: 'JWKS and discovery lookups in the shared Redis cache, by result (hit, miss, error)',
    labelNames: ['result'],
    registers: [registry],
  });
  let cacheSource: () => { hits: number; misses: number } = () => ({ hits: 0, misses: 0 });
  new Counter({
    name: 'jwtgate_token_cache_hits_total',
    help: 'Verified-token cache hits',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cacheSource().hits);
    },
  });
  new Counter({
    name: 'jwtgate_token_cache_misses_total',
    help: 'Verified-token cache misses',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(cacheSource().misses);
    },
  });
  const limits = new Counter({
    name: 'jwtgate_limit_reached_total',
    help: 'Clients that reached a limit, by limit (see docs/security-model.md)',
    labelNames: ['limit'],
    registers: [registry],
  });
  // Every limit is listed from the start (at 0), so a dashboard sees the series before the first hit.
  for (const name of LIMIT_NAMES) limits.labels(name).inc(0);
  let connectionSource: () => Promise<{ open: number; max: number }> = async () => ({ open: 0, max: 0 });
  new Gauge({
    name: 'jwtgate_connections',
    help: 'Open client connections',
    registers: [registry],
    async collect() {
      this.set((await connectionSource()).open);
    },
  });
  new Gauge({
    name: 'jwtgate_max_connections',
    help: 'Client connections allowed at once (limits.max_connections, kept under the open-file limit)',
    registers: [registry],
    async collect() {
      this.set((await connectionSource()).max);
    },
  });
  let upstreamSource: () => readonly UpstreamLoad[] = () => [];
  new Gauge({
    name: 'jwtgate_upstream_active_requests',
    help: 'Requests at each upstream origin now',
    labelNames: ['origin'],
    registers: [registry],
    collect() {
      this.reset();
      for (const u of upstreamSource()) this.labels(u.origin).set(u.active);
    },
  });
  new Gauge({
    name: 'jwtgate_upstream_waiting_requests',
    help: 'Requests waiting for a connection to each upstream origin (or a place under their route max_concurrent)',
    labelNames: ['origin'],
    registers: [registry],
    collect() {
      this.reset();
      for (const u of upstreamSource()) this.labels(u.origin).set(u.waiting);
    },
  });
  // Label children are looked up once per combination, not hashed on every request.
  const requestChildren = new Map<string, { inc(): void }>();
  const decisionChildren = new Map<string, { inc(): void }>();
  const latencyChildren = new Map<string, { observe(v: number): void }>();
  return {
    registry,
    request(route, status) {
      const key = `${route}\u0000${status}`;
      let child = requestChildren.get(key);
      if (!child) {
        child = requests.labels(route, String(status));
        requestChildren.set(key, child);
      }
      child.inc();
    },
    decision(decision, reason) {
      const key = `${decision}\u0000${reason}`;
      let child = decisionChildren.get(key);
      if (!child) {
        child = decisions.labels(decision, reason);
        decisionChildren.set(key, child);
      }
      child.inc();
    },
    upstream(route, seconds) {
      let child = latencyChildren.get(route);
      if (!child) {
        child = latency.labels(route);
        latencyChildren.set(route, child);
      }
      child.observe(seconds);
    },
    jwksFetch(provider, ok) {
      jwks.labels(provider, ok ? 'success' : 'failure').inc();
    },
    sharedJwks(result) {
      sharedJwks.labels(result).inc();
    },
    setCacheSource(read) {
      cacheSource = read;
    },
    limitReached(limit) {
      limits.labels(limit).inc();
    },
    setConnectionSource(read) {
      connectionSource = read;
    },
    setUpstreamSource(read) {
      upstreamSource = read;
    },
  };
}
