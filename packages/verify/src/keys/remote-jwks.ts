import { fail } from '../errors.ts';
import { type FetchFunction, fetchJson } from './fetch-json.ts';
import { KeySet } from './key-set.ts';
import type { KeySource, KeySourceState } from './key-source.ts';
import { type TrustedKey, trustJwk } from './trusted-key.ts';

/** Tuning of a remote key source; every field has a default. */
export interface RemoteOptions {
  /** Deadline of one fetch. Default 5000 ms. */
  readonly timeoutMs: number;
  /** Largest accepted response body. Default 256 KiB. */
  readonly maxBytes: number;
  /** At most one refetch for unknown kids per this period (as jose's createRemoteJWKSet). Default 30 s. */
  readonly cooldownMs: number;
  /** How long keys count as fresh when the response names no max-age. Default 10 min. */
  readonly cacheMaxAgeMs: number;
  /** Bounds applied to a server's `Cache-Control: max-age`. Defaults 30 s and 24 h. */
  readonly minAgeMs: number;
  readonly maxAgeMs: number;
  /** After a failed fetch, no new attempt for this long. Default 2 s. */
  readonly failureBackoffMs: number;
  /**
   * Keys last fetched longer ago than this are no longer trusted while the endpoint fails:
   * verification answers ERR_KEY_SOURCE_UNAVAILABLE (503) instead. Default 24 h.
   */
  readonly maxStaleMs: number;
  /** Allow plain http to non-loopback hosts. Default false. */
  readonly allowHttp: boolean;
}

export const REMOTE_DEFAULTS: RemoteOptions = Object.freeze({
  timeoutMs: 5000,
  maxBytes: 256 * 1024,
  cooldownMs: 30_000,
  cacheMaxAgeMs: 600_000,
  minAgeMs: 30_000,
  maxAgeMs: 86_400_000,
  failureBackoffMs: 2000,
  maxStaleMs: 86_400_000,
  allowHttp: false,
});

/** What a remote source reports after each fetch (for metrics and logs). */
export interface FetchEvent {
  readonly url: string;
  readonly ok: boolean;
  readonly keys?: number;
  readonly error?: string;
  readonly durationMs: number;
}

export interface RemoteContext {
  readonly now: () => number;
  readonly fetch: FetchFunction;
  readonly onFetch?: ((event: FetchEvent) => void) | undefined;
}

/**
 * Reads a JWKS document into trusted keys. A JWK identical to one already known keeps its
 * TrustedKey object, so a cache can tell by identity whether its key is still published.
 */
export function readJwks(
  json: unknown,
  known: ReadonlyMap<string, TrustedKey>,
): { keys: TrustedKey[]; index: Map<string, TrustedKey> } {
  const list = (json as { keys?: unknown })?.keys;
  if (!Array.isArray(list)) throw new Error('response is not a JWKS (no "keys" array)');
  const keys: TrustedKey[] = [];
  const index = new Map<string, TrustedKey>();
  for (const jwk of list) {
    const id = JSON.stringify(jwk);
    const key = known.get(id) ?? trustJwk(jwk);
    // Keys we cannot use (encryption keys, short RSA, unknown curves) are skipped, not fatal.
    if (typeof key !== 'object' || index.has(id)) continue;
    keys.push(key);
    index.set(id, key);
  }
  if (keys.length === 0) throw new Error('JWKS holds no usable signing key');
  return { keys, index };
}

/**
 * Keys from a `jwks_uri`: fetched lazily, cached for the server's max-age (bounded), served
 * stale while a refresh runs or after it fails, refetched on an unknown kid at most once per
 * cooldown, with concurrent fetches coalesced into one.
 */
export class RemoteJwksSource implements KeySource {
  readonly #options: RemoteOptions;
  readonly #context: RemoteContext;
  readonly #resolveUrl: () => Promise<string>;
  readonly #kind: 'jwks_uri' | 'discovery';
  #keys: KeySet | undefined;
  #known = new Map<string, TrustedKey>();
  #freshUntil = 0;
  #lastUnknownKidAt = Number.NEGATIVE_INFINITY;
  #lastFailureAt = Number.NEGATIVE_INFINITY;
  #lastFetchAt: number | undefined;
  #lastError: string | undefined;
  #inflight: Promise<KeySet> | undefined;

