import { openSqliteExecutor } from './sql/sqlite-executor.ts';
import { createSqlStore } from './sql-store.ts';
import type { Store } from './types.ts';

export interface SqliteStoreOptions {
  /** Milliseconds since the epoch; tests inject a clock to drive expiry. */
  readonly now?: () => number;
}

/**
 * The embedded store: one SQLite file (`:memory:` for tests) through node:sqlite, so no native
 * module to build. Call migrate() before anything else.
 *
 * @example
 * const store = openSqliteStore('.data/issuer.db');
 * await store.migrate();
 */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  return createSqlStore(openSqliteExecutor(file), options.now ?? Date.now);
}
