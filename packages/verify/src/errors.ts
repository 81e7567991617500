/**
 * Errors as data: one error class, one table of stable codes. Every code says what HTTP answer
 * it becomes (RFC 6750 section 3) so adapters and the gateway never decide that themselves.
 * Messages never contain a token or a secret.
 */

/** The RFC 6750 3.1 error attribute a code maps to, or none (missing token, not a token problem). */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

interface CodeSpec {
  readonly status: number;
  readonly bearer: BearerError | null;
  readonly message: string;
}

/** Every stable code, its HTTP status, its RFC 6750 error and the client-facing message. */
export const ERROR_CODES = {
  ERR_TOKEN_MISSING: { status: 401, bearer: null, message: 'No Authorization Token provided' },
  ERR_INVALID_REQUEST: { status: 400, bearer: 'invalid_request', message: 'The request is malformed' },
  ERR_TOKEN_TOO_LARGE: { status: 401, bearer: 'invalid_token', message: 'The token is too large' },
  ERR_TOKEN_MALFORMED: { status: 401, bearer: 'invalid_token', message: 'The token is malformed' },
  ERR_HEADER_UNSUPPORTED: {
    status: 401,
    bearer: 'invalid_token',
    message: 'The token header uses an unsupported extension',
  },
  ERR_ALG_NOT_ALLOWED: {
    status: 401,
    bearer: 'invalid_token',
    message: 'The token algorithm is not allowed',
  },
  ERR_KEY_NOT_FOUND: { status: 401, bearer: 'invalid_token', message: 'No trusted key matches the token' },
  ERR_KEY_SOURCE_UNAVAILABLE: {
    status: 503,
    bearer: null,
    message: 'The keys needed to verify the token are unavailable',
  },
  ERR_SIGNATURE_INVALID: { status: 401, bearer: 'invalid_token', message: 'The token signature is invalid' },
  ERR_ISSUER_MISMATCH: { status: 401, bearer: 'invalid_token', message: 'The token issuer is not accepted' },
  ERR_AUDIENCE_MISMATCH: {
    status: 401,
    bearer: 'invalid_token',
    message: 'The token audience is not accepted',
  },
  ERR_TOKEN_EXPIRED: { status: 401, bearer: 'invalid_token', message: 'The token has expired' },
  ERR_TOKEN_NOT_YET_VALID: { status: 401, bearer: 'invalid_token', message: 'The token is not valid yet' },
  ERR_TOKEN_ISSUED_IN_FUTURE: {
    status: 401,
    bearer: 'invalid_token',
    message: 'The token was issued in the future',
  },
  ERR_TOKEN_TOO_OLD: { status: 401, bearer: 'invalid_token', message: 'The token is too old' },
  ERR_TOKEN_TYPE_MISMATCH: {
    status: 401,
    bearer: 'invalid_token',
    message: 'The token type is not accepted',
  },
  ERR_CLAIM_MISSING: { status: 401, bearer: 'invalid_token', message: 'A required claim is missing' },
  ERR_CLAIM_INVALID: { status: 401, bearer: 'invalid_token', message: 'A claim has an invalid value' },
  ERR_TOKEN_REVOKED: { status: 401, bearer: 'invalid_token', message: 'The token has been revoked' },
  ERR_DELEGATION_REQUIRED: {
    status: 401,
    bearer: 'invalid_token',
    message: 'The token must be obtained on behalf of someone (act)',
  },
  ERR_DELEGATION_TOO_DEEP: {
    status: 401,
    bearer: 'invalid_token',
    message: 'The token was delegated through too many actors',
  },
  ERR_ACTOR_NOT_ALLOWED: {
    status: 401,
    bearer: 'invalid_token',
    message: 'The token was obtained by an actor that is not accepted',
  },
  ERR_INSUFFICIENT_ROLE: {
    status: 403,
    bearer: 'insufficient_scope',
    message: 'The token does not carry a required role',
  },
  ERR_INSUFFICIENT_SCOPE: {
    status: 403,
    bearer: 'insufficient_scope',
    message: 'The token does not carry a required scope',
  },
  ERR_OPTIONS_INVALID: { status: 500, bearer: null, message: 'The verifier is misconfigured' },
  ERR_INTERNAL: { status: 500, bearer: null, message: 'Internal error' },
} as const satisfies Record<string, CodeSpec>;

/** A stable error code; `switch (err.code)` over these is exhaustive. */
export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * The one error type of `@jwtgate/verify`.
 *
 * @example
 * try { await verifier.verify(token) } catch (err) {
 *   if (err instanceof JwtGateError && err.code === 'ERR_TOKEN_EXPIRED') refreshToken();
 * }
 */
export class JwtGateError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Extra detail for logs (never a token or a secret): which claim, which provider, which scope. */
  readonly detail: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown }) {
    const spec: CodeSpec = ERROR_CODES[code];
    super(detail ? `${spec.message}: ${detail}` : spec.message, options);
    this.name = 'JwtGateError';
    this.code = code;
    this.status = spec.status;
    this.detail = detail;
  }
}

/** Shorthand used by every internal step: build the error for a code. */
export function fail(code: ErrorCode, detail?: string, cause?: unknown): JwtGateError {
  return new JwtGateError(code, detail, cause === undefined ? undefined : { cause });
}

/** Turns anything thrown into a JwtGateError; unexpected errors become ERR_INTERNAL with the original as cause. */
export function toJwtGateError(err: unknown): JwtGateError {
  return err instanceof JwtGateError ? err : fail('ERR_INTERNAL', undefined, err);
}
