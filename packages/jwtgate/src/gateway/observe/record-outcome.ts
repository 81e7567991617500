import { tracing } from '../../lib/tracing/tracing.ts';
import type { Denial, RequestState } from '../pipeline/request-state.ts';
import type { AccessLog } from './access-log.ts';
import type { GatewayMetrics, LimitName, RequestMode } from './metrics.ts';
import { endRequestSpan } from './request-spans.ts';

/** The path without its query: a query may carry a token, and logs never do. */
function logPath(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}

/** Logs and counts what became of requests, the same way for plain requests and upgrades. */
export interface OutcomeRecorder {
  /** The pipeline let the request through (counted as an allow decision when it authenticated). */
  allowed(s: RequestState): void;
  /** The pipeline stopped the request: a deny decision with its reason, and its outcome. */
  denied(s: RequestState, d: Denial): void;
  /** One access line and the request counter (once per request): the status the client got and why (`OK` or a code). */
  finished(s: RequestState, status: number, reason: string): void;
}

/** Reasons that say the client reached one of its limits. */
const LIMIT_OF: Readonly<Record<string, LimitName>> = {
  ERR_BODY_TIMEOUT: 'body_timeout',
  ERR_BODY_TOO_LARGE: 'body_too_large',
  ERR_UPSTREAM_BUSY: 'upstream_busy',
  ERR_RATE_LIMITED: 'rate_limited',
};

/**
 * `onError` logs what is not an access line (an unexpected verification failure); `mode` is the
 * request series' label (the gateway's requests, or the decision listener's).
 */
export function createOutcomeRecorder(
  access: AccessLog,
  metrics: GatewayMetrics,
  onError: (requestId: string, cause: unknown) => void,
  mode: RequestMode,
): OutcomeRecorder {
  const finished = (s: RequestState, status: number, reason: string) => {
    if (s.recorded) return;
    s.recorded = true;
    if (s.trace !== null)
      endRequestSpan(tracing() as NonNullable<ReturnType<typeof tracing>>, s, status, reason);
    const route = s.route?.name ?? '-';
    const ms = performance.now() - s.started;
    metrics.request(route, status, mode);
    metrics.requestDuration(route, ms / 1000, mode);
    const limit = LIMIT_OF[reason];
    if (limit !== undefined) metrics.limitReached(limit);
    access.write({
      request_id: s.requestId,
      method: s.req.method,
      path: logPath(s.req.url),
      route,
      status,
      reason,
      sub: s.identity?.claims.sub,
      latency_ms: Math.round(ms * 100) / 100,
      upgrade: s.socket === null ? undefined : true,
    });
  };
  return {
    allowed(s) {
      if (s.identity !== undefined) metrics.decision('allow', 'OK');
    },
    denied(s, d) {
      if (d.cause !== undefined) onError(s.requestId, d.cause);
      // A preflight the gateway answered is no decision about anyone.
      if (d.status >= 400) metrics.decision('deny', d.reason);
      finished(s, d.status, d.reason);
    },
    finished,
  };
}
