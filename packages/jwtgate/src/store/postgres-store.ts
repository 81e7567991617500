import { postgresAudit } from './postgres-audit.ts';
import { postgresClients } from './postgres-clients.ts';
import { createPostgresContext, createPostgresPool } from './postgres-database.ts';
import { postgresKeys } from './postgres-keys.ts';
import { postgresLock } from './postgres-lock.ts';
import { migratePostgres } from './postgres-migrate.ts';
import { postgresOidcPayloads } from './postgres-oidc-payloads.ts';
import { postgresRevocations } from './postgres-revocations.ts';
import { postgresUsers } from './postgres-users.ts';
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
 */
export function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Store {
  const pool = createPostgresPool(url, options.schema ?? null);
  const context = createPostgresContext(pool, options.now ?? Date.now, options.schema ?? null);
  let closing: Promise<void> | undefined;
  return {
    async migrate() {
      await migratePostgres(context);
    },
    clients: postgresClients(context),
    keys: postgresKeys(context),
    revocations: postgresRevocations(context),
    audit: postgresAudit(context),
    oidc: postgresOidcPayloads(context),
    users: postgresUsers(context),
    exclusive: postgresLock(context),
    close() {
      // Idempotent (pg.Pool#end rejects a second call), so shutdown paths need not track it.
      closing ??= pool.end();
      return closing;
    },
  };
}