  constructor(
    resolveUrl: () => Promise<string>,
    kind: 'jwks_uri' | 'discovery',
    options: RemoteOptions,
    context: RemoteContext,
  ) {
    this.#resolveUrl = resolveUrl;
    this.#kind = kind;
    this.#options = options;
    this.#context = context;
  }

  current(): KeySet | undefined {
    const keys = this.#keys;
    if (keys === undefined) return undefined;
    const now = this.#context.now();
    if (
      this.#inflight === undefined &&
      now >= this.#freshUntil &&
      now - this.#lastFailureAt >= this.#options.failureBackoffMs
    ) {
      // Stale: revalidate in the background and keep serving what we have.
      this.#refresh().catch(() => {});
    }
    // Past the staleness bound the last good keys are not trusted any more (load() decides).
    return now - (this.#lastFetchAt ?? 0) > this.#options.maxStaleMs ? undefined : keys;
  }

  async load(): Promise<KeySet> {
    const now = this.#context.now();
    if (this.#keys && now - (this.#lastFetchAt ?? 0) <= this.#options.maxStaleMs) return this.#keys;
    if (this.#inflight === undefined) {
      if (this.#context.now() - this.#lastFailureAt < this.#options.failureBackoffMs) {
        throw fail('ERR_KEY_SOURCE_UNAVAILABLE', this.#lastError);
      }
      this.#refresh().catch(() => {});
    }
    try {
      return await (this.#inflight as Promise<KeySet>);
    } catch (err) {
      throw fail('ERR_KEY_SOURCE_UNAVAILABLE', (err as Error).message);
    }
  }

  async refreshForUnknownKid(): Promise<KeySet | undefined> {
    if (this.#inflight === undefined) {
      const now = this.#context.now();
      // The cooldown counts from the last refetch an unknown kid caused, so a rotation is picked
      // up on the first token with the new kid even right after a scheduled fetch.
      if (now - this.#lastUnknownKidAt < this.#options.cooldownMs) return undefined;
      this.#lastUnknownKidAt = now;
      this.#refresh().catch(() => {});
    }
    try {
      return await (this.#inflight as Promise<KeySet>);
    } catch (err) {
      // The kid may well be valid: we could not ask. That is unavailability, not a bad token.
      throw fail('ERR_KEY_SOURCE_UNAVAILABLE', (err as Error).message);
    }
  }

  describe(): KeySourceState {
    return {
      kind: this.#kind,
      ready: this.#keys !== undefined,
      keys: this.#keys?.size ?? 0,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
      ...(this.#lastFetchAt === undefined ? {} : { lastFetchAt: this.#lastFetchAt }),
    };
  }

  #refresh(): Promise<KeySet> {
    const started = this.#context.now();
    const attempt = this.#fetchOnce(started);
    this.#inflight = attempt;
    const settle = () => {
      if (this.#inflight === attempt) this.#inflight = undefined;
    };
    attempt.then(settle, settle);
    return attempt;
  }

  async #fetchOnce(started: number): Promise<KeySet> {
    let url = '';
    try {
      url = await this.#resolveUrl();
      const { json, maxAgeSeconds } = await fetchJson(url, {
        timeoutMs: this.#options.timeoutMs,
        maxBytes: this.#options.maxBytes,
        fetch: this.#context.fetch,
      });
      const { keys, index } = readJwks(json, this.#known);
      const now = this.#context.now();
      const o = this.#options;
      const age = maxAgeSeconds === undefined ? o.cacheMaxAgeMs : maxAgeSeconds * 1000;
      this.#freshUntil = now + Math.min(o.maxAgeMs, Math.max(o.minAgeMs, age));
      this.#known = index;
      this.#keys = new KeySet(keys);
      this.#lastFetchAt = now;
      this.#lastError = undefined;
      this.#report({ url, ok: true, keys: keys.length, durationMs: now - started });
      return this.#keys;
    } catch (err) {
      const now = this.#context.now();
      this.#lastFailureAt = now;
      this.#lastError = (err as Error).message;
      this.#report({ url, ok: false, error: this.#lastError, durationMs: now - started });
      throw err;
    }
  }

  #report(event: FetchEvent): void {
    try {
      this.#context.onFetch?.(event);
    } catch {
      // A failing metrics hook must not turn a fetch that worked into one that failed.
    }
  }
}
