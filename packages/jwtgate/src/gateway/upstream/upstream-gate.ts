import { GatewayError } from '../errors.ts';

/**
 * Admission to an upstream: at most `max` requests of one origin (its pool's connections) and of
 * one route at once. Without it undici queues every request past its pool's connections with no
 * deadline, so slow requests of one route could hold every connection of an origin that other
 * routes share, and everything behind them would wait for ever.
 *
 * A request that fits takes its places at once (two counters, nothing allocated). One that does
 * not waits for `queueTimeoutMs`, then fails with ERR_UPSTREAM_BUSY (503, Retry-After); waiting
 * requests of different routes are admitted in turn, so a route with many waiting cannot keep
 * another's waiting for ever.
 */
export class OriginGate {
  readonly max: number;
  active = 0;
  /** Routes with requests waiting for this origin, in the order they are served. */
  readonly #turns: RouteGate[] = [];
  readonly #waiting = new Map<RouteGate, Waiter[]>();

  constructor(max: number) {
    this.max = max;
  }

  /** Requests waiting for this origin. */
  get waiting(): number {
    let n = 0;
    for (const q of this.#waiting.values()) n += q.length;
    return n;
  }

  enqueue(w: Waiter): void {
    let q = this.#waiting.get(w.route);
    if (q === undefined) {
      q = [];
      this.#waiting.set(w.route, q);
      this.#turns.push(w.route);
    }
    q.push(w);
  }

  remove(w: Waiter): void {
    const q = this.#waiting.get(w.route);
    if (q === undefined) return;
    const i = q.indexOf(w);
    if (i !== -1) q.splice(i, 1);
    if (q.length === 0) this.#forget(w.route);
  }

  #forget(route: RouteGate): void {
    this.#waiting.delete(route);
    const i = this.#turns.indexOf(route);
    if (i !== -1) this.#turns.splice(i, 1);
  }

  /** Admits waiting requests while there is room, one route's first waiter at a time, in turn. */
  drain(): void {
    let tried = 0;
    while (this.active < this.max && this.#turns.length > 0 && tried < this.#turns.length) {
      const route = this.#turns.shift() as RouteGate;
      const q = this.#waiting.get(route) as Waiter[];
      if (route.active >= route.max) {
        // This route is at its own cap: keep its place, try the next one.
        this.#turns.push(route);
        tried++;
        continue;
      }
      tried = 0;
      const w = q.shift() as Waiter;
      if (q.length === 0) this.#waiting.delete(route);
      else this.#turns.push(route);
      route.active++;
      this.active++;
      w.admit();
    }
  }
}

/** One route's cap (`max_concurrent`), across its targets. */
export class RouteGate {
  readonly name: string;
  readonly max: number;
  active = 0;
  /** Origins where requests of this route wait: a place freed here may admit one of them. */
  readonly waitingAt = new Set<OriginGate>();

  constructor(name: string, max: number) {
    this.name = name;
    this.max = max;
  }
}

interface Waiter {
  readonly route: RouteGate;
  admit(): void;
}

/** Takes a place for `route` at `origin` now, if there is room (nothing allocated on this path). */
export function tryAdmit(route: RouteGate, origin: OriginGate): boolean {
  if (route.active >= route.max || origin.active >= origin.max) return false;
  route.active++;
  origin.active++;
  return true;
}

/**
 * Waits for a place; rejects with ERR_UPSTREAM_BUSY after `timeoutMs`, or with `signal`'s reason
 * when the client leaves first. Resolved means admitted: release() once the upstream is done.
 */
export function waitForAdmission(
  route: RouteGate,
  origin: OriginGate,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', abandon);
    };
    const w: Waiter = {
      route,
      admit() {
        done();
        resolve();
      },
    };
    const leave = (err: unknown) => {
      done();
      origin.remove(w);
      reject(err);
    };
    const abandon = () => leave(signal.reason);
    const timer = setTimeout(() => {
      const retryAfter = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
      leave(new GatewayError('ERR_UPSTREAM_BUSY', { headers: { 'retry-after': retryAfter } }));
    }, timeoutMs);
    signal.addEventListener('abort', abandon, { once: true });
    origin.enqueue(w);
    route.waitingAt.add(origin);
    // Room may have appeared between tryAdmit and now (never in one tick, but keep it exact).
    origin.drain();
  });
}

/** Gives the places back and admits whoever waits for them. */
export function release(route: RouteGate, origin: OriginGate): void {
  route.active--;
  origin.active--;
  origin.drain();
  if (route.waitingAt.size > 0) {
    for (const o of route.waitingAt) {
      if (o.waiting === 0) route.waitingAt.delete(o);
      else if (o !== origin) o.drain();
    }
  }
}
