import { CodedError, EXIT } from '../lib/coded-error.ts';

/**
 * The gateway's own stable codes (token problems keep the verify core's codes). Each maps to a
 * status and a short client message; the cause stays in the log.
 */
export const GATEWAY_ERROR_CODES = {
  ERR_REQUEST_MALFORMED: { status: 400, message: 'The request is not a well-formed HTTP/1.1 request' },
  ERR_PATH_INVALID: { status: 400, message: 'The request path is not acceptable' },
  ERR_HOST_INVALID: { status: 400, message: 'The request host is not acceptable' },
  ERR_METHOD_OVERRIDE: { status: 400, message: 'Method override is not accepted on this route' },
  ERR_FORM_MALFORMED: { status: 400, message: 'The form body could not be read' },
  ERR_DECISION_UNDESCRIBED: {
    status: 400,
    message: "The decision request does not describe a request by its path's convention",
  },
  ERR_DECISION_UNTRUSTED: { status: 403, message: 'Decisions are answered to the configured proxies only' },
  ERR_HEADERS_TIMEOUT: { status: 408, message: 'The request headers did not arrive in time' },
  ERR_BODY_TIMEOUT: { status: 408, message: 'The request body did not arrive in time' },
  ERR_CLIENT_CERT_REQUIRED: {
    status: 403,
    message: 'This route needs a client certificate the gateway trusts',
  },
  ERR_CLIENT_CERT_REFUSED: { status: 403, message: 'The client certificate is not one this route accepts' },
  ERR_CLAIM_CONDITION: { status: 403, message: "The token's claims do not meet the route's conditions" },
  ERR_ROUTE_NOT_FOUND: { status: 404, message: 'No route matches the request' },
  ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'The route does not allow this method' },
  ERR_CORS_ORIGIN_NOT_ALLOWED: {
    status: 403,
    message: 'Cross-origin requests from this origin are not allowed',
  },
  ERR_CORS_METHOD_NOT_ALLOWED: {
    status: 403,
    message: 'Cross-origin requests with this method are not allowed',
  },
  ERR_CORS_HEADER_NOT_ALLOWED: {
    status: 403,
    message: 'Cross-origin requests with these headers are not allowed',
  },
  ERR_BODY_TOO_LARGE: { status: 413, message: 'The request body is too large' },
  ERR_RATE_LIMITED: { status: 429, message: 'Too many requests' },
  ERR_UPSTREAM_UNAVAILABLE: { status: 502, message: 'The upstream service is unavailable' },
  ERR_UPSTREAM_BUSY: { status: 503, message: 'The upstream service is busy; retry later' },
  ERR_UPSTREAM_TIMEOUT: { status: 504, message: 'The upstream service did not answer in time' },
  ERR_REDIS_UNAVAILABLE: { status: 503, message: 'The gateway cannot reach its shared state' },
  ERR_CONFIG_INVALID: { status: 500, message: 'The configuration is invalid' },
  ERR_METRICS_UNAVAILABLE: { status: 503, message: 'A worker did not report its metrics in time' },
} as const;

export type GatewayErrorCode = keyof typeof GATEWAY_ERROR_CODES;

/** A gateway decision or failure, with a stable code. */
export class GatewayError extends CodedError {
  readonly code: GatewayErrorCode;
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    code: GatewayErrorCode,
    options: { cause?: unknown; headers?: Record<string, string>; detail?: string } = {},
  ) {
    super(options.detail ?? GATEWAY_ERROR_CODES[code].message, {
      status: GATEWAY_ERROR_CODES[code].status,
      cause: options.cause,
    });
    this.code = code;
    this.headers = options.headers ?? {};
  }
}

/** A configuration problem: the file, the path inside it (and line when known), what was expected. */
export class ConfigError extends CodedError {
  readonly code = 'ERR_CONFIG_INVALID';
  readonly problems: readonly string[];

  constructor(file: string, problems: readonly string[]) {
    super(`invalid configuration ${file}:\n  ${problems.join('\n  ')}`, { exitCode: EXIT.config });
    this.problems = problems;
  }
}
