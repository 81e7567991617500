import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { Migration } from '../../src/store/migrations.ts';
import {
  createSqliteContext,
  openSqliteDatabase,
  type SqliteContext,
} from '../../src/store/sqlite-database.ts';
import { migrateSqlite } from '../../src/store/sqlite-migrate.ts';

const dir = mkdtempSync(join(tmpdir(), 'jwtgate-sqlite-migrate-'));
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

function openContext(): SqliteContext {
  return createSqliteContext(openSqliteDatabase(join(dir, `m-${++fileCount}.db`)), () => 7);
}

const versions = (context: SqliteContext) =>
  context.db
    .prepare('SELECT version FROM schema_migrations ORDER BY version')
    .all()
    .map((row) => row.version);
const tables = (context: SqliteContext) =>
  context.db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .all()
    .map((row) => row.name);

describe('migrateSqlite', () => {
  test('applies pending migrations in order and records them', () => {
    const context = openContext();
    migrateSqlite(context, [v1, v2]);
    assert.deepEqual(versions(context), [1, 2]);
    assert.deepEqual(tables(context), ['one', 'schema_migrations', 'two']);
    context.db.close();
  });

  test('is idempotent', () => {
    const context = openContext();
    migrateSqlite(context, [v1, v2]);
    migrateSqlite(context, [v1, v2]);
    assert.deepEqual(versions(context), [1, 2]);
    context.db.close();
  });

  test('upgrades an older database by running only what is new', () => {
    const context = openContext();
    migrateSqlite(context, [v1]);
    context.db.exec("INSERT INTO one (id) VALUES ('kept')");
    migrateSqlite(context, [v1, v2]);
    assert.deepEqual(versions(context), [1, 2]);
    assert.deepEqual(
      context.db
        .prepare('SELECT id FROM one')
        .all()
        .map((row) => row.id),
      ['kept'],
    );
    context.db.close();
  });

  test('a failing migration is rolled back whole and not recorded; earlier ones stay', () => {
    const context = openContext();
    assert.throws(() => migrateSqlite(context, [v1, broken]), /already exists/);
    assert.deepEqual(versions(context), [1]);
    assert.deepEqual(tables(context), ['one', 'schema_migrations'], 'the half-created table is gone');
    context.db.close();
  });

  test('refuses a database migrated by newer code, before changing anything', () => {
    const context = openContext();
    migrateSqlite(context, [v1, v2]);
    assert.throws(
      () => migrateSqlite(context, [v1]),
      /schema version 2, newer than this jwtgate knows \(1\)/,
    );
    context.db.close();
  });
});
