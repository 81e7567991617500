import type { HostPattern } from './host-pattern.ts';
import type { PathPattern } from './path-pattern.ts';

/**
 * How specific a route is, as numbers compared left to right (larger wins): the host first
 * (exact, then wildcard with more labels, then any), then the path segment by segment (a literal
 * segment before `*`, `*` before `/**`; an exact path's end before `/**`). So `/api/admin/**`
 * is before `/api/**`, `/users/me` before `/users/*`, `/a/b` before `/a/b/**`.
 */
export type Specificity = readonly number[];

const END = 4;
const LITERAL = 3;
const ONE = 2;
const REST = 1;

export function specificityOf(host: HostPattern, path: PathPattern): Specificity {
  const hostRank = host.kind === 'exact' ? 3 : host.kind === 'wildcard' ? 2 : 1;
  const segments = path.segments.map((s) => (s === '*' || /^\{.*\}$/.test(s) ? ONE : LITERAL));
  return [hostRank, host.labels, ...segments, path.prefix ? REST : END];
}

/** Negative when `a` is more specific, positive when `b` is, 0 when equal. */
export function compareSpecificity(a: Specificity, b: Specificity): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (b[i] ?? 0) - (a[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function describeHost(h: HostPattern): string {
  return h.kind === 'any'
    ? 'any host'
    : h.kind === 'wildcard'
      ? `wildcard host ${h.source}`
      : `host ${h.name}`;
}

function describeSegment(path: PathPattern, i: number): string {
  if (i >= path.segments.length) return path.prefix ? '/**' : 'the end of the path';
  const s = path.segments[i] as string;
  return s === '*' || /^\{.*\}$/.test(s) ? `${s} (one segment)` : `"${s}" (literal)`;
}

/** Why `winner` is before `other` (which both match the request), in words, for `jwtgate check`. */
export function explainPrecedence(
  winner: { readonly host: HostPattern; readonly pattern: PathPattern; readonly priority: number },
  other: { readonly host: HostPattern; readonly pattern: PathPattern; readonly priority: number },
): string {
  const a = specificityOf(winner.host, winner.pattern);
  const b = specificityOf(other.host, other.pattern);
  if ((a[0] ?? 0) !== (b[0] ?? 0) || (a[1] ?? 0) !== (b[1] ?? 0))
    return `${describeHost(winner.host)} is more specific than ${describeHost(other.host)}`;
  for (let i = 2; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) {
      const seg = i - 2;
      return `at segment ${seg + 1}, ${describeSegment(winner.pattern, seg)} is more specific than ${describeSegment(other.pattern, seg)}`;
    }
  }
  return `equally specific; priority ${winner.priority} is above ${other.priority}`;
}
