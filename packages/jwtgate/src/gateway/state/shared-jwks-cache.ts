// A FetchFunction for the verifier that shares JWKS and discovery documents between gateway
// replicas through Redis (`gateway.redis.jwks_cache`): one replica fetches, the others read the
// stored copy until it expires, so N replicas do not hit the identity provider N times.
import { createHash } from 'node:crypto';
import type { FetchFunction } from '@jwtgate/verify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** What a lookup found: `hit` (served from Redis), `miss` (fetched), `error` (Redis failed; fetched). */
export type SharedJwksResult = 'hit' | 'miss' | 'error';

export interface SharedJwksCacheOptions {
  /** The gateway's command connection; null (or not ready) skips Redis and fetches directly. */
  readonly redis: () => Redis | null;
  /** The gateway's key prefix (`gateway.redis.key_prefix`). */
  readonly prefix: string;
  /** The real fetch. Default: the global fetch. */
  readonly fetch?: FetchFunction;
  readonly log?: Logger;
  /** Reported once per GET, for metrics. */
  readonly onLookup?: (result: SharedJwksResult) => void;
  readonly now?: () => number;
  /** Longest wait for one Redis command before fetching without it. Default 200 ms. */
  readonly redisTimeoutMs?: number;
  /** Largest document stored (the verifier's default limit). Default 256 KiB. */
  readonly maxBytes?: number;
}

/** Bounds of the stored copy's lifetime; the verifier keeps its own copy longer as it sees fit. */
export const SHARED_JWKS_MIN_MS = 1000;
export const SHARED_JWKS_MAX_MS = 300_000;
export const SHARED_JWKS_DEFAULT_MS = 60_000;

interface Stored {
  readonly body: string;
  readonly fetchedAt: number;
  readonly maxAgeMs: number;
}

/** The Redis key of one URL: the URL is hashed so a key never depends on its length or characters. */
export function sharedJwksKey(prefix: string, url: string): string {
  return `${prefix}jwks:${createHash('sha256').update(url).digest('hex')}`;
}

function readStored(raw: string | null): Stored | null {
  if (raw === null) return null;
  try {
    const v = JSON.parse(raw) as Partial<Stored>;
    if (
      typeof v?.body === 'string' &&
      Number.isFinite(v.fetchedAt) &&
      Number.isFinite(v.maxAgeMs) &&
      (v.maxAgeMs as number) > 0
    )
      return v as Stored;
  } catch {}
  return null;
}

/** Lifetime of the stored copy from Cache-Control; null for no-store / no-cache (not shared). */
function storedLifetimeMs(cacheControl: string | null): number | null {
  if (cacheControl && /\b(no-store|no-cache|private)\b/i.test(cacheControl)) return null;
  const m = cacheControl ? /\bmax-age=(\d{1,10})\b/i.exec(cacheControl) : null;
  if (!m) return SHARED_JWKS_DEFAULT_MS;
  return Math.min(SHARED_JWKS_MAX_MS, Math.max(SHARED_JWKS_MIN_MS, Number(m[1]) * 1000));
}

/**
 * Reads at most `maxBytes` of a cloned body; null when it is larger or the stream fails. A branch
 * of a clone is cancelled without waiting: its cancel settles only once the caller's branch ends.
 */
