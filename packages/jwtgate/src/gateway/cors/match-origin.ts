/** Whether a request's `Origin` is one of the allowed ones; compiled once per CORS block. */
export type OriginMatcher = (origin: string) => boolean;

const PATTERN = /^(https?):\/\/\*\.((?:[a-z0-9-]+\.)*[a-z0-9-]+)(:[0-9]{1,5})?$/;

/**
 * Why `entry` cannot be an allowed origin, or null. An exact entry is an origin as a browser
 * serializes it (scheme, host, port only: no path, no trailing slash, lower case); a pattern puts
 * one `*.` label in front of at least two fixed labels, so it stays within one site.
 */
export function originProblem(entry: string): string | null {
  if (entry === '*') return null;
  if (entry === 'null')
    return '"null" is the origin of sandboxed and file pages, which anyone can make: not allowed';
  if (entry.includes('*')) {
    const m = PATTERN.exec(entry);
    if (m === null)
      return `"${entry}" is not a pattern: write scheme://*.host[:port], e.g. https://*.example.com`;
    if (!(m[2] as string).includes('.'))
      return `"${entry}" would allow a whole top-level domain: name at least two labels after *.`;
    return null;
  }
  const u = URL.parse(entry);
  if (u === null || !/^https?:$/.test(u.protocol) || u.origin !== entry)
    return `"${entry}" is not an origin: write scheme://host[:port] in lower case, without a path (e.g. ${u?.origin ?? 'https://app.example.com'})`;
  return null;
}

/** Compiles checked entries (originProblem) into one matcher: a set of exact origins and one anchored pattern. */
export function compileOriginMatcher(entries: readonly string[]): OriginMatcher {
  if (entries.includes('*')) return () => true;
  const exact = new Set(entries.filter((e) => !e.includes('*')));
  const patterns = entries
    .filter((e) => e.includes('*'))
    .map((e) => {
      const m = PATTERN.exec(e) as RegExpExecArray;
      const host = (m[2] as string).replace(/[.-]/g, (c) => `\\${c}`);
      // `*` is one or more whole DNS labels; the scheme, the fixed labels and the port are exact.
      return `${m[1]}://(?:[a-z0-9-]+\\.)+${host}${(m[3] ?? '').replace(':', '\\:')}`;
    });
  const re = patterns.length === 0 ? null : new RegExp(`^(?:${patterns.join('|')})$`);
  if (re === null) return (origin) => exact.has(origin);
  return (origin) => exact.has(origin) || re.test(origin);
}
