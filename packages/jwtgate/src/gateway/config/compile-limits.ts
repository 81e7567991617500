import { toMs } from './duration.ts';
import { CONFIG_SCHEMA } from './schema.ts';
import type { LimitsConfig } from './types.ts';

const LIMITS = CONFIG_SCHEMA.properties.gateway.properties.limits.properties;

/** `gateway.limits` with every default filled in from the schema (the one place defaults live). */
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
  readonly http2MaxConcurrentStreams: number;
  readonly http2MaxHeaderListSize: number;
  readonly http2MaxResets: number;
  readonly http2MaxSessionMemoryMiB: number;
}

export function compileLimits(l: LimitsConfig = {}): Limits {
  return Object.freeze({
    maxConnections: l.max_connections ?? LIMITS.max_connections.default,
    maxConnectionsPerAddress: l.max_connections_per_address ?? LIMITS.max_connections_per_address.default,
    firstByteTimeoutMs: toMs(l.first_byte_timeout ?? LIMITS.first_byte_timeout.default, 0),
    headersTimeoutMs: toMs(l.headers_timeout ?? LIMITS.headers_timeout.default, 0),
    idleTimeoutMs: toMs(l.idle_timeout ?? LIMITS.idle_timeout.default, 0),
    bodyTimeoutMs: toMs(l.body_timeout ?? LIMITS.body_timeout.default, 0),
    bodyMinRate: l.body_min_rate ?? LIMITS.body_min_rate.default,
    bufferBodyBytes: l.buffer_body_bytes ?? LIMITS.buffer_body_bytes.default,
    upstreamConnections: l.upstream_connections ?? LIMITS.upstream_connections.default,
    routeMaxConcurrent: l.route_max_concurrent ?? LIMITS.route_max_concurrent.default,
    upstreamQueueTimeoutMs: toMs(l.upstream_queue_timeout ?? LIMITS.upstream_queue_timeout.default, 0),
    http2MaxConcurrentStreams: l.http2_max_concurrent_streams ?? LIMITS.http2_max_concurrent_streams.default,
    http2MaxHeaderListSize: l.http2_max_header_list_size ?? LIMITS.http2_max_header_list_size.default,
    http2MaxResets: l.http2_max_resets ?? LIMITS.http2_max_resets.default,
    http2MaxSessionMemoryMiB: l.http2_max_session_memory ?? LIMITS.http2_max_session_memory.default,
  });
}
