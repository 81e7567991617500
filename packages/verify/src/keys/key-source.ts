import type { KeySet } from './key-set.ts';

/** Where a provider's keys come from: configuration (static) or an HTTP endpoint (remote). */
export interface KeySource {
  /** The keys known now, without waiting; undefined until a remote source has loaded once. */
  current(): KeySet | undefined;
  /** Waits for keys; rejects with ERR_KEY_SOURCE_UNAVAILABLE when none could ever be loaded. */
  load(): Promise<KeySet>;
  /**
   * A token named a kid the set lacks: refetch, at most once per cooldown, coalesced with any
   * fetch already under way. Resolves to the new set, or undefined when no refetch was allowed.
   */
  refreshForUnknownKid(): Promise<KeySet | undefined>;
  /** Human-readable state for readiness checks; never contains key material. */
  describe(): KeySourceState;
}

export interface KeySourceState {
  readonly kind: 'secret' | 'static' | 'jwks_uri' | 'discovery';
  readonly ready: boolean;
  readonly keys: number;
  readonly lastError?: string;
  readonly lastFetchAt?: number;
}

/** A source whose keys never change: a secret or configured key files. */
export function createStaticKeySource(kind: 'secret' | 'static', keys: KeySet): KeySource {
  return {
    current: () => keys,
    load: async () => keys,
    refreshForUnknownKid: async () => undefined,
    describe: () => ({ kind, ready: true, keys: keys.size }),
  };
}
