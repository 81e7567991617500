import { compilePathPattern, type PathPattern, patternsOverlap } from './path-pattern.ts';

export interface Matchable {
  readonly name: string;
  readonly pattern: PathPattern;
  /** Upper-case methods, or null for any. */
  readonly methods: ReadonlySet<string> | null;
}

export type MatchResult<R> = { route: R } | { route: null; allowed: string[] | null };

/**
 * Methods a route without `methods` does not take: TRACE echoes the request back, identity
 * headers and all, so only a route that lists it gets it. (CONNECT never reaches routes.)
 */
const ONLY_WHEN_LISTED = 'TRACE';
/** What such a route's 405 says it allows (RFC 9110 15.5.6: a 405 carries Allow). */
const ANY_METHOD = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function takes(methods: ReadonlySet<string> | null, method: string): boolean {
  return methods === null ? method !== ONLY_WHEN_LISTED : methods.has(method);
}

function methodsOverlap(a: ReadonlySet<string> | null, b: ReadonlySet<string> | null): boolean {
  if (a === null && b === null) return true;
  if (a === null || b === null) {
    for (const m of (a ?? b) as ReadonlySet<string>) if (m !== ONLY_WHEN_LISTED) return true;
    return false;
  }
  for (const m of a) if (b.has(m)) return true;
  return false;
}

/** Two routes some request could match both of. */
export interface Overlap<R> {
  readonly routes: readonly [R, R];
  readonly message: string;
}

/** Finds any two routes that some request could match both of (deny ambiguity at load). */
export function findOverlaps<R extends Matchable>(routes: readonly R[]): Overlap<R>[] {
  const found: Overlap<R>[] = [];
  for (let i = 0; i < routes.length; i++) {
    for (let j = i + 1; j < routes.length; j++) {
      const a = routes[i] as R;
      const b = routes[j] as R;
      if (patternsOverlap(a.pattern, b.pattern) && methodsOverlap(a.methods, b.methods)) {
        found.push({
          routes: [a, b],
          message: `routes "${a.name}" (${a.pattern.source}) and "${b.name}" (${b.pattern.source}) overlap`,
        });
      }
    }
  }
  return found;
}

/**
 * Compiles routes into a matcher: literal paths by one Map lookup, patterns in order. Since
 * overlaps are rejected at load, at most one route matches a method and path.
 */
export function compileMatcher<R extends Matchable>(
  routes: readonly R[],
): (method: string, path: string) => MatchResult<R> {
  const literal = new Map<string, R[]>();
  const patterns: R[] = [];
  for (const r of routes) {
    if (r.pattern.literal) {
      const key = r.pattern.segments.length === 0 ? '/' : `/${r.pattern.segments.join('/')}`;
      literal.set(key, [...(literal.get(key) ?? []), r]);
    } else patterns.push(r);
  }
  return (method, path) => {
    let allowed: string[] | null = null;
    let pathMatched = false;
    const consider = (r: R): boolean => {
      if (takes(r.methods, method)) return true;
      pathMatched = true;
      allowed = [...(allowed ?? []), ...(r.methods ?? ANY_METHOD)];
      return false;
    };
    for (const r of literal.get(path) ?? []) if (consider(r)) return { route: r };
    for (const r of patterns) if (r.pattern.matches(path) && consider(r)) return { route: r };
    return { route: null, allowed: pathMatched ? allowed : null };
  };
}

export { compilePathPattern };
