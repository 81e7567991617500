import pg from 'pg';
import { isConnectionError, StoreUnavailableError } from './store-unavailable.ts';

/** What the table modules of the PostgreSQL store share. */
export interface PostgresContext {
  readonly pool: pg.Pool;
  /** Milliseconds since the epoch; injectable so tests control expiry. */
  readonly now: () => number;
  /** The schema the store's tables live in (search_path), or null for the connection's default. */
  readonly schema: string | null;
  /** Runs one parameterized statement on `client` (inside a transaction) or on any pooled connection. */
  query(sql: string, params?: readonly unknown[], client?: pg.PoolClient): Promise<pg.QueryResult<Row>>;
  /** Runs `fn` in a transaction on one connection, rolled back if it throws. */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

/** A plain identifier: what `schema` may be, so it can go into search_path without quoting rules. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * A pool on `url` (a libpq-style `postgres://` URL). With `schema`, every connection's search_path
 * is that schema only, set in the startup packet so no query can run before it applies.
 */
export function createPostgresPool(url: string, schema: string | null): pg.Pool {
  if (url === '') throw new Error('jwtgate store: the PostgreSQL URL is empty');
  if (schema !== null && !SCHEMA_NAME.test(schema)) {
    throw new Error(
      `jwtgate store: schema "${schema}" must be a plain identifier (letters, digits, _; not starting with a digit)`,
    );
  }
  const pool = new pg.Pool({
    connectionString: url,
    // An unreachable server fails requests (503) quickly instead of queueing them.
    connectionTimeoutMillis: 3000,
    ...(schema === null ? {} : { options: `-c search_path=${schema}` }),
  });
  // A pooled idle connection that the server drops emits 'error' on the pool; unhandled, that
  // would crash the process. The pool discards the connection and the next query opens a new one.
  pool.on('error', () => {});
  return pool;
}

export function createPostgresContext(
  pool: pg.Pool,
  now: () => number,
  schema: string | null,
): PostgresContext {
  const query: PostgresContext['query'] = async (sql, params = [], client) => {
    if (client !== undefined)
      return unavailableOnDisconnect(() => client.query<Row>(sql, params as unknown[]));
    try {
      return await pool.query<Row>(sql, params as unknown[]);
    } catch (error) {
      if (!mayResend(sql, error)) throw isConnectionError(error) ? new StoreUnavailableError(error) : error;
      return unavailableOnDisconnect(() => pool.query<Row>(sql, params as unknown[]));
    }
  };
  return {
    pool,
    now,
    schema,
    query,
    async transaction(fn) {
      for (let attempt = 1; ; attempt++) {
        const client = await unavailableOnDisconnect(() => pool.connect());
        try {
          await client.query('BEGIN');
        } catch (error) {
          client.release(error as Error);
          // Nothing ran on that connection (a pooled one the server had dropped): start over once.
          if (attempt === 1 && isConnectionError(error)) continue;
          throw isConnectionError(error) ? new StoreUnavailableError(error) : error;
        }
        let broken: Error | undefined;
        try {
          const result = await fn(client);
          await client.query('COMMIT');
          return result;
        } catch (error) {
          try {
            await client.query('ROLLBACK');
          } catch (rollbackError) {
            // The connection is unusable: drop it from the pool rather than reuse it.
            broken = rollbackError as Error;
          }
          throw isConnectionError(error) && !(error instanceof StoreUnavailableError)
            ? new StoreUnavailableError(error)
            : error;
        } finally {
          client.release(broken);
        }
      }
    },
  };
}

/** SQLSTATEs by which the server says it ended the session before the statement could take effect. */
const SERVER_ENDED = /^57P0[123]$/;

/**
 * Whether a failed pooled statement may be sent once more on a fresh connection: a read always
 * (after a connection failure), a write only when it surely did not run (the server refused or
 * ended the session, or no connection was made). A write whose connection dropped mid-way may
 * have committed: it is a 503, not a second insert. A connect timeout is not retried either (the
 * server is unreachable; waiting twice only delays the 503).
 */
function mayResend(sql: string, error: unknown): boolean {
  if (!isConnectionError(error)) return false;
  const { code, message } = error as Error & { code?: string };
  if (/timeout exceeded when trying to connect/i.test(message)) return false;
  if (/^\s*select\b/i.test(sql)) return true;
  return code === 'ECONNREFUSED' || (typeof code === 'string' && SERVER_ENDED.test(code));
}

async function unavailableOnDisconnect<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw isConnectionError(error) ? new StoreUnavailableError(error) : error;
  }
}

/** SQLSTATE unique_violation (PRIMARY KEY or UNIQUE). */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && (error as Error & { code?: string }).code === '23505';
}

/**
 * A column value as a number. node-postgres returns BIGINT (int8) as a string, because it can
 * exceed 2^53; the store's BIGINTs (ms timestamps, seconds, sequence numbers) stay far below that,
 * and anything that does not is an error rather than a silently rounded number.
 */
export function numberColumn(value: unknown): number {
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number === 'number' && Number.isSafeInteger(number)) return number;
  throw new TypeError(`jwtgate store: expected an integer column, got ${typeof value} ${String(value)}`);
}

export function nullableNumberColumn(value: unknown): number | null {
  return value === null || value === undefined ? null : numberColumn(value);
}

/** A result row, read through the column helpers. */
export type Row = Record<string, unknown>;
