import { createPostgresExecutor, createPostgresPool } from './sql/postgres-executor.ts';
import { createSqlStore } from './sql-store.ts';
import type { Store } from './types.ts';

export interface PostgresStoreOptions {
  /** Milliseconds since the epoch; tests inject a clock to drive expiry. */
  readonly now?: () => number;
  /**
   * The schema for the store's tables (a plain identifier), set as every connection's search_path
   * and created by migrate() if missing. Without it, the connection's default search_path applies.
   */
  readonly schema?: string;
}

/** Whether `location` is a PostgreSQL URL rather than a SQLite file path. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(location);
}

/**
 * The networked store: a node-postgres pool on `url` (`postgres://user:pass@host:5432/db`), for
 * several issuers sharing one database. Same tables, migrations and behaviour as the SQLite store.
 * Opening connects lazily; call migrate() before anything else, and close() to end the pool.
 *
 * @example
 * const store = openPostgresStore('postgres://jwtgate@db.internal:5432/jwtgate', { schema: 'issuer' });
 * await store.migrate();
 */
export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Store {
  const schema = options.schema ?? null;
  const executor = createPostgresExecutor(createPostgresPool(url, schema), schema);
  return createSqlStore(executor, options.now ?? Date.now);
}
