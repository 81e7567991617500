/** One cached verification: what it returned and until when it holds. */
export interface CacheEntry<T> {
  readonly value: T;
  /** Milliseconds since the epoch after which the entry must not be used. */
  readonly validUntilMs: number;
  /** A `jti`, so a revocation can drop the entry at once. */
  readonly jti: string | undefined;
  readonly bytes: number;
}

export interface TokenCacheLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

/**
 * A bounded map from the whole token string to a verified result. Keyed by the full token (not
 * a hash of it), so a hit is one Map lookup and a string compare. Eviction is oldest-first.
 */
export class TokenCache<T> {
  readonly #limits: TokenCacheLimits;
  readonly #entries = new Map<string, CacheEntry<T>>();
  readonly #byJti = new Map<string, string>();
  #bytes = 0;

  constructor(limits: TokenCacheLimits) {
    this.#limits = limits;
  }

  get(token: string, nowMs: number): CacheEntry<T> | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.validUntilMs) {
      this.delete(token);
      return undefined;
    }
    return entry;
  }

  set(token: string, entry: CacheEntry<T>): void {
    if (entry.bytes > this.#limits.maxBytes) return;
    this.delete(token);
    this.#entries.set(token, entry);
    this.#bytes += entry.bytes;
    if (entry.jti !== undefined) this.#byJti.set(entry.jti, token);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#limits.maxEntries && this.#bytes <= this.#limits.maxBytes) break;
      this.delete(oldest);
    }
  }

  delete(token: string): void {
    const entry = this.#entries.get(token);
    if (entry === undefined) return;
    this.#entries.delete(token);
    this.#bytes -= entry.bytes;
    if (entry.jti !== undefined && this.#byJti.get(entry.jti) === token) this.#byJti.delete(entry.jti);
  }

  /** Drops the entry of a revoked token id. */
  deleteJti(jti: string): void {
    const token = this.#byJti.get(jti);
    if (token !== undefined) this.delete(token);
  }

  clear(): void {
    this.#entries.clear();
    this.#byJti.clear();
    this.#bytes = 0;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }
}
