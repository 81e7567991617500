import type { CompiledRoute } from '../config/compile-gateway.ts';
import { GatewayError } from '../errors.ts';
import { type Denial, gatewayDenial, type RequestState } from './request-state.ts';

function verdict(s: RequestState, wait: number): Denial | undefined {
  if (wait <= 0) return undefined;
  return gatewayDenial(s, new GatewayError('ERR_RATE_LIMITED', { headers: { 'retry-after': String(wait) } }));
}

function refused(s: RequestState, error: unknown): Denial {
  if (error instanceof GatewayError) return gatewayDenial(s, error);
  throw error;
}

/**
 * Step: the route's token bucket for the subject (or client id) of the verified token; 429 with
 * Retry-After when it is empty. With Redis the bucket is shared by every replica (and may wait).
 */
export function rateLimit(s: RequestState): Denial | undefined | Promise<Denial | undefined> {
  const limit = (s.route as CompiledRoute).rateLimit;
  if (limit === null || s.identity === undefined) return undefined;
  const key = s.identity.claims[limit.per];
  let wait: number | Promise<number>;
  try {
    wait = limit.limiter.take(typeof key === 'string' ? key : '', s.now());
  } catch (error) {
    return refused(s, error);
  }
  if (typeof wait === 'number') return verdict(s, wait);
  return wait.then(
    (w) => verdict(s, w),
    (error: unknown) => refused(s, error),
  );
}
