/**
 * Where proof ids are remembered (RFC 9449 11.1). `remember` records `id` until `expiresAtMs`
 * (after which the proof's `iat` is outside the window anyway) and says whether it was new; false
 * means a replay. It may answer at once or through a promise (a shared store such as Redis); a
 * rejection refuses the request with ERR_DPOP_REPLAY_CACHE_UNAVAILABLE, never accepts it.
 */
export interface ReplayCache {
  remember(id: string, expiresAtMs: number, nowMs: number): boolean | Promise<boolean>;
}

/**
 * The in-process replay cache: at most `maxEntries` ids. When full, the oldest id still inside
 * its window is dropped and every proof expiring no later than it is refused from then on (as a
 * possible replay): the cache never forgets a proof that could still be accepted, and under a
 * flood it narrows the window instead of growing.
 *
 * @example
 * const replay = createMemoryReplayCache({ maxEntries: 500_000 });
 */
export function createMemoryReplayCache(options: { readonly maxEntries?: number } = {}): ReplayCache & {
  readonly size: number;
} {
  const max = options.maxEntries ?? 500_000;
  const expiry = new Map<string, number>();
  // Insertion order as a queue (ids and their expiry), so the oldest is found in O(1).
  let ids: string[] = [];
  let until: number[] = [];
  let head = 0;
  /** Proofs expiring at or before this may have been forgotten: refused. */
  let floor = Number.NEGATIVE_INFINITY;
  return {
    get size() {
      return expiry.size;
    },
    remember(id, expiresAtMs, nowMs) {
      if (expiresAtMs <= floor) return false;
      const seen = expiry.get(id);
      if (seen !== undefined && seen > nowMs) return false;
      while (head < ids.length) {
        const oldest = ids[head] as string;
        const at = until[head] as number;
        // A pair whose id has since been recorded again no longer matches the map: skipped.
        if (expiry.get(oldest) !== at) {
          head++;
          continue;
        }
        if (at > nowMs && expiry.size < max) break;
        if (at > nowMs) floor = Math.max(floor, at);
        expiry.delete(oldest);
        head++;
      }
      if (head > 1024 && head * 2 > ids.length) {
        ids = ids.slice(head);
        until = until.slice(head);
        head = 0;
      }
      expiry.set(id, expiresAtMs);
      ids.push(id);
      until.push(expiresAtMs);
      return true;
    },
  };
}