async function readCapped(copy: Response, maxBytes: number): Promise<string | null> {
  const declared = Number(copy.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes || !copy.body) {
    void copy.body?.cancel().catch(() => {});
    return null;
  }
  const reader = copy.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        void reader.cancel().catch(() => {});
        return null;
      }
      chunks.push(value);
    }
  } catch {
    return null;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Wraps the verifier's fetch with a Redis-backed cache shared by every replica. Only a 200 whose
 * body is JSON within `maxBytes` is stored; anything else reaches the verifier untouched and is
 * never cached. Redis being down, slow or holding garbage never fails a fetch: the real fetch runs.
 * Only public documents (key sets, issuer metadata) pass through here.
 *
 * @example
 * const fetch = createSharedJwksFetch({ redis: () => shared.client, prefix: 'jwtgate:' });
 * const verifier = createVerifier({ providers, fetch });
 */
export function createSharedJwksFetch(options: SharedJwksCacheOptions): FetchFunction {
  const realFetch: FetchFunction = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const limitMs = options.redisTimeoutMs ?? 200;
  const maxBytes = options.maxBytes ?? 256 * 1024;
  const report = options.onLookup ?? (() => {});

  // A Redis command that gives up after limitMs; the caller then goes on without Redis. A
  // connection still being opened (the verifier loads keys as the gateway starts) is waited for
  // within the same limit; a broken one is not.
  const bounded = <T>(command: (redis: Redis) => Promise<T>): Promise<T> => {
    const redis = options.redis();
    if (redis === null) return Promise.reject(new Error('redis not configured'));
    const opening = redis.status === 'connecting' || redis.status === 'connect';
    if (redis.status !== 'ready' && !opening) return Promise.reject(new Error(`redis ${redis.status}`));
    let timer: NodeJS.Timeout | undefined;
    let onReady: (() => void) | undefined;
    const ready =
      redis.status === 'ready'
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            onReady = resolve;
            redis.once('ready', resolve);
          });
    return Promise.race([
      ready.then(() => command(redis)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`redis slower than ${limitMs} ms`)), limitMs);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      if (onReady) redis.off('ready', onReady);
    });
  };

  // Until when the copy this replica last got for a URL stays in Redis. The verifier asks again
  // before that only when a token names a kid it lacks (at most once per its cooldown): the keys
  // may have rotated, so that fetch goes to the network and refreshes the shared copy for all.
  const servedUntil = new Map<string, number>();

  return async (input, init) => {
    if ((init.method ?? 'GET').toUpperCase() !== 'GET') return realFetch(input, init);
    const key = sharedJwksKey(options.prefix, input);
    const wantsNewer = (servedUntil.get(input) ?? 0) > now();
    let redisFailed = false;
    try {
      const stored = wantsNewer ? null : readStored(await bounded((r) => r.get(key)));
      const remainingMs = stored ? stored.fetchedAt + stored.maxAgeMs - now() : 0;
      // A copy dated in the future (a replica's clock ahead) counts as fresh only up to its max age.
      if (stored && remainingMs > 0) {
        report('hit');
        servedUntil.set(input, now() + Math.min(remainingMs, stored.maxAgeMs));
        const seconds = Math.max(1, Math.ceil(Math.min(remainingMs, stored.maxAgeMs) / 1000));
        return new Response(stored.body, {
          status: 200,
          headers: { 'content-type': 'application/json', 'cache-control': `max-age=${seconds}` },
        });
      }
    } catch (err) {
      redisFailed = true;
      options.log?.debug({ error: (err as Error).message }, 'shared jwks cache unavailable');
    }
    const response = await realFetch(input, init);
    report(redisFailed ? 'error' : 'miss');
    if (response.status !== 200) return response;
    const lifetimeMs = storedLifetimeMs(response.headers.get('cache-control'));
    if (lifetimeMs === null || redisFailed) return response;
    // The caller gets the original response; a copy of its body is read (capped) for Redis.
    const body = await readCapped(response.clone(), maxBytes);
    if (body === null) return response;
    try {
      JSON.parse(body);
    } catch {
      return response;
    }
    const value = JSON.stringify({ body, fetchedAt: now(), maxAgeMs: lifetimeMs } satisfies Stored);
    try {
      await bounded((r) => r.set(key, value, 'PX', lifetimeMs));
      servedUntil.set(input, now() + lifetimeMs);
    } catch (err) {
      options.log?.debug({ error: (err as Error).message }, 'shared jwks cache not written');
    }
    return response;
  };
}
