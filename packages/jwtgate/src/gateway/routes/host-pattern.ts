/**
 * A route's host: exact (`api.example.com`), a wildcard (`*.example.com`: any name ending in
 * `.example.com`, one or more labels before it, never `example.com` itself), or any host.
 */
export interface HostPattern {
  readonly source: string | null;
  readonly kind: 'exact' | 'wildcard' | 'any';
  /** Lower case: the exact name, or the wildcard's suffix with its leading dot (`.example.com`). */
  readonly name: string;
  /** Labels named (`*.example.com`: 2); more is more specific among wildcards. */
  readonly labels: number;
  matches(host: string): boolean;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** A DNS name (RFC 1123 labels) or an IPv4 address; lower case. */
const NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
/** An IP literal as the Host header carries it (RFC 3986 3.2.2). */
const IP_LITERAL = /^\[[0-9a-f:.]+\]$/;

export const ANY_HOST: HostPattern = Object.freeze({
  source: null,
  kind: 'any',
  name: '',
  labels: 0,
  matches: () => true,
});

/** Compiles `match.host`; throws with a reason when it is not a host name or `*.` and one. */
export function compileHostPattern(source: string | undefined): HostPattern {
  if (source === undefined) return ANY_HOST;
  const text = source.toLowerCase();
  if (text.startsWith('*.')) {
    const suffix = text.slice(2);
    if (!NAME.test(suffix)) throw new Error(`"${source}" is not *. followed by a host name`);
    const name = `.${suffix}`;
    return Object.freeze({
      source,
      kind: 'wildcard',
      name,
      labels: suffix.split('.').length,
      matches: (host: string) => host.length > name.length && host.endsWith(name),
    });
  }
  if (!NAME.test(text) && !IP_LITERAL.test(text))
    throw new Error(`"${source}" is not a host name (a wildcard is written *.example.com)`);
  return Object.freeze({
    source,
    kind: 'exact',
    name: text,
    labels: text.split('.').length,
    matches: (host: string) => host === text,
  });
}

/** Whether some host matches both patterns. */
export function hostsOverlap(a: HostPattern, b: HostPattern): boolean {
  if (a.kind === 'any' || b.kind === 'any') return true;
  if (a.kind === 'exact' && b.kind === 'exact') return a.name === b.name;
  if (a.kind === 'exact') return b.matches(a.name);
  if (b.kind === 'exact') return a.matches(b.name);
  return a.name.endsWith(b.name) || b.name.endsWith(a.name);
}

/** A host both patterns match (for messages): the exact one, or a name under the longer wildcard. */
export function exampleHost(a: HostPattern, b: HostPattern): string | null {
  if (a.kind === 'exact') return a.name;
  if (b.kind === 'exact') return b.name;
  const longer = a.name.length >= b.name.length ? a : b;
  return longer.kind === 'any' ? null : `x${longer.name}`;
}

/**
 * The request's host as routes see it: the Host header (or HTTP/2 `:authority`), lower case,
 * port and a final dot removed. Null when it is not a host name, an IPv4 address or an IP
 * literal (a route never matches on a value an upstream could read another way); '' when the
 * request names none (HTTP/1.0), which only routes without a host match.
 */
export function requestHost(value: string | undefined): string | null {
  if (value === undefined || value === '') return '';
  // Nearly every request to a gateway names the host the one before named: the last answer is kept.
  if (value === lastValue) return lastHost;
  const host = parseHost(value);
  lastValue = value;
  lastHost = host;
  return host;
}

let lastValue = '';
let lastHost: string | null = '';

function parseHost(value: string): string | null {
  let host = value.toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end === -1) return null;
    const rest = host.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    host = host.slice(0, end + 1);
    return IP_LITERAL.test(host) ? host : null;
  }
  const colon = host.indexOf(':');
  if (colon !== -1) {
    if (!/^\d{1,5}$/.test(host.slice(colon + 1))) return null;
    host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  return host.length <= 253 && NAME.test(host) ? host : null;
}
