// Times in words for people reading a token: the CLI's output and the console's token debugger.

/** `4m 12s`, `3h`, `2d 5h`: the two largest units. */
function span(seconds: number): string {
  let rest = Math.round(Math.abs(seconds));
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** A NumericDate relative to now: `in 4m 12s`, `3h ago`, `now`. */
export function relativeTime(seconds: number, nowMs: number = Date.now()): string {
  const delta = seconds - nowMs / 1000;
  if (Math.abs(delta) < 1) return 'now';
  return delta > 0 ? `in ${span(delta)}` : `${span(delta)} ago`;
}

/** `2026-11-29T06:20:34.000Z (in 4m 12s)`, or a note when the value is not a NumericDate. */
export function describeTime(value: unknown, nowMs: number = Date.now()): string {
  if (typeof value !== 'number' || !Number.isFinite(value))
    return `${JSON.stringify(value)} (not a NumericDate)`;
  const date = new Date(value * 1000);
  if (Number.isNaN(date.getTime())) return `${value} (out of range)`;
  return `${date.toISOString()} (${relativeTime(value, nowMs)})`;
}
