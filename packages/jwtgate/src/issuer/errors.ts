import { CodedError, EXIT } from '../lib/coded-error.ts';

/**
 * The issuer's own stable codes, for its administration (CLI and admin API), its configuration and
 * the protection in front of the OAuth endpoints. OAuth protocol errors (RFC 6749 5.2:
 * `invalid_client`, `invalid_scope`, ...) come from oidc-provider and keep their RFC names.
 */
export const ISSUER_ERROR_CODES = {
  ERR_ISSUER_CONFIG: { status: 500, message: 'The issuer configuration is invalid' },
  ERR_CLIENT_INVALID: { status: 400, message: 'The client definition is invalid' },
  ERR_CLIENT_NOT_FOUND: { status: 404, message: 'No such client' },
  ERR_CLIENT_KEY_INVALID: {
    status: 400,
    message: 'A public key of the client is not accepted (weak, private, symmetric or unsupported)',
  },
  ERR_CLIENT_EXISTS: { status: 409, message: 'A client with this id already exists' },
  ERR_USER_INVALID: { status: 400, message: 'The user definition is invalid' },
  ERR_USER_NOT_FOUND: { status: 404, message: 'No such user' },
  ERR_USER_EXISTS: { status: 409, message: 'A user with this username already exists' },
  ERR_FACTOR_INVALID: { status: 400, message: 'The sign-in factor change was refused' },
  ERR_FACTOR_NOT_FOUND: { status: 404, message: 'No such sign-in factor' },
  ERR_ADMIN_UNAUTHORIZED: { status: 401, message: 'The admin credential is missing or wrong' },
  ERR_ADMIN_REQUEST_INVALID: { status: 400, message: 'The admin request is invalid' },
  ERR_ADMIN_PATH_INVALID: { status: 400, message: 'The admin request path is malformed' },
  ERR_ADMIN_NOT_FOUND: { status: 404, message: 'No such admin endpoint' },
  ERR_STORE_UNAVAILABLE: { status: 503, message: 'The store is unreachable; retry shortly' },
} as const;

export type IssuerErrorCode = keyof typeof ISSUER_ERROR_CODES;

/** An administration or configuration failure of the issuer, with a stable code and an HTTP status. */
export class IssuerError extends CodedError {
  readonly code: IssuerErrorCode;

  constructor(code: IssuerErrorCode, detail?: string, options: { cause?: unknown } = {}) {
    super(detail ?? ISSUER_ERROR_CODES[code].message, {
      status: ISSUER_ERROR_CODES[code].status,
      exitCode: code === 'ERR_ISSUER_CONFIG' ? EXIT.config : EXIT.failed,
      cause: options.cause,
    });
    this.code = code;
  }
}
