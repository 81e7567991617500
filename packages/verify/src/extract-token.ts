import { fail } from './errors.ts';

/** Where a request may carry its token. A query parameter is only read when listed explicitly. */
export type TokenSource =
  | { readonly bearer: true }
  | { readonly header: string; readonly prefix?: string }
  | { readonly cookie: string }
  | { readonly query: string };

/** The parts of a request extraction reads; node's IncomingMessage fits. */
export interface RequestLike {
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly url?: string | undefined;
  /** node's raw header list: node keeps only the first of repeated Authorization lines in `headers`. */
  readonly rawHeaders?: readonly string[];
}

function repeatedAuthorization(raw: readonly string[] | undefined): boolean {
  if (raw === undefined) return false;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 13 && name.toLowerCase() === 'authorization' && ++seen > 1) return true;
  }
  return false;
}

/** A compiled extractor: returns the one token of a request or throws (missing, or two at once). */
export type TokenExtractor = (request: RequestLike) => string;

/** The default: `Authorization: Bearer <token>` only (RFC 6750 2.1). */
export const DEFAULT_TOKEN_SOURCES: readonly TokenSource[] = Object.freeze([{ bearer: true }]);

// RFC 6750 2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 7235 2.1).
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^Bearer(?: |$)/i;

function single(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    if (value.length > 1) throw fail('ERR_INVALID_REQUEST', 'header repeated');
    return value[0];
  }
  return value;
}

function fromBearer(request: RequestLike): string | undefined {
  const value = single(request.headers.authorization);
  // Another scheme (Basic, DPoP, ...) is not a bearer token: treat as absent.
  if (value === undefined || !SCHEME.test(value)) return undefined;
  if (repeatedAuthorization(request.rawHeaders))
    throw fail('ERR_INVALID_REQUEST', 'Authorization header repeated');
  const m = BEARER.exec(value);
  if (!m) throw fail('ERR_INVALID_REQUEST', 'malformed Authorization header');
  return m[1];
}

function fromHeader(request: RequestLike, name: string, prefix: string | undefined): string | undefined {
  let value = single(request.headers[name]);
  if (value === undefined) return undefined;
  // node joins a repeated header into one value with ", "; a token never contains a comma.
  if (value.includes(',')) throw fail('ERR_INVALID_REQUEST', `${name} header repeated`);
  value = value.trim();
  if (prefix !== undefined) {
    if (!value.startsWith(prefix)) throw fail('ERR_INVALID_REQUEST', `${name} header without prefix`);
    value = value.slice(prefix.length).trim();
  }
  if (value === '') throw fail('ERR_INVALID_REQUEST', `empty ${name} header`);
  return value;
}

function fromCookie(request: RequestLike, name: string): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  let found: string | undefined;
  for (const line of typeof header === 'string' ? [header] : header) {
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
      if (found !== undefined) throw fail('ERR_INVALID_REQUEST', `cookie ${name} repeated`);
      found = pair.slice(eq + 1).trim();
    }
  }
  return found === '' ? undefined : found;
}

function fromQuery(request: RequestLike, name: string): string | undefined {
  const url = request.url ?? '';
  const q = url.indexOf('?');
  if (q === -1) return undefined;
  const values = new URLSearchParams(url.slice(q + 1)).getAll(name);
  if (values.length > 1) throw fail('ERR_INVALID_REQUEST', `query parameter ${name} repeated`);
  return values[0] || undefined;
}

/**
 * Compiles the list of places to look. RFC 6750 2: a client must not use more than one method
 * per request, so a token in two places is `invalid_request`; none at all is ERR_TOKEN_MISSING.
 *
 * @example
 * const extract = compileTokenExtractor([{ header: 'Token' }, { bearer: true }]);
 * const token = extract(req);
 */
export function compileTokenExtractor(
  sources: readonly TokenSource[] = DEFAULT_TOKEN_SOURCES,
): TokenExtractor {
  if (sources.length === 0) throw new Error('at least one token source is needed');
  const readers = sources.map((source): ((r: RequestLike) => string | undefined) => {
    if ('bearer' in source) return fromBearer;
    if ('header' in source) {
      const name = source.header.toLowerCase();
      if (name === 'authorization' && source.prefix === undefined) return fromBearer;
      return (r) => fromHeader(r, name, source.prefix);
    }
    if ('cookie' in source) return (r) => fromCookie(r, source.cookie);
    if ('query' in source) return (r) => fromQuery(r, source.query);
    throw new Error(`unknown token source ${JSON.stringify(source)}`);
  });
  if (readers.length === 1) {
    const only = readers[0] as (r: RequestLike) => string | undefined;
    return (request) => {
      const token = only(request);
      if (token === undefined) throw fail('ERR_TOKEN_MISSING');
      return token;
    };
  }
  return (request) => {
    let token: string | undefined;
    for (const read of readers) {
      const found = read(request);
      if (found === undefined) continue;
      if (token !== undefined) throw fail('ERR_INVALID_REQUEST', 'more than one token in the request');
      token = found;
    }
    if (token === undefined) throw fail('ERR_TOKEN_MISSING');
    return token;
  };
}
