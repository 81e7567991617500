import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import {
  asMetric,
  type CounterCell,
  CounterTable,
  type HistogramCell,
  HistogramTable,
} from './plain-metrics.ts';

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
  'http2_resets',
  'http2_bad_frames',
] as const;
export type LimitName = (typeof LIMIT_NAMES)[number];

/** One origin's admission state, read at scrape time. */
export interface UpstreamLoad {
  readonly origin: string;
  readonly active: number;
  readonly waiting: number;
}

/**
 * What answered a request: the gateway proxying it (`proxy`, upgrades too) or the decision
 * listener deciding it for another proxy (`decision`). The `mode` label of the request series.
 */
export type RequestMode = 'proxy' | 'decision';

/** The gateway's Prometheus metrics (Envoy jwt_authn's counters, by route and reason code). */
export interface GatewayMetrics {
  readonly registry: Registry;
  request(route: string, status: number, mode: RequestMode): void;
  decision(decision: 'allow' | 'deny', reason: string): void;
  upstream(route: string, seconds: number): void;
  /** The whole request, from arrival to the last byte of the answer (or the client leaving). */
  requestDuration(route: string, seconds: number, mode: RequestMode): void;
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

/** Seconds; the same buckets for the upstream's part and the whole request. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * prom-client's default process metrics, minus the gauges whose names end in `_total` (Prometheus
 * keeps that suffix for counters): `nodejs_active_{handles,requests,resources}_total` are the
 * sums of the labelled `nodejs_active_*` gauges, which stay.
 */
const DROPPED_DEFAULTS = ['active_handles_total', 'active_requests_total', 'active_resources_total'];

export function createMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'jwtgate_' });
  for (const name of DROPPED_DEFAULTS) registry.removeSingleMetric(`jwtgate_nodejs_${name}`);
  // The request path's counters and histograms: plain tables, rendered at scrape time.
  const requests = new CounterTable(
    'jwtgate_requests_total',
    'Requests answered, by route, status and mode (proxy: forwarded by the gateway; decision: decided for another proxy)',
    ['route', 'status', 'mode'],
  );
  const decisions = new CounterTable(
    'jwtgate_auth_decisions_total',
    'Authentication and authorization decisions, by outcome and reason code',
    ['decision', 'reason'],
  );
  const latency = new HistogramTable(
    'jwtgate_upstream_duration_seconds',
    'Time from forwarding a request to the end of the upstream response',
    ['route'],
    DURATION_BUCKETS,
  );
  const duration = new HistogramTable(
    'jwtgate_request_duration_seconds',
    'Time from a request arriving to the end of its answer (or the client leaving), by route and mode',
    ['route', 'mode'],
    DURATION_BUCKETS,
  );
  const limits = new CounterTable(
    'jwtgate_limit_reached_total',
    'Clients that reached a limit, by limit (see docs/security-model.md)',
    ['limit'],
  );
  // Every limit is listed from the start (at 0), so a dashboard sees the series before the first hit.
  const limitCells = new Map(LIMIT_NAMES.map((name) => [name, limits.cell(name)]));
  for (const m of [requests, decisions, latency, duration, limits]) registry.registerMetric(asMetric(m));
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
  // Cells by mode, route and status in nested maps: Map lookups per count, no label string built.
  const requestCells: Record<RequestMode, Map<string, Map<number, CounterCell>>> = {
    proxy: new Map(),
    decision: new Map(),
  };
  const durationCells: Record<RequestMode, Map<string, HistogramCell>> = {
    proxy: new Map(),
    decision: new Map(),
  };
  const decisionCells: Record<'allow' | 'deny', Map<string, CounterCell>> = {
    allow: new Map(),
    deny: new Map(),
  };
  const upstreamCells = new Map<string, HistogramCell>();
  return {
    registry,
    request(route, status, mode) {
      const byRoute = requestCells[mode];
      let byStatus = byRoute.get(route);
      if (byStatus === undefined) {
        byStatus = new Map();
        byRoute.set(route, byStatus);
      }
      let cell = byStatus.get(status);
      if (cell === undefined) {
        cell = requests.cell(route, String(status), mode);
        byStatus.set(status, cell);
      }
      cell.value++;
    },
    decision(decision, reason) {
      // By outcome, then reason: no key string built per request (reasons are constants).
      const byReason = decisionCells[decision];
      let cell = byReason.get(reason);
      if (cell === undefined) {
        cell = decisions.cell(decision, reason);
        byReason.set(reason, cell);
      }
      cell.value++;
    },
    upstream(route, seconds) {
      let cell = upstreamCells.get(route);
      if (cell === undefined) {
        cell = latency.cell(route);
        upstreamCells.set(route, cell);
      }
      cell.observe(seconds);
    },
    requestDuration(route, seconds, mode) {
      const byRoute = durationCells[mode];
      let cell = byRoute.get(route);
      if (cell === undefined) {
        cell = duration.cell(route, mode);
        byRoute.set(route, cell);
      }
      cell.observe(seconds);
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
      (limitCells.get(limit) ?? limits.cell(limit)).value++;
    },
    setConnectionSource(read) {
      connectionSource = read;
    },
    setUpstreamSource(read) {
      upstreamSource = read;
    },
  };
}
