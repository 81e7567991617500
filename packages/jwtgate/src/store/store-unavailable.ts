import { CodedError } from '../lib/coded-error.ts';

/**
 * The store could not be reached (PostgreSQL down, restarting, or the connection killed): nothing
 * was decided, so the caller answers 503 and the client retries. Other store errors (a constraint,
 * a bug) stay what they are.
 */
export class StoreUnavailableError extends CodedError {
  readonly code = 'ERR_STORE_UNAVAILABLE';

  constructor(cause: unknown) {
    super(`the store is unreachable: ${(cause as Error)?.message ?? String(cause)}`, {
      status: 503,
      cause,
    });
  }
}

/** SQLSTATE classes and codes that mean the connection, not the statement, failed. */
const CONNECTION_SQLSTATE = /^(08...|57P0[123]|53300)$/;
const CONNECTION_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** A node-postgres error that says the server or the connection went away. */
export function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  if (typeof code === 'string' && (CONNECTION_SQLSTATE.test(code) || CONNECTION_ERRNO.has(code))) return true;
  return /Connection terminated|connection error|timeout exceeded when trying to connect|not queryable/i.test(
    error.message,
  );
}

/** The error, or one of its causes, is a StoreUnavailableError. */
export function isStoreUnavailable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++)
    if (e instanceof StoreUnavailableError) return true;
  return false;
}
