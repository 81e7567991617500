import type pg from 'pg';
import { MIGRATIONS, type Migration, migrationSql, SCHEMA_MIGRATIONS_SQL } from './migrations.ts';
import { numberColumn, type PostgresContext } from './postgres-database.ts';

/**
 * Applies the migrations not yet recorded in schema_migrations, each in its own transaction with
 * its record, so a failure leaves the database at the last complete version (PostgreSQL DDL is
 * transactional). Each transaction first takes a transaction-level advisory lock for the schema,
 * so issuers starting together migrate one after the other and each step runs once: whoever gets
 * the lock next re-reads schema_migrations, where READ COMMITTED shows it the step just committed.
 * Refuses a database written by a newer jwtgate, whose schema this code would misread.
 */
export async function migratePostgres(
  context: PostgresContext,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<void> {
  const { now, query, schema, transaction } = context;
  const latestKnown = migrations.at(-1)?.version ?? 0;

  const lockedStep = (step: (client: pg.PoolClient, applied: ReadonlySet<number>) => Promise<void>) =>
    transaction(async (client) => {
      // One lock per schema (the configured one, else the connection's current one), so stores in
      // other schemas of the same database do not wait for each other.
      await query(
        "SELECT pg_advisory_xact_lock(hashtext('jwtgate.migrate:' || coalesce($1::text, current_schema(), '')))",
        [schema],
        client,
      );
      // DDL takes no parameters; `schema` was checked to be a plain identifier when the pool was made.
      if (schema !== null) await query(`CREATE SCHEMA IF NOT EXISTS ${schema}`, [], client);
      await query(SCHEMA_MIGRATIONS_SQL, [], client);
      const { rows } = await query('SELECT version FROM schema_migrations', [], client);
      const applied = new Set(rows.map((row) => numberColumn(row.version)));
      assertNotNewer(applied, latestKnown);
      await step(client, applied);
    });

  if (migrations.length === 0) {
    // Still create schema_migrations and check the version.
    await lockedStep(async () => {});
    return;
  }
  for (const migration of migrations) {
    await lockedStep(async (client, applied) => {
      if (applied.has(migration.version)) return;
      // Several statements without parameters: sent as one simple query, in this transaction.
      await query(migrationSql(migration, 'postgres'), [], client);
      await query(
        'INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)',
        [migration.version, migration.description, now()],
        client,
      );
    });
  }
}

function assertNotNewer(versions: ReadonlySet<number>, latestKnown: number): void {
  const newest = Math.max(0, ...versions);
  if (newest > latestKnown) {
    throw new Error(
      `jwtgate store: the database has schema version ${newest}, newer than this jwtgate knows ` +
        `(${latestKnown}); refusing to use it. Run the jwtgate version that upgraded it, or restore ` +
        'a backup taken before the upgrade.',
    );
  }
}
