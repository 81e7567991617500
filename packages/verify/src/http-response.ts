import { DPOP_ALGORITHMS } from './dpop/dpop-algorithms.ts';
import { ERROR_CODES, type JwtGateError, toJwtGateError } from './errors.ts';

/** What an HTTP server sends for a failed verification or authorization. */
export interface ErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: { readonly error: string; readonly message: string; readonly request_id?: string };
}

export interface ErrorResponseOptions {
  /** RFC 6750 3: the protection space, sent as `realm="..."`. */
  readonly realm?: string;
  /** Space-delimited scopes the resource needs, sent with `insufficient_scope` (RFC 6750 3). */
  readonly scope?: string;
  /** Included in the JSON body so a client can quote it. */
  readonly requestId?: string;
  /**
   * How DPoP is accepted where the error happened (RFC 9449 7.1): the proof algorithms, whether
   * the request used the DPoP scheme (its errors are then DPoP challenges), and whether only
   * DPoP is accepted (a missing token then gets a DPoP challenge). Without it, DPoP errors still
   * answer with a DPoP challenge naming every algorithm the verifier takes.
   */
  readonly dpop?: {
    readonly algs?: readonly string[];
    readonly presented?: boolean;
    readonly required?: boolean;
  };
}

// RFC 7235 2.2: auth-param values are tokens or quoted strings; ours never contain '"' or '\'.
function quote(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

/**
 * Maps any error to the RFC 6750 answer: status, `WWW-Authenticate: Bearer` (no `error`
 * attribute when the token was missing), and a short JSON body with the stable code.
 *
 * @example
 * const { status, headers, body } = toErrorResponse(err, { realm: 'api' });
 * res.writeHead(status, headers).end(JSON.stringify(body));
 */
export function toErrorResponse(error: unknown, options: ErrorResponseOptions = {}): ErrorResponse {
  const err: JwtGateError = toJwtGateError(error);
  const spec = ERROR_CODES[err.code];
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  };
  if (err.status === 401 || err.status === 403 || (err.status === 400 && spec.bearer)) {
    const params: string[] = [];
    if (options.realm) params.push(`realm=${quote(options.realm)}`);
    if (spec.bearer) {
      params.push(`error=${quote(spec.bearer)}`, `error_description=${quote(spec.message)}`);
      if (spec.bearer === 'insufficient_scope' && options.scope) params.push(`scope=${quote(options.scope)}`);
    }
    const dpop = options.dpop;
    const asDpop =
      ('dpop' in spec && spec.dpop === true) ||
      dpop?.presented === true ||
      (dpop?.required === true && err.code === 'ERR_TOKEN_MISSING');
    if (asDpop) {
      // RFC 9449 7.1: the DPoP challenge names the proof algorithms accepted.
      params.push(`algs=${quote((dpop?.algs ?? DPOP_ALGORITHMS).join(' '))}`);
      headers['www-authenticate'] = `DPoP ${params.join(', ')}`;
    } else {
      headers['www-authenticate'] = params.length ? `Bearer ${params.join(', ')}` : 'Bearer';
    }
    // RFC 9449 8: the nonce the next proof must carry.
    if (err.dpopNonce !== undefined) headers['dpop-nonce'] = err.dpopNonce;
  }
  if (err.status === 503) headers['retry-after'] = '5';
  // The client sees the code and the generic message; err.detail and err.cause are for logs.
  const body =
    options.requestId === undefined
      ? { error: err.code, message: spec.message }
      : { error: err.code, message: spec.message, request_id: options.requestId };
  return { status: err.status, headers, body };
}
