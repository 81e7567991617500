import { toMs } from './duration.ts';
import type { LimitsConfig } from './types.ts';

/** `gateway.limits` in the units the server uses (the schema filled in every default). */
export interface Limits {
  /** As configured; the server keeps it under the open-file limit (planConnections). */
  readonly maxConnections: number;
  /** 0: no cap. */
  readonly maxConnectionsPerAddress: number;
  readonly firstByteTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly bodyMinRate: number;
  readonly bufferBodyBytes: number;
  readonly upstreamConnections: number;
  readonly routeMaxConcurrent: number;
  readonly upstreamQueueTimeoutMs: number;
}

export function compileLimits(l: LimitsConfig): Limits {
  return Object.freeze({
    maxConnections: l.max_connections,
    maxConnectionsPerAddress: l.max_connections_per_address,
    firstByteTimeoutMs: toMs(l.first_byte_timeout),
    headersTimeoutMs: toMs(l.headers_timeout),
    idleTimeoutMs: toMs(l.idle_timeout),
    bodyTimeoutMs: toMs(l.body_timeout),
    bodyMinRate: l.body_min_rate,
    bufferBodyBytes: l.buffer_body_bytes,
    upstreamConnections: l.upstream_connections,
    routeMaxConcurrent: l.route_max_concurrent,
    upstreamQueueTimeoutMs: toMs(l.upstream_queue_timeout),
  });
}
