import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import { migrate } from '../../src/store/migrate.ts';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrationSql } from '../../src/store/migrations.ts';
import { sql } from '../../src/store/sql/sql.ts';
import { openSqliteExecutor } from '../../src/store/sql/sqlite-executor.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';

const dir = mkdtempSync(join(tmpdir(), 'jwtgate-migrations-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('migrations', () => {
  test('versions run 1, 2, 3, ... with a description each', () => {
    assert.ok(MIGRATIONS.length > 0);
    MIGRATIONS.forEach((migration, index) => {
      assert.equal(migration.version, index + 1);
      assert.ok(migration.description.trim().length > 0);
      assert.ok(migration.sql.trim().length > 0);
    });
    assert.equal(LATEST_SCHEMA_VERSION, MIGRATIONS.length);
  });

  test('apply to a real SQLite file, creating every table and index, and are recorded', async () => {
    const file = join(dir, 'schema.db');
    const store = openSqliteStore(file, { now: () => 42 });
    await store.migrate();
    await store.close();

    const db = new DatabaseSync(file);
    const names = (type: string) =>
      db
        .prepare("SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name")
        .all(type)
        .map((row) => row.name);
    assert.deepEqual(names('table'), [
      'audit_events',
      'client_web_origins',
      'clients',
      'oidc_payloads',
      'revocations',
      'schema_migrations',
      'signing_keys',
      'users',
    ]);
    assert.deepEqual(names('index'), [
      'audit_events_type_seq',
      'client_web_origins_origin',
      'oidc_payloads_expires_at',
      'oidc_payloads_grant_id',
      'oidc_payloads_uid',
      'oidc_payloads_user_code',
      'revocations_exp',
      'users_username_key',
    ]);
    assert.deepEqual(
      db
        .prepare('SELECT version, description, applied_at FROM schema_migrations ORDER BY version')
        .all()
        .map((row) => ({ ...row })),
      MIGRATIONS.map((m) => ({ version: m.version, description: m.description, applied_at: 42 })),
    );
    db.close();
  });

  test('the oidc lookups use their indexes', async () => {
    const file = join(dir, 'plan.db');
    const store = openSqliteStore(file);
    await store.migrate();
    await store.close();
    const db = new DatabaseSync(file);
    const plan = (sql: string) =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all()
        .map((row) => String(row.detail))
        .join(' | ');
    assert.match(plan("SELECT * FROM oidc_payloads WHERE grant_id = 'g'"), /oidc_payloads_grant_id/);
    assert.match(
      plan("SELECT * FROM oidc_payloads WHERE model = 'Session' AND uid = 'u'"),
      /oidc_payloads_uid/,
    );
    assert.match(
      plan("SELECT * FROM oidc_payloads WHERE model = 'DeviceCode' AND user_code = 'c'"),
      /oidc_payloads_user_code/,
    );
    assert.match(plan('SELECT * FROM oidc_payloads WHERE expires_at <= 5'), /oidc_payloads_expires_at/);
    assert.match(plan("SELECT * FROM users WHERE username_key = 'alice'"), /users_username_key/);
    assert.match(
      plan("SELECT 1 FROM client_web_origins WHERE origin = 'https://app.example'"),
      /client_web_origins_origin/,
    );
    db.close();
  });

  test('a version 1 database upgrades to the users table and keeps its data', async () => {
    const file = join(dir, 'upgrade.db');
    const db = openSqliteExecutor(file);
    await migrate(db, () => 1, MIGRATIONS.slice(0, 1));
    await db.run(
      sql`INSERT INTO revocations (jti, exp, revoked_at) VALUES (${'j-1'}, ${2_000_000_000}, ${1})`,
    );
    await db.close();

    const store = openSqliteStore(file, { now: () => 2 });
    await store.migrate();
    assert.equal(await store.revocations.isRevoked('j-1'), true);
    const created = await store.users.create({
      id: 'usr_1',
      username: 'alice',
      passwordHash:
        '$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      email: null,
      name: null,
      roles: {},
      admin: false,
      disabled: false,
    });
    assert.equal(created.createdAt, 2);
    await store.close();
  });

  test('a version 2 database keeps its clients through version 3: web apps, no origins, no exchange', async () => {
    const file = join(dir, 'upgrade-v3.db');
    const db = openSqliteExecutor(file);
    await migrate(db, () => 1, MIGRATIONS.slice(0, 2));
    await db.run(sql`
      INSERT INTO clients (id, name, secret_hash, auth_method, jwks, grant_types, redirect_uris, scopes, roles,
        audiences, claims, disabled, created_at, updated_at)
      VALUES ('c-1', 'Orders', 'sha256:x', 'client_secret_basic', NULL, '["client_credentials"]', '[]', '[]',
        '[]', '["https://orders.example"]', '{}', 0, 1, 1)`);
    await db.close();

    const store = openSqliteStore(file, { now: () => 2 });
    await store.migrate();
    const upgraded = await store.clients.get('c-1');
    assert.equal(upgraded?.name, 'Orders');
    assert.equal(upgraded?.authMethod, 'client_secret_basic');
    for (const absent of ['applicationType', 'webOrigins', 'tokenExchange'])
      assert.equal(absent in (upgraded ?? {}), false, absent);
    await store.close();
  });

  test('SQLite gets the SQL as written', () => {
    for (const migration of MIGRATIONS) assert.equal(migrationSql(migration, 'sqlite'), migration.sql);
  });

  test('PostgreSQL gets identity columns and no SQLite-only syntax', () => {
    const sql = MIGRATIONS.map((m) => migrationSql(m, 'postgres')).join('\n');
    assert.match(sql, /seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY/);
    for (const sqliteOnly of [
      /AUTOINCREMENT/i,
      /WITHOUT ROWID/i,
      /\bSTRICT\b/i,
      /PRAGMA/i,
      /INSERT OR /i,
      /REPLACE INTO/i,
      /\bBLOB\b/i,
      /\bREAL\b/i,
      /datetime\(|strftime\(|json_/i,
    ]) {
      assert.doesNotMatch(sql, sqliteOnly);
    }
  });

  test('types are limited to TEXT, INTEGER and BIGINT', () => {
    for (const migration of MIGRATIONS) {
      const columnTypes = [...migration.sql.matchAll(/^\s+[a-z_]+ ([A-Z]+)/gm)].map((match) => match[1]);
      for (const type of columnTypes)
        assert.ok(['TEXT', 'INTEGER', 'BIGINT'].includes(type ?? ''), `type ${type}`);
    }
  });
});
