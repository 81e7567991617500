import type { Algorithm } from '../algorithms.ts';
import { keyFitsAlgorithm, type TrustedKey } from './trusted-key.ts';

// Tokens without a kid, or sets whose keys have none, are tried against each fitting key; this
// bounds the work an attacker can cause with one token.
const MAX_CANDIDATES = 8;

/** Keys a token may select (all, one kid's, or the any-kid ones), with the fitting ones per alg. */
class Pool {
  readonly keys: TrustedKey[] = [];
  readonly #fitting = new Map<Algorithm, readonly TrustedKey[]>();

  /** Computed once per alg: the set never changes, and there are only a dozen algorithms. */
  fitting(alg: Algorithm): readonly TrustedKey[] {
    let out = this.#fitting.get(alg);
    if (out === undefined) {
      out = Object.freeze(this.keys.filter((key) => keyFitsAlgorithm(key, alg)).slice(0, MAX_CANDIDATES));
      this.#fitting.set(alg, out);
    }
    return out;
  }
}

/** An immutable set of trusted keys, looked up by the token's `kid` and `alg` only. */
export class KeySet {
  readonly keys: readonly TrustedKey[];
  readonly #all = new Pool();
  readonly #byKid = new Map<string, Pool>();
  readonly #anyKid = new Pool();
  readonly #members: ReadonlySet<TrustedKey>;

  constructor(keys: readonly TrustedKey[]) {
    this.keys = Object.freeze([...keys]);
    this.#members = new Set(keys);
    for (const key of keys) {
      this.#all.keys.push(key);
      if (key.anyKid) this.#anyKid.keys.push(key);
      if (key.kid === undefined) continue;
      let pool = this.#byKid.get(key.kid);
      if (pool === undefined) {
        pool = new Pool();
        this.#byKid.set(key.kid, pool);
      }
      pool.keys.push(key);
    }
  }

  /** Keys that may verify a token with this `kid` (or none) and `alg`. A Map lookup, never a path. */
  candidates(kid: string | undefined, alg: Algorithm): readonly TrustedKey[] {
    const pool = kid === undefined ? this.#all : (this.#byKid.get(kid) ?? this.#anyKid);
    return pool.fitting(alg);
  }

  /** Whether any key carries this kid (an unknown kid may mean the issuer rotated). */
  hasKid(kid: string): boolean {
    return this.#byKid.has(kid);
  }

  has(key: TrustedKey): boolean {
    return this.#members.has(key);
  }

  get size(): number {
    return this.keys.length;
  }
}
