/** `12 s`, `4 min`, `2 h`, `3 d`: one rounded unit, as a person reads a distance in time. */
export function describeSpan(ms: number): string {
  const s = Math.abs(ms) / 1000;
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86400) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/** `in 4 min` / `2 h ago` / `now`. */
export function relativeToNow(atMs: number, nowMs: number): string {
  const delta = atMs - nowMs;
  if (Math.abs(delta) < 1000) return 'now';
  return delta > 0 ? `in ${describeSpan(delta)}` : `${describeSpan(delta)} ago`;
}

/**
 * A token time claim in words: `expires in 4 min` / `expired 2 h ago` for exp, `issued 3 min ago`
 * for iat, `valid from ...` / `valid since ...` for nbf. Null when the value is not a NumericDate.
 *
 * @example
 * describeClaimTime('exp', 1_700_000_240, 1_700_000_000_000); // 'expires in 4 min'
 */
export function describeClaimTime(
  claim: 'exp' | 'iat' | 'nbf',
  seconds: unknown,
  nowMs: number,
): string | null {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || Math.abs(seconds) > 8.64e12) return null;
  const at = seconds * 1000;
  const future = at > nowMs;
  const span = describeSpan(at - nowMs);
  switch (claim) {
    case 'exp':
      return future ? `expires in ${span}` : `expired ${span} ago`;
    case 'iat':
      return future ? `issued in the future (in ${span})` : `issued ${span} ago`;
    case 'nbf':
      return future ? `not valid for another ${span}` : `valid since ${span} ago`;
  }
}
