// The one migration runner, on both executors: a SQLite file, and a PostgreSQL schema of its own
// (skipped loudly without a server, a failure under CI=true).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { migrate } from '../../src/store/migrate.ts';
import type { Migration } from '../../src/store/migrations.ts';
import type { SqlExecutor } from '../../src/store/sql/executor.ts';
import { createPostgresExecutor, createPostgresPool } from '../../src/store/sql/postgres-executor.ts';
import { sql } from '../../src/store/sql/sql.ts';
import { openSqliteExecutor } from '../../src/store/sql/sqlite-executor.ts';
import { createSchemaNames, postgresUrl, probePostgres, skipWithout } from '../issuer/postgres-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'jwtgate-migrate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;

const v1: Migration = { version: 1, description: 'one', sql: 'CREATE TABLE one (id TEXT PRIMARY KEY)' };
const v2: Migration = {
  version: 2,
  description: 'two',
  sql: 'CREATE TABLE two (id TEXT PRIMARY KEY); CREATE INDEX two_id ON two (id)',
};
const broken: Migration = {
  version: 2,
  description: 'half works',
  sql: 'CREATE TABLE half (id TEXT); CREATE TABLE one (id TEXT)',
};
const now = () => 7;

interface Target {
  readonly name: string;
  /** A fresh, empty database: where `connect` opens it. */
  fresh(): string;
  connect(location: string): SqlExecutor;
  tables(db: SqlExecutor): Promise<string[]>;
}

const sqlite: Target = {
  name: 'SQLite file',
  fresh: () => join(dir, `m-${++fileCount}.db`),
  connect: (file) => openSqliteExecutor(file),
  async tables(db) {
    const rows = await db.rows(sql`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`);
    return rows.map((row) => String(row.name));
  },
};

const versions = async (db: SqlExecutor) =>
  (await db.rows(sql`SELECT version FROM schema_migrations ORDER BY version`)).map((row) =>
    db.dialect.readInteger(row.version),
  );

function describeRunner(target: Target): void {
  const open = async () => target.connect(target.fresh());
  describe(`migrate on ${target.name}`, () => {
    test('applies pending migrations in order and records them', async () => {
      const db = await open();
      await migrate(db, now, [v1, v2]);
      assert.deepEqual(await versions(db), [1, 2]);
      assert.deepEqual(await target.tables(db), ['one', 'schema_migrations', 'two']);
      const rows = await db.rows(sql`SELECT description, applied_at FROM schema_migrations ORDER BY version`);
      assert.deepEqual(
        rows.map((row) => [row.description, db.dialect.readInteger(row.applied_at)]),
        [
          ['one', 7],
          ['two', 7],
        ],
      );
      await db.close();
    });

    test('is idempotent', async () => {
      const db = await open();
      await migrate(db, now, [v1, v2]);
      await migrate(db, now, [v1, v2]);
      assert.deepEqual(await versions(db), [1, 2]);
      await db.close();
    });

    test('upgrades an older database by running only what is new', async () => {
      const db = await open();
      await migrate(db, now, [v1]);
      await db.run(sql`INSERT INTO one (id) VALUES (${'kept'})`);
      await migrate(db, now, [v1, v2]);
      assert.deepEqual(await versions(db), [1, 2]);
      assert.deepEqual(
        (await db.rows(sql`SELECT id FROM one`)).map((row) => row.id),
        ['kept'],
      );
      await db.close();
    });

    test('a failing migration is rolled back whole and not recorded; earlier ones stay', async () => {
      const db = await open();
      await assert.rejects(migrate(db, now, [v1, broken]), /already exists/);
      assert.deepEqual(await versions(db), [1]);
      assert.deepEqual(
        await target.tables(db),
        ['one', 'schema_migrations'],
        'the half-created table is gone',
      );
      await db.close();
    });

    test('refuses a database migrated by newer code, before changing anything', async () => {
      const db = await open();
      await migrate(db, now, [v1, v2]);
      await assert.rejects(migrate(db, now, [v1]), /schema version 2, newer than this jwtgate knows \(1\)/);
      assert.deepEqual(await versions(db), [1, 2]);
      await db.close();
    });

    test('with no migrations, still creates schema_migrations', async () => {
      const db = await open();
      await migrate(db, now, []);
      assert.deepEqual(await target.tables(db), ['schema_migrations']);
      await db.close();
    });

    test('runners starting together apply each migration once', async () => {
      const location = target.fresh();
      const all = [target.connect(location), target.connect(location), target.connect(location)];
      await Promise.all(all.flatMap((db) => [migrate(db, now, [v1, v2]), migrate(db, now, [v1, v2])]));
      for (const db of all) assert.deepEqual(await versions(db), [1, 2]);
      await Promise.all(all.map((db) => db.close()));
    });
  });
}

describeRunner(sqlite);

const problem = await probePostgres();
if (problem !== null) skipWithout('migrate on PostgreSQL', [`PostgreSQL not reachable (${problem})`]);
else {
  const schemas = createSchemaNames('migrate');
  after(() => schemas.drop());
  describeRunner({
    name: 'PostgreSQL',
    fresh: () => schemas.fresh(),
    connect: (schema) => createPostgresExecutor(createPostgresPool(postgresUrl(), schema), schema),
    async tables(db) {
      const rows = await db.rows(
        sql`SELECT table_name FROM information_schema.tables WHERE table_schema = ${db.schema} ORDER BY table_name COLLATE "C"`,
      );
      return rows.map((row) => String(row.table_name));
    },
  });
}
