import type { PostgresContext } from './postgres-database.ts';

/**
 * `Store.exclusive` across every process on the database: a transaction-scoped advisory lock on
 * the name's hash, held on one pooled connection while `fn` runs (its queries use other pooled
 * connections). Released when the transaction ends, or by the server if the connection dies, so a
 * crashed holder never leaves it taken.
 */
export function postgresLock(
  context: PostgresContext,
): <T>(name: string, fn: () => Promise<T>) => Promise<T> {
  return (name, fn) =>
    context.transaction(async (client) => {
      await context.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`jwtgate:${name}`], client);
      return fn();
    });
}
