import { migrate } from './migrate.ts';
import type { SqlExecutor } from './sql/executor.ts';
import { createAuditTable } from './tables/audit.ts';
import { createClientsTable } from './tables/clients.ts';
import { createKeysTable } from './tables/keys.ts';
import { createOidcPayloadsTable } from './tables/oidc-payloads.ts';
import { createRevocationsTable } from './tables/revocations.ts';
import { createUsersTable } from './tables/users.ts';
import type { Store } from './types.ts';

/**
 * The Store over any SQL executor: each table written once (store/tables), the database's
 * differences in the executor's dialect. `now` is milliseconds since the epoch.
 */
export function createSqlStore(db: SqlExecutor, now: () => number): Store {
  const context = { db, now };
  return {
    migrate: () => migrate(db, now),
    clients: createClientsTable(context),
    keys: createKeysTable(context),
    revocations: createRevocationsTable(context),
    audit: createAuditTable(context),
    oidc: createOidcPayloadsTable(context),
    users: createUsersTable(context),
    exclusive: (name, fn) => db.exclusive(name, fn),
    close: () => db.close(),
  };
}
