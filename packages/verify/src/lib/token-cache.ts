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
  /** Every cached token carrying a jti (distinct tokens, e.g. of two issuers, may share one). */
  readonly #byJti = new Map<string, Set<string>>();
  #bytes = 0;
  // Insertion order, for eviction: a queue of (token, entry) so the oldest is found in O(1).
  // (Walking the Map's keys from the start would step over every deleted slot V8 keeps until it
  // rehashes: thousands per eviction once the cache is full.) A pair whose token has since been
  // deleted or re-inserted no longer matches the Map and is skipped.
  #orderTokens: string[] = [];
  #orderEntries: CacheEntry<T>[] = [];
  #head = 0;

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
    if (entry.jti !== undefined) {
      const tokens = this.#byJti.get(entry.jti);
      if (tokens) tokens.add(token);
      else this.#byJti.set(entry.jti, new Set([token]));
    }
    this.#orderTokens.push(token);
    this.#orderEntries.push(entry);
    while (
      (this.#entries.size > this.#limits.maxEntries || this.#bytes > this.#limits.maxBytes) &&
      this.#head < this.#orderTokens.length
    ) {
      const oldest = this.#orderTokens[this.#head] as string;
      const inserted = this.#orderEntries[this.#head];
      this.#head++;
      if (this.#entries.get(oldest) === inserted) this.delete(oldest);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#orderTokens.length) {
      this.#orderTokens = this.#orderTokens.slice(this.#head);
      this.#orderEntries = this.#orderEntries.slice(this.#head);
      this.#head = 0;
    }
  }

  delete(token: string): void {
    const entry = this.#entries.get(token);
    if (entry === undefined) return;
    this.#entries.delete(token);
    this.#bytes -= entry.bytes;
    const tokens = entry.jti === undefined ? undefined : this.#byJti.get(entry.jti);
    if (tokens?.delete(token) && tokens.size === 0) this.#byJti.delete(entry.jti as string);
  }

  /** Drops the entries of a revoked token id. */
  deleteJti(jti: string): void {
    for (const token of [...(this.#byJti.get(jti) ?? [])]) this.delete(token);
  }

  clear(): void {
    this.#entries.clear();
    this.#orderTokens = [];
    this.#orderEntries = [];
    this.#head = 0;
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
