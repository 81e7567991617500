/**
 * Errors as data: one error class, one table of stable codes. Every code says what HTTP answer
 * it becomes (RFC 6750 section 3) so adapters and the gateway never decide that themselves.
 * Messages never contain a token or a secret.
 */

/**
 * The error attribute a code maps to (RFC 6750 3.1, RFC 9449 7.1 and 9, RFC 9470 3), or none
 * (missing token, not a token problem).
 */
export type BearerError =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'insufficient_user_authentication';

interface CodeSpec {
  readonly status: number;
  readonly bearer: BearerError | null;
  readonly message: string;
  /** The answer's challenge is `DPoP` whatever scheme the request used (RFC 9449 7.1). */
  readonly dpop?: true;
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
  ERR_INSUFFICIENT_AUTHENTICATION: {
    status: 401,
    bearer: 'insufficient_user_authentication',
    message: 'The user must sign in with a stronger method',
  },
  // RFC 9449 7: a DPoP-bound token needs the DPoP scheme and a valid proof on every request.
  ERR_DPOP_TOKEN_BOUND: {
    status: 401,
    bearer: 'invalid_token',
    message: 'The token is DPoP-bound: send it with the DPoP scheme and a proof',
    dpop: true,
  },
  ERR_DPOP_TOKEN_NOT_BOUND: {
    status: 401,
    bearer: 'invalid_token',
    message: 'The token is not DPoP-bound: send it as a Bearer token',
  },
  ERR_DPOP_REQUIRED: {
    status: 401,
    bearer: 'invalid_token',
    message: 'Only DPoP-bound tokens are accepted',
    dpop: true,
  },
  ERR_DPOP_NOT_ACCEPTED: {
    status: 401,
    bearer: 'invalid_token',
    message: 'The DPoP scheme is not accepted for this token',
  },
  ERR_DPOP_PROOF_MISSING: {
    status: 401,
    bearer: 'invalid_dpop_proof',
    message: 'A DPoP proof is required (one DPoP header)',
    dpop: true,
  },
  ERR_DPOP_PROOF_MALFORMED: {
    status: 401,
    bearer: 'invalid_dpop_proof',
    message: 'The DPoP proof is malformed',
    dpop: true,
  },
  ERR_DPOP_PROOF_TYPE: {
    status: 401,
    bearer: 'invalid_dpop_proof',
    message: 'The DPoP proof is not of type dpop+jwt',
    dpop: true,
  },
  ERR_DPOP_ALG_NOT_ALLOWED: {
    status: 401,
    bearer: 'invalid_dpop_proof',
    message: 'The DPoP proof algorithm is not allowed',
    dpop: true,
  },
  ERR_DPOP_KEY_INVALID: {
    status: 401,
    bearer: 'invalid_dpop_proof',
    message: 'The DPoP proof does not carry one acceptable public key',
    dpop: true,
  },
  ERR_DPOP_SIGNATURE_INVALID: {
    status: 401,
    bearer: 'invalid_dpop_proof',
    message: 'The DPoP proof signature is invalid',
    dpop: true,
  },
  ERR_DPOP_METHOD_MISMATCH: {
    status: 401,
    bearer: 'invalid_dpop_proof',
    message: 'The DPoP proof is for another method',
    dpop: true,
  },
  ERR_DPOP_URL_MISMATCH: {
    status: 401,
    bearer: 'invalid_dpop_proof',
    message: 'The DPoP proof is for another URL',
    dpop: true,
  },
  ERR_DPOP_PROOF_STALE: {
    status: 401,
    bearer: 'invalid_dpop_proof',
    message: 'The DPoP proof is too old or from the future',
    dpop: true,
  },
  ERR_DPOP_PROOF_REPLAYED: {
    status: 401,
    bearer: 'invalid_dpop_proof',
    message: 'The DPoP proof has been used before',
    dpop: true,
  },
  ERR_DPOP_ATH_MISMATCH: {
    status: 401,
    bearer: 'invalid_dpop_proof',
    message: 'The DPoP proof is for another access token',
    dpop: true,
  },
  ERR_DPOP_KEY_MISMATCH: {
    status: 401,
    bearer: 'invalid_dpop_proof',
    message: 'The DPoP proof is not signed by the key the token is bound to',
    dpop: true,
  },
  ERR_DPOP_NONCE_REQUIRED: {
    status: 401,
    bearer: 'use_dpop_nonce',
    message: 'The DPoP proof must carry the server nonce',
    dpop: true,
  },
  ERR_DPOP_REPLAY_CACHE_UNAVAILABLE: {
    status: 503,
    bearer: null,
    message: 'DPoP proofs cannot be checked for replay now',
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
  /** ERR_DPOP_NONCE_REQUIRED: the nonce the client must put in its next proof (RFC 9449 8). */
  readonly dpopNonce: string | undefined;

  constructor(code: ErrorCode, detail?: string, options?: { cause?: unknown; dpopNonce?: string }) {
    const spec: CodeSpec = ERROR_CODES[code];
    super(
      detail ? `${spec.message}: ${detail}` : spec.message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'JwtGateError';
    this.code = code;
    this.status = spec.status;
    this.detail = detail;
    this.dpopNonce = options?.dpopNonce;
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
