/**
 * A route path: literal segments, `*` for exactly one segment, `{name}` for one segment whose
 * value the route's claim conditions can name, and an optional trailing `/**` for the prefix
 * itself and everything below it. `/billing/**` matches `/billing` and `/billing/invoices/7`,
 * not `/billingx`.
 */
export interface PathPattern {
  readonly source: string;
  readonly segments: readonly string[];
  readonly prefix: boolean;
  /** Literal patterns are matched by one Map lookup. */
  readonly literal: boolean;
  /** The `{name}` segments: name and index. */
  readonly params: readonly { readonly name: string; readonly index: number }[];
  matches(path: string): boolean;
}

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** Whether a segment matches any one segment (`*` or `{name}`). */
export function isWildSegment(s: string): boolean {
  return s === '*' || PARAM.test(s);
}

function split(path: string): string[] {
  return path === '/' ? [] : path.slice(1).split('/');
}

/** Compiles a pattern; throws with a reason when it is malformed. */
export function compilePathPattern(source: string): PathPattern {
  if (!source.startsWith('/')) throw new Error('must start with /');
  let segments = split(source);
  const prefix = segments.at(-1) === '**';
  if (prefix) segments = segments.slice(0, -1);
  for (const s of segments) {
    if (s === '**') throw new Error('** is only allowed as the last segment');
    if (s === '') throw new Error('empty segment (double or trailing slash)');
    if (s !== '*' && s.includes('*')) throw new Error(`segment "${s}" mixes * with text`);
    if ((s.includes('{') || s.includes('}')) && !PARAM.test(s))
      throw new Error(`segment "${s}": a parameter is a whole segment, {name} (letters, digits, _)`);
  }
  const params = segments.flatMap((s, index) => {
    const m = PARAM.exec(s);
    return m ? [{ name: m[1] as string, index }] : [];
  });
  const names = params.map((p) => p.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new Error(`parameter {${twice}} appears twice`);
  // A parameter matches like `*`.
  segments = segments.map((s) => (PARAM.test(s) ? '*' : s));
  const literal = !prefix && !segments.includes('*');
  const n = segments.length;
  const matches = (path: string): boolean => {
    const parts = split(path);
    if (prefix ? parts.length < n : parts.length !== n) return false;
    for (let i = 0; i < n; i++) {
      const s = segments[i] as string;
      if (s !== '*' && s !== parts[i]) return false;
      if (s === '*' && parts[i] === '') return false;
    }
    return true;
  };
  return { source, segments, prefix, literal, params, matches };
}

/** Whether some path matches both patterns (used to reject ambiguous routes at load). */
export function patternsOverlap(a: PathPattern, b: PathPattern): boolean {
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i];
    const y = b.segments[i];
    if (x !== '*' && y !== '*' && x !== y) return false;
  }
  if (a.segments.length === b.segments.length) return true;
  // Different lengths: only a prefix pattern can reach into the longer one's segments.
  return a.segments.length < b.segments.length ? a.prefix : b.prefix;
}

/** A path both patterns match (they overlap): literals where either has one, `x` for the rest. */
export function examplePath(a: PathPattern, b: PathPattern): string {
  const n = Math.max(a.segments.length, b.segments.length);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = a.segments[i];
    const y = b.segments[i];
    const literal = [x, y].find((s) => s !== undefined && s !== '*' && !/^\{.*\}$/.test(s));
    parts.push(literal ?? 'x');
  }
  return `/${parts.join('/')}`;
}
