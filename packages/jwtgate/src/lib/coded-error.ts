/**
 * The base of every error jwtgate's server and CLI throw on purpose (gateway, issuer, configuration,
 * store, usage): a stable `code` to switch on, the HTTP status it is answered with, and the exit
 * code the CLI ends with. The message is safe to show; the original failure stays in `cause`, for
 * logs only. Token problems keep the verify core's `JwtGateError`, which lives below this layer.
 *
 * @example
 * if (err instanceof CodedError) process.exit(err.exitCode);
 */
export abstract class CodedError extends Error {
  abstract readonly code: string;
  /** The HTTP status a server answers this error with. */
  readonly status: number;
  /** The CLI's exit code: 1 failed, 2 wrong usage, 78 invalid configuration. */
  readonly exitCode: number;

  constructor(message: string, options: { status?: number; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = options.status ?? 500;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Exit codes from BSD sysexits.h, as the CLI documents them. */
export const EXIT = { failed: 1, usage: 2, config: 78 } as const;
