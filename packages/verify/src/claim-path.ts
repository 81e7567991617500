/** Reads one claim, possibly nested, from a claims set. */
export type ClaimReader = (claims: Readonly<Record<string, unknown>>) => unknown;

/**
 * Compiles a claim path: `roles`, `realm_access.roles`, `resource_access.my-client.roles`, or a
 * namespaced URL claim such as `https://example.com/roles` (a URL is one claim name, dots and
 * all). An array gives the segments explicitly. Only own properties are read.
 *
 * @example compileClaimPath('realm_access.roles')({ realm_access: { roles: ['admin'] } }) // ['admin']
 */
export function compileClaimPath(path: string | readonly string[]): ClaimReader {
  const segments =
    typeof path !== 'string' ? [...path] : /^[a-z][a-z0-9+.-]*:\/\//i.test(path) ? [path] : path.split('.');
  if (segments.length === 0 || segments.some((s) => s === ''))
    throw new Error(`invalid claim path ${String(path)}`);
  return (claims) => {
    let node: unknown = claims;
    for (const segment of segments) {
      if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, segment)) {
        return undefined;
      }
      node = (node as Record<string, unknown>)[segment];
    }
    return node;
  };
}

/** A claim value as a list of strings: arrays keep their strings, a string is split on spaces. */
export function toStringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((s) => s !== '');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}
