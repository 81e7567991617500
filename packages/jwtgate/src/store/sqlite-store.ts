import { processLock } from './process-lock.ts';
import { sqliteAudit } from './sqlite-audit.ts';
import { sqliteClients } from './sqlite-clients.ts';
import { createSqliteContext, openSqliteDatabase } from './sqlite-database.ts';
import { sqliteKeys } from './sqlite-keys.ts';
import { migrateSqlite } from './sqlite-migrate.ts';
import { sqliteOidcPayloads } from './sqlite-oidc-payloads.ts';
import { sqliteRevocations } from './sqlite-revocations.ts';
import { sqliteUsers } from './sqlite-users.ts';
import type { Store } from './types.ts';

export interface SqliteStoreOptions {
  /** Milliseconds since the epoch; tests inject a clock to drive expiry. */
  readonly now?: () => number;
}

/**
 * The embedded store: one SQLite file (`:memory:` for tests) through node:sqlite, so no native
 * module to build. node:sqlite is synchronous; the async methods keep the Store interface that a
 * networked PostgreSQL store also fits. Call migrate() before anything else.
 */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  const db = openSqliteDatabase(file);
  const context = createSqliteContext(db, options.now ?? Date.now);
  return {
    async migrate() {
      migrateSqlite(context);
    },
    clients: sqliteClients(context),
    keys: sqliteKeys(context),
    revocations: sqliteRevocations(context),
    audit: sqliteAudit(context),
    oidc: sqliteOidcPayloads(context),
    users: sqliteUsers(context),
    exclusive: processLock(),
    async close() {
      // Idempotent, so shutdown paths need not track whether it already ran.
      if (db.isOpen) db.close();
    },
  };
}
