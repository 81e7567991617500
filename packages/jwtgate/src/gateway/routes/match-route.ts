import { ANY_HOST, exampleHost, type HostPattern, hostsOverlap } from './host-pattern.ts';
import { compilePathPattern, examplePath, type PathPattern, patternsOverlap } from './path-pattern.ts';
import { compareSpecificity, type Specificity, specificityOf } from './route-specificity.ts';

export interface Matchable {
  readonly name: string;
  readonly pattern: PathPattern;
  /** Upper-case methods, or null for any. */
  readonly methods: ReadonlySet<string> | null;
  /** `match.host`; any host when left out. */
  readonly host?: HostPattern;
  /** `priority`: decides between routes equally specific for a request (larger first). */
  readonly priority?: number;
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

/** A method both take, or null when they take none in common. */
function commonMethod(a: ReadonlySet<string> | null, b: ReadonlySet<string> | null): string | null {
  if (a === null && b === null) return 'GET';
  if (a === null || b === null) {
    for (const m of (a ?? b) as ReadonlySet<string>) if (m !== ONLY_WHEN_LISTED) return m;
    return null;
  }
  for (const m of a) if (b.has(m)) return m;
  return null;
}

const hostOf = (r: Matchable): HostPattern => r.host ?? ANY_HOST;
const priorityOf = (r: Matchable): number => r.priority ?? 0;
const specificity = (r: Matchable): Specificity => specificityOf(hostOf(r), r.pattern);

/** Two routes that some request matches both of, equally specific and of the same priority. */
export interface Ambiguity<R> {
  readonly routes: readonly [R, R];
  /** A request both match: `GET x.example.com/api/x`. */
  readonly example: string;
  readonly message: string;
}

/**
 * Finds the pairs of routes no precedence rule can order for some request (deny ambiguity at
 * load): both match it (host, path, a method in common), equally specific, same priority.
 */
export function findAmbiguities<R extends Matchable>(routes: readonly R[]): Ambiguity<R>[] {
  const found: Ambiguity<R>[] = [];
  for (let i = 0; i < routes.length; i++) {
    for (let j = i + 1; j < routes.length; j++) {
      const a = routes[i] as R;
      const b = routes[j] as R;
      if (priorityOf(a) !== priorityOf(b)) continue;
      if (compareSpecificity(specificity(a), specificity(b)) !== 0) continue;
      if (!hostsOverlap(hostOf(a), hostOf(b)) || !patternsOverlap(a.pattern, b.pattern)) continue;
      const method = commonMethod(a.methods, b.methods);
      if (method === null) continue;
      const host = exampleHost(hostOf(a), hostOf(b));
      const example = `${method} ${host ?? '<any host>'}${examplePath(a.pattern, b.pattern)}`;
      found.push({
        routes: [a, b],
        example,
        message: `routes "${a.name}" (${describe(a)}) and "${b.name}" (${describe(b)}) are equally specific for ${example}: make one more specific, or give one a higher priority`,
      });
    }
  }
  return found;
}

function describe(r: Matchable): string {
  const h = hostOf(r);
  return `${h.kind === 'any' ? '' : h.source}${r.pattern.source}`;
}

/** A route and its specificity, for sorting. */
interface Ranked<R> {
  readonly route: R;
  readonly key: Specificity;
}

/**
 * Compiles routes into a matcher: the most specific route (route-specificity.ts) that matches the
 * host and path and takes the method wins; a route's methods are part of what it matches, as
 * its host and path are. No route for the host and path: 404; routes for them, none taking the
 * method: 405 with what they allow. Exact hosts are looked up by name and literal paths by path
 * (one Map lookup each) before any pattern is tried.
 */
export function compileMatcher<R extends Matchable>(
  routes: readonly R[],
): (method: string, host: string, path: string) => MatchResult<R> {
  const ranked: Ranked<R>[] = routes
    .map((route) => ({ route, key: specificity(route) }))
    .sort((x, y) => compareSpecificity(x.key, y.key) || priorityOf(y.route) - priorityOf(x.route));
  // Exact hosts by name; wildcards and any host in specificity order (more labels first, any host last).
  const exact = new Map<string, PathIndex<R>>();
  const others: { host: HostPattern; index: PathIndex<R> }[] = [];
  for (const r of ranked) {
    const h = hostOf(r.route);
    if (h.kind === 'exact') {
      if (!exact.has(h.name)) exact.set(h.name, new PathIndex());
      (exact.get(h.name) as PathIndex<R>).add(r);
    } else {
      let entry = others.find((o) => o.host.kind === h.kind && o.host.name === h.name);
      if (entry === undefined) {
        entry = { host: h, index: new PathIndex() };
        others.push(entry);
      }
      entry.index.add(r);
    }
  }
  return (method, host, path) => {
    const refused: R[] = [];
    const own = exact.get(host);
    let found = own === undefined ? null : own.find(method, path, refused);
    for (let i = 0; found === null && i < others.length; i++) {
      const o = others[i] as (typeof others)[number];
      if (o.host.matches(host)) found = o.index.find(method, path, refused);
    }
    if (found !== null) return { route: found };
    if (refused.length === 0) return { route: null, allowed: null };
    return { route: null, allowed: [...new Set(refused.flatMap((r) => [...(r.methods ?? ANY_METHOD)]))] };
  };
}

/** The routes of one host: literal paths by Map, patterns in specificity order. */
class PathIndex<R extends Matchable> {
  readonly #literal = new Map<string, R[]>();
  readonly #patterns: R[] = [];

  add(r: Ranked<R>): void {
    const p = r.route.pattern;
    if (p.literal) {
      const key = p.segments.length === 0 ? '/' : `/${p.segments.join('/')}`;
      this.#literal.set(key, [...(this.#literal.get(key) ?? []), r.route]);
    } else this.#patterns.push(r.route);
  }

  /** The most specific route taking the method and path; those matching the path only go to `refused`. */
  find(method: string, path: string, refused: R[]): R | null {
    // An exact path is more specific than any pattern that matches it.
    for (const r of this.#literal.get(path) ?? []) {
      if (takes(r.methods, method)) return r;
      refused.push(r);
    }
    for (const r of this.#patterns) {
      if (!r.pattern.matches(path)) continue;
      if (takes(r.methods, method)) return r;
      refused.push(r);
    }
    return null;
  }
}

/** Every route matching the host and path, most specific first (for `jwtgate check`). */
export function matchingRoutes<R extends Matchable>(routes: readonly R[], host: string, path: string): R[] {
  return routes
    .filter((r) => hostOf(r).matches(host) && r.pattern.matches(path))
    .sort((a, b) => compareSpecificity(specificity(a), specificity(b)) || priorityOf(b) - priorityOf(a));
}

export { compilePathPattern };
