import { MIGRATIONS, type Migration, migrationSql, SCHEMA_MIGRATIONS_SQL } from './migrations.ts';
import { numberColumn, type SqliteContext } from './sqlite-database.ts';

/**
 * Applies the migrations not yet recorded in schema_migrations, each in its own transaction with
 * its record, so a failure leaves the database at the last complete version. Safe to run again and
 * from several processes at once: each re-checks inside its write lock whether the step is done.
 * Refuses a database written by a newer jwtgate, whose schema this code would misread.
 */
export function migrateSqlite(context: SqliteContext, migrations: readonly Migration[] = MIGRATIONS): void {
  const { db, now, statement, transaction } = context;
  const latestKnown = migrations.at(-1)?.version ?? 0;
  db.exec(SCHEMA_MIGRATIONS_SQL);
  const appliedVersions = () =>
    new Set(
      statement('SELECT version FROM schema_migrations')
        .all()
        .map((row) => numberColumn(row.version)),
    );

  assertNotNewer(appliedVersions(), latestKnown);
  for (const migration of migrations) {
    transaction(() => {
      const versions = appliedVersions();
      assertNotNewer(versions, latestKnown);
      if (versions.has(migration.version)) return;
      db.exec(migrationSql(migration, 'sqlite'));
      statement('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.description,
        now(),
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
