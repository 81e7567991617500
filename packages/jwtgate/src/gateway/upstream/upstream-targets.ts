import { Pool } from 'undici';

/** One upstream target: a keep-alive undici pool and its passive health. */
export interface Target {
  readonly origin: string;
  /** Path the route's paths are appended to (`/api` in `http://host:7001/api`), without trailing slash. */
  readonly basePath: string;
  readonly pool: Pool;
  downUntil: number;
}

/** Round-robin over a route's targets; a target whose connection failed is skipped for a while. */
export interface TargetGroup {
  readonly targets: readonly Target[];
  pick(now: number): Target;
  markDown(target: Target, now: number): void;
}

/** Pools are shared by every route with the same origin, and closed together on reload. */
export class PoolRegistry {
  readonly #pools = new Map<string, Pool>();

  get(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      // keep-alive connections to each upstream; no pipelining (requests may not be idempotent).
      pool = new Pool(origin, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Aborts every pool's requests and connections at once. */
  async destroy(): Promise<void> {
    await Promise.allSettled([...this.#pools.values()].map((p) => p.destroy()));
  }

  /** Closes every pool once its in-flight requests finish. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#pools.values()].map((p) => p.close()));
  }
}

const DOWN_FOR_MS = 10_000;

export function createTargetGroup(urls: readonly string[], pools: PoolRegistry): TargetGroup {
  const targets: Target[] = urls.map((raw) => {
    const url = new URL(raw);
    return {
      origin: url.origin,
      basePath: url.pathname.replace(/\/$/, ''),
      pool: pools.get(url.origin),
      downUntil: 0,
    };
  });
  let next = 0;
  return {
    targets,
    pick(now) {
      const n = targets.length;
      for (let i = 0; i < n; i++) {
        const t = targets[(next + i) % n] as Target;
        if (t.downUntil <= now) {
          next = (next + i + 1) % n;
          return t;
        }
      }
      // Every target is marked down: try the next anyway rather than fail without asking.
      const t = targets[next] as Target;
      next = (next + 1) % n;
      return t;
    },
    markDown(target, now) {
      target.downUntil = now + DOWN_FOR_MS;
    },
  };
}
