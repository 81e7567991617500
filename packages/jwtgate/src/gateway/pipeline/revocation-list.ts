import type { RevocationSubject } from '@jwtgate/verify';

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
    for (const listener of this.#listeners) listener(jti);
  }

  isRevoked = (claims: RevocationSubject): boolean => {
    const jti = claims.jti;
    if (typeof jti !== 'string' || this.#entries.size === 0) return false;
    const exp = this.#entries.get(jti);
    if (exp === undefined) return false;
    if (exp * 1000 <= this.#now()) {
      this.#entries.delete(jti);
      return false;
    }
    return true;
  };

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
