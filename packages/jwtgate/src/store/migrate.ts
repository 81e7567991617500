import { MIGRATIONS, type Migration, migrationSql, SCHEMA_MIGRATIONS_SQL } from './migrations.ts';
import type { SqlExecutor, SqlTransaction } from './sql/executor.ts';
import { sql } from './sql/sql.ts';

/**
 * Applies the migrations not yet recorded in schema_migrations, each in its own transaction with
 * its record, so a failure leaves the database at the last complete version (DDL is
 * transactional in both databases). Safe to run again and from several processes at once: each
 * step first takes the migration lock (SQLite's write lock; a schema-scoped advisory lock in
 * PostgreSQL) and re-reads what has been applied, where the step another process just committed
 * is visible. Refuses a database written by a newer jwtgate, whose schema this code would misread.
 */
export async function migrate(
  db: SqlExecutor,
  now: () => number,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<void> {
  const latestKnown = migrations.at(-1)?.version ?? 0;

  const lockedStep = (step: (tx: SqlTransaction, applied: ReadonlySet<number>) => Promise<void>) =>
    db.transaction(async (tx) => {
      await tx.lock('jwtgate.migrate', 'schema');
      // DDL takes no parameters; `schema` was checked to be a plain identifier when the pool was made.
      if (db.schema !== null) await tx.script(`CREATE SCHEMA IF NOT EXISTS ${db.schema}`);
      await tx.script(SCHEMA_MIGRATIONS_SQL);
      const rows = await tx.rows(sql`SELECT version FROM schema_migrations`);
      const applied = new Set(rows.map((row) => db.dialect.readInteger(row.version)));
      assertNotNewer(applied, latestKnown);
      await step(tx, applied);
    });

  // With nothing to apply, still create schema_migrations and check the version.
  if (migrations.length === 0) await lockedStep(async () => {});
  for (const migration of migrations) {
    await lockedStep(async (tx, applied) => {
      if (applied.has(migration.version)) return;
      await tx.script(migrationSql(migration, db.dialect.name));
      await tx.run(
        sql`INSERT INTO schema_migrations (version, description, applied_at) VALUES (${migration.version}, ${migration.description}, ${now()})`,
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
