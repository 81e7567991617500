import type { RevocationSubject } from '@jwtgate/verify';

import { REVOCATION_GRACE_SECONDS } from '../../lib/redis-revocation-log.ts';

export { REVOCATION_GRACE_SECONDS };

/** Revoked token ids until their expiry; the verifier asks it about every accepted token. */
export class RevocationList {
  readonly #entries = new Map<string, number>();
  readonly #now: () => number;
  readonly #listeners = new Set<(jti: string) => void>();

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Revokes `jti` until `expSeconds` (the token's exp; after it the token is dead anyway). */
  add(jti: string, expSeconds: number): void {
    this.#entries.set(jti, expSeconds);
    // Expired entries are dropped as they are looked up; prune the rest now and then so a long
    // feed of revocations does not accumulate.
    if (this.#entries.size % 1024 === 0) this.prune();
    for (const listener of this.#listeners) listener(jti);
  }

  isRevoked = (claims: RevocationSubject): boolean => {
    const jti = claims.jti;
    if (typeof jti !== 'string' || this.#entries.size === 0) return false;
    const exp = this.#entries.get(jti);
    if (exp === undefined) return false;
    if ((exp + REVOCATION_GRACE_SECONDS) * 1000 <= this.#now()) {
      this.#entries.delete(jti);
      return false;
    }
    return true;
  };

  /** Drops entries whose token has expired anyway. */
  prune(): void {
    const now = this.#now();
    for (const [jti, exp] of this.#entries)
      if ((exp + REVOCATION_GRACE_SECONDS) * 1000 <= now) this.#entries.delete(jti);
  }

  onRevoke(listener: (jti: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  list(): { jti: string; exp: number }[] {
    const now = this.#now() / 1000;
    return [...this.#entries].filter(([, exp]) => exp > now).map(([jti, exp]) => ({ jti, exp }));
  }

  get size(): number {
    return this.#entries.size;
  }
}
