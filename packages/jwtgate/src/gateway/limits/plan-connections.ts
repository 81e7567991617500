import { readFileSync } from 'node:fs';

/**
 * The soft limit on open files (RLIMIT_NOFILE) of this process, from /proc/self/limits
 * (Node raises it to the hard limit at start); Infinity when it is unlimited or cannot be read.
 */
export function readOpenFileLimit(file = '/proc/self/limits'): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return Number.POSITIVE_INFINITY;
  }
  const m = /^Max open files\s+(\S+)/m.exec(text);
  const soft = m ? Number(m[1]) : Number.NaN;
  return Number.isFinite(soft) && soft > 0 ? soft : Number.POSITIVE_INFINITY;
}

/** Descriptors kept for everything but client and upstream sockets: files, logs, the admin listener, Redis, key fetches. */
export const RESERVED_DESCRIPTORS = 128;

export interface ConnectionPlan {
  /** Client connections at once (server.maxConnections). */
  readonly maxConnections: number;
  /** Connections per upstream origin. */
  readonly upstreamConnections: number;
  /** Whether the configured values had to be lowered to fit the open-file limit. */
  readonly lowered: boolean;
}

/**
 * Fits client and upstream connections under the open-file limit: each client connection may
 * hold one upstream socket (a request or a WebSocket), so clients get at most half of what is
 * left after RESERVED_DESCRIPTORS, and the upstream pools together no more than that either.
 * A process that ran out of descriptors could not even accept the connection that would tell it.
 */
export function planConnections(options: {
  readonly openFileLimit: number;
  readonly maxConnections: number;
  readonly upstreamConnections: number;
  /** Distinct upstream origins (one pool each). */
  readonly origins: number;
}): ConnectionPlan {
  const { openFileLimit, maxConnections, upstreamConnections } = options;
  const origins = Math.max(1, options.origins);
  const half = Math.max(1, Math.floor((openFileLimit - RESERVED_DESCRIPTORS) / 2));
  const clients = Math.min(maxConnections, half);
  const perOrigin = Math.min(upstreamConnections, Math.max(1, Math.floor(half / origins)));
  return {
    maxConnections: clients,
    upstreamConnections: perOrigin,
    lowered: clients < maxConnections || perOrigin < upstreamConnections,
  };
}
