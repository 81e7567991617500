import pg from 'pg';
import { isConnectionError, StoreUnavailableError } from '../store-unavailable.ts';
import { readBoolean, readInteger, readJson, writeBoolean, writeJson } from './column-codecs.ts';
import type { LockScope, Row, SqlDialect, SqlExecutor, SqlRunner, SqlTransaction } from './executor.ts';
import { raw, type Sql, sql } from './sql.ts';

export const postgresDialect: SqlDialect = {
  name: 'postgres',
  placeholder: (index) => `$${index}`,
  forUpdate: raw(' FOR UPDATE'),
  byCodePoint: (column) => raw(`${column} COLLATE "C"`),
  readInteger,
  writeBoolean,
  readBoolean,
  writeJson,
  readJson,
  // SQLSTATE unique_violation (PRIMARY KEY or UNIQUE).
  isUniqueViolation: (error) =>
    error instanceof Error && (error as Error & { code?: string }).code === '23505',
};

/** A plain identifier: what `schema` may be, so it can go into search_path without quoting rules. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** What a lock name may be, since it is written into the statement's text. */
const LOCK_NAME = /^[a-z][a-z0-9._-]{0,62}$/;

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

/**
 * The executor over a node-postgres pool. A statement outside a transaction runs on any pooled
 * connection and is sent once more on a fresh one when that is safe (see mayResend); a
 * transaction runs on one connection. A failure of the connection, not of the statement, becomes
 * StoreUnavailableError (503: nothing was decided, retry later).
 */
export function createPostgresExecutor(pool: pg.Pool, schema: string | null): SqlExecutor {
  const pooled = async (query: Sql) => {
    const { text, params } = query.render(postgresDialect.placeholder);
    try {
      return await pool.query<Row>(text, params);
    } catch (error) {
      if (!mayResend(text, error)) throw isConnectionError(error) ? new StoreUnavailableError(error) : error;
      return unavailableOnDisconnect(() => pool.query<Row>(text, params));
    }
  };
  const on = (client: pg.PoolClient): SqlTransaction => {
    const send = (query: Sql) => {
      const { text, params } = query.render(postgresDialect.placeholder);
      return unavailableOnDisconnect(() => client.query<Row>(text, params));
    };
    return {
      ...runner(send),
      async lock(name, scope) {
        await send(lockStatement(name, scope, schema));
      },
      async script(text) {
        // Several statements without parameters: sent as one simple query, in this transaction.
        await unavailableOnDisconnect(() => client.query(text));
      },
    };
  };

  const transaction = async <T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> => {
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
        const result = await fn(on(client));
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
  };

  let closing: Promise<void> | undefined;
  return {
    ...runner(pooled),
    schema,
    transaction,
    // Across every process on the database: a transaction-scoped advisory lock on the name, held on
    // one pooled connection while `fn` runs (its statements use other pooled connections). Released
    // when the transaction ends, or by the server if the connection dies, so a crashed holder
    // never leaves it taken.
    exclusive: (name, fn) =>
      transaction(async (tx) => {
        await tx.lock(`jwtgate:${name}`, 'database');
        return fn();
      }),
    close() {
      // Idempotent (pg.Pool#end rejects a second call), so shutdown paths need not track it.
      closing ??= pool.end();
      return closing;
    },
  };
}

function runner(send: (query: Sql) => Promise<pg.QueryResult<Row>>): SqlRunner {
  return {
    dialect: postgresDialect,
    async rows(query) {
      return (await send(query)).rows;
    },
    async row(query) {
      return (await send(query)).rows[0];
    },
    async run(query) {
      return (await send(query)).rowCount ?? 0;
    },
  };
}

/**
 * The advisory lock statement. A schema-scoped lock is keyed by the configured schema, else the
 * connection's current one, so stores in other schemas of the same database do not wait for each
 * other (the configured name is used because the schema may not exist yet when migrate() locks).
 */
function lockStatement(name: string, scope: LockScope, schema: string | null): Sql {
  // Keys as before this executor existed, so replicas of an older version still exclude each other.
  if (scope === 'database') return sql`SELECT pg_advisory_xact_lock(hashtext(${name}))`;
  if (!LOCK_NAME.test(name)) throw new TypeError(`jwtgate store: lock name "${name}" is not a plain name`);
  return sql`SELECT pg_advisory_xact_lock(hashtext(${raw(`'${name}:'`)} || coalesce(${schema}::text, current_schema(), '')))`;
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
export function mayResend(text: string, error: unknown): boolean {
  if (!isConnectionError(error)) return false;
  const { code, message } = error as Error & { code?: string };
  if (/timeout exceeded when trying to connect/i.test(message)) return false;
  if (/^\s*select\b/i.test(text)) return true;
  return code === 'ECONNREFUSED' || (typeof code === 'string' && SERVER_ENDED.test(code));
}

async function unavailableOnDisconnect<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw isConnectionError(error) ? new StoreUnavailableError(error) : error;
  }
}
