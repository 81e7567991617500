import { fail } from '../errors.ts';
import type { RequestLike } from '../extract-token.ts';
import type { DpopPresentation } from './check-binding.ts';

/** A request using the DPoP scheme: its token, and what its proof must match. */
export interface DpopCredentials {
  readonly token: string;
  readonly presentation: DpopPresentation;
}

/** The parts of a request the DPoP scheme reads; node's IncomingMessage and Express's request fit. */
export interface DpopRequestLike extends RequestLike {
  readonly method?: string | undefined;
  /** Express: the URL before a router stripped its mount path. */
  readonly originalUrl?: string | undefined;
  /** The connection: a TLS socket has `encrypted: true`. */
  readonly socket?: unknown;
}

// RFC 9449 7.1: credentials = "DPoP" 1*SP token68 (the scheme case-insensitive, RFC 9110 11.1).
const DPOP = /^DPoP +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^DPoP(?: |$)/i;

/** Whether the request's Authorization header uses the DPoP scheme (its errors get DPoP challenges). */
export function usesDpopScheme(request: RequestLike): boolean {
  const auth = request.headers.authorization;
  const value = typeof auth === 'string' ? auth : auth?.[0];
  return value !== undefined && SCHEME.test(value);
}

function countRaw(raw: readonly string[] | undefined, name: string): number {
  if (raw === undefined) return 0;
  let seen = 0;
  for (let i = 0; i < raw.length; i += 2) if ((raw[i] as string).toLowerCase() === name) seen++;
  return seen;
}

/**
 * The URL a client addressed: `origin` when given (the public origin behind a proxy or TLS
 * terminator), else the scheme of the connection and the Host header; then the path as sent.
 */
export function requestUrl(request: DpopRequestLike, origin?: string): string {
  const path = request.originalUrl ?? request.url ?? '/';
  if (origin !== undefined) return origin + path;
  const host = request.headers.host;
  const scheme =
    (request.socket as { encrypted?: unknown } | undefined)?.encrypted === true ? 'https' : 'http';
  return `${scheme}://${typeof host === 'string' ? host : ''}${path}`;
}

/**
 * Reads `Authorization: DPoP <token>` and the `DPoP` proof header (RFC 9449 4.1, 7.1), or
 * undefined when the request does not use the DPoP scheme. A repeated Authorization or DPoP
 * header is refused (4.3 step 1: exactly one proof).
 *
 * @example
 * const dpop = readDpopCredentials(req, 'https://api.example');
 * const verified = dpop ? await verifier.verify(dpop.token, { dpop: dpop.presentation }) : ...;
 */
export function readDpopCredentials(request: DpopRequestLike, origin?: string): DpopCredentials | undefined {
  const auth = request.headers.authorization;
  const value = typeof auth === 'string' ? auth : auth?.[0];
  if (value === undefined || !SCHEME.test(value)) return undefined;
  if (
    (typeof auth !== 'string' && (auth?.length ?? 0) > 1) ||
    countRaw(request.rawHeaders, 'authorization') > 1
  )
    throw fail('ERR_INVALID_REQUEST', 'Authorization header repeated');
  const m = DPOP.exec(value);
  if (!m) throw fail('ERR_INVALID_REQUEST', 'malformed Authorization header');
  const header = request.headers.dpop;
  let proof = typeof header === 'string' ? header : header?.[0];
  // node joins a repeated DPoP header with ", "; a compact JWS has no comma.
  if (
    (typeof header !== 'string' && (header?.length ?? 0) > 1) ||
    proof?.includes(',') ||
    countRaw(request.rawHeaders, 'dpop') > 1
  )
    throw fail('ERR_DPOP_PROOF_MALFORMED', 'more than one DPoP header');
  proof = proof?.trim();
  return {
    token: m[1] as string,
    presentation: {
      proof: proof === '' ? undefined : proof,
      method: request.method ?? 'GET',
      url: requestUrl(request, origin),
    },
  };
}
