import { Pool } from 'undici';
import { OriginGate } from './upstream-gate.ts';

/** One upstream target: a keep-alive undici pool and its passive health. */
export interface Target {
  readonly origin: string;
  /** Path the route's paths are appended to (`/api` in `http://host:7001/api`), without trailing slash. */
  readonly basePath: string;
  readonly pool: Pool;
  /** Admission to the origin: at most the pool's connections at once (shared by every route to it). */
  readonly gate: OriginGate;
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
  readonly #pools = new Map<string, { pool: Pool; gate: OriginGate }>();
  readonly #connections: number;

  /** `connections`: per origin (`limits.upstream_connections`, fitted to the open-file limit). */
  constructor(connections = 256) {
    this.#connections = connections;
  }

  get(origin: string): { pool: Pool; gate: OriginGate } {
    let entry = this.#pools.get(origin);
    if (!entry) {
      // keep-alive connections to each upstream; no pipelining (requests may not be idempotent).
      const pool = new Pool(origin, {
        connections: this.#connections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
      });
      entry = { pool, gate: new OriginGate(this.#connections) };
      this.#pools.set(origin, entry);
    }
    return entry;
  }

  /** Each origin's admission state, for metrics. */
  gates(): IterableIterator<[string, { pool: Pool; gate: OriginGate }]> {
    return this.#pools.entries();
  }

  /** Aborts every pool's requests and connections at once. */
  async destroy(): Promise<void> {
    await Promise.allSettled([...this.#pools.values()].map((p) => p.pool.destroy()));
  }

  /** Closes every pool once its in-flight requests finish. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#pools.values()].map((p) => p.pool.close()));
  }
}

const DOWN_FOR_MS = 10_000;

export function createTargetGroup(urls: readonly string[], pools: PoolRegistry): TargetGroup {
  const targets: Target[] = urls.map((raw) => {
    const url = new URL(raw);
    const origin = url.origin;
    // The pool is taken from the registry on first use, by a request: building a target group
    // (compiling a configuration, `jwtgate check`) opens nothing.
    let entry: { pool: Pool; gate: OriginGate } | undefined;
    return {
      origin,
      basePath: url.pathname.replace(/\/$/, ''),
      get pool() {
        entry ??= pools.get(origin);
        return entry.pool;
      },
      get gate() {
        entry ??= pools.get(origin);
        return entry.gate;
      },
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
