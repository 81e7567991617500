import { createRateLimiter, type RateLimiter } from '../../lib/rate-limit.ts';

export interface RateOption {
  /** Requests a second, sustained. */
  readonly rate: number;
  readonly burst: number;
}

export interface GuardOptions {
  /** Per claimed client id; null turns it off. */
  readonly perClient: RateOption | null;
  /** Per remote address; null turns it off. */
  readonly perAddress: RateOption | null;
  /** `maxFailures` failed client authentications within `windowMs` lock the client id at that address for `lockMs`. */
  readonly lockout: {
    readonly maxFailures: number;
    readonly windowMs: number;
    readonly lockMs: number;
  } | null;
}

export type GuardDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      readonly reason: 'locked' | 'rate-limited';
      readonly retryAfterSeconds: number;
    };

const MAX_TRACKED = 100_000;

/**
 * Protection in front of the endpoints that authenticate clients (token, introspection,
 * revocation): token buckets per client id and per address, and a lock-out of a client id at an
 * address after repeated failed authentications. The lock is per (client id, address), so a
 * stranger's failures elsewhere cannot lock a client out of its own address.
 */
export class TokenEndpointGuard {
  readonly #perClient: RateLimiter | null;
  readonly #perAddress: RateLimiter | null;
  readonly #lockout: GuardOptions['lockout'];
  #failures = new Map<string, number[]>();
  #locks = new Map<string, number>();

  constructor(options: GuardOptions) {
    this.#perClient = options.perClient
      ? createRateLimiter(options.perClient.rate, options.perClient.burst)
      : null;
    this.#perAddress = options.perAddress
      ? createRateLimiter(options.perAddress.rate, options.perAddress.burst)
      : null;
    this.#lockout = options.lockout;
  }

  /** Whether a request may reach client authentication now. Locks are checked before buckets are spent. */
  check(clientId: string | undefined, address: string, now: number): GuardDecision {
    const key = pairKey(clientId, address);
    const until = this.#locks.get(key);
    if (until !== undefined) {
      if (until > now)
        return { allowed: false, reason: 'locked', retryAfterSeconds: Math.ceil((until - now) / 1000) };
      this.#locks.delete(key);
    }
    const waitAddress = this.#perAddress?.take(address, now) ?? 0;
    const waitClient = clientId !== undefined ? (this.#perClient?.take(clientId, now) ?? 0) : 0;
    const wait = Math.max(waitAddress, waitClient);
    return wait > 0 ? { allowed: false, reason: 'rate-limited', retryAfterSeconds: wait } : { allowed: true };
  }

  /**
   * A request refused as malformed (400) before the client authenticated: it must not spend the
   * claimed client's budget, or anyone could exhaust another client's limit by naming it.
   */
  malformed(clientId: string | undefined): void {
    if (clientId !== undefined) this.#perClient?.refund(clientId);
  }

  /** Records a failed client authentication; true when it starts a lock. */
  failed(clientId: string | undefined, address: string, now: number): boolean {
    const lockout = this.#lockout;
    if (lockout === null) return false;
    const key = pairKey(clientId, address);
    if (this.#failures.size >= MAX_TRACKED) this.#sweep(now);
    const recent = (this.#failures.get(key) ?? []).filter((t) => t > now - lockout.windowMs);
    recent.push(now);
    if (recent.length >= lockout.maxFailures) {
      this.#failures.delete(key);
      this.#locks.set(key, now + lockout.lockMs);
      return true;
    }
    this.#failures.set(key, recent);
    return false;
  }

  /** A successful authentication clears the failures counted for that client at that address. */
  succeeded(clientId: string | undefined, address: string): void {
    this.#failures.delete(pairKey(clientId, address));
  }

  #sweep(now: number): void {
    const windowMs = this.#lockout?.windowMs ?? 0;
    for (const [key, times] of this.#failures)
      if ((times.at(-1) ?? 0) <= now - windowMs) this.#failures.delete(key);
    for (const [key, until] of this.#locks) if (until <= now) this.#locks.delete(key);
    // Still full (a flood of distinct ids): start over. Forgetting failures only forgives.
    if (this.#failures.size >= MAX_TRACKED) this.#failures = new Map();
    if (this.#locks.size >= MAX_TRACKED) this.#locks = new Map();
  }
}

function pairKey(clientId: string | undefined, address: string): string {
  return `${address}\n${clientId ?? ''}`;
}
