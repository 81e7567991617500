import type { Algorithm } from '../algorithms.ts';
import { keyFitsAlgorithm, type TrustedKey } from './trusted-key.ts';

// Tokens without a kid, or sets whose keys have none, are tried against each fitting key; this
// bounds the work an attacker can cause with one token.
const MAX_CANDIDATES = 8;

/** An immutable set of trusted keys, looked up by the token's `kid` and `alg` only. */
export class KeySet {
  readonly keys: readonly TrustedKey[];
  readonly #byKid = new Map<string, TrustedKey[]>();
  readonly #anyKid: TrustedKey[];
  readonly #members: ReadonlySet<TrustedKey>;

  constructor(keys: readonly TrustedKey[]) {
    this.keys = Object.freeze([...keys]);
    this.#members = new Set(keys);
    this.#anyKid = keys.filter((k) => k.anyKid);
    for (const key of keys) {
      if (key.kid === undefined) continue;
      const list = this.#byKid.get(key.kid);
      if (list) list.push(key);
      else this.#byKid.set(key.kid, [key]);
    }
  }

  /** Keys that may verify a token with this `kid` (or none) and `alg`. A Map lookup, never a path. */
  candidates(kid: string | undefined, alg: Algorithm): TrustedKey[] {
    const pool = kid === undefined ? this.keys : (this.#byKid.get(kid) ?? this.#anyKid);
    const out: TrustedKey[] = [];
    for (const key of pool) {
      if (keyFitsAlgorithm(key, alg)) out.push(key);
      if (out.length === MAX_CANDIDATES) break;
    }
    return out;
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
