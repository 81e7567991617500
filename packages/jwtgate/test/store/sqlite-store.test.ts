import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import { LATEST_SCHEMA_VERSION } from '../../src/store/migrations.ts';
import { openSqliteStore } from '../../src/store/sqlite-store.ts';
import type { Store } from '../../src/store/types.ts';
import { describeStoreContract } from './store-contract.ts';

const dir = mkdtempSync(join(tmpdir(), 'jwtgate-sqlite-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileCount = 0;
const freshFile = () => join(dir, `store-${++fileCount}.db`);

describeStoreContract('SQLite in memory', async ({ now }) => openSqliteStore(':memory:', { now }));
describeStoreContract('SQLite file', async ({ now }) => openSqliteStore(freshFile(), { now }));

describe('SQLite store', () => {
  test('creates missing parent directories and an owner-only file (with owner-only WAL files)', async (t) => {
    if (process.platform === 'win32') return t.skip('POSIX permissions');
    const file = join(dir, 'nested', 'deeper', 'issuer.db');
    const store = openSqliteStore(file);
    await store.migrate();
    await store.revocations.add('j-1', 2_000_000_000);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(`${file}-wal`).mode & 0o777, 0o600);
    assert.equal(statSync(`${file}-shm`).mode & 0o777, 0o600);
    await store.close();
  });

  test('uses WAL mode, which persists in the file', async () => {
    const file = freshFile();
    const store = openSqliteStore(file);
    await store.migrate();
    await store.close();
    const db = new DatabaseSync(file);
    assert.equal(db.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
    db.close();
  });

  test('rejects an empty path rather than opening a throwaway database', () => {
    assert.throws(() => openSqliteStore(''), /path is empty/);
  });

  test('a restart keeps clients, keys, revocations, audit events and oidc payloads', async () => {
    const file = freshFile();
    const before = openSqliteStore(file);
    await before.migrate();
    const created = await before.clients.create({
      id: 'c-1',
      name: 'Orders',
      secretHash: 'sha256:abc',
      authMethod: 'client_secret_post',
      jwks: null,
      grantTypes: ['client_credentials'],
      redirectUris: [],
      scopes: ['orders:read'],
      roles: ['reader'],
      audiences: ['https://orders.example'],
      claims: { tenant: 't-1' },
      disabled: false,
    });
    const signingKey = {
      kid: 'k-1',
      alg: 'ES256',
      privateJwk: 'enc:v1:iv.tag.ct',
      publicJwk: { kty: 'EC', kid: 'k-1' },
      state: 'current',
      createdAt: 1,
      activatesAt: null,
      removeAt: null,
    } as const;
    await before.keys.insert(signingKey);
    const revoked = await before.revocations.add('j-1', 2_000_000_000);
    const event = await before.audit.append({
      type: 'client.created',
      actor: 'admin',
      subject: 'c-1',
      detail: {},
    });
    await before.oidc.upsert('Grant', 'g-1', { accountId: 'u-1' }, undefined);
    await before.close();

    const afterRestart = openSqliteStore(file);
    await afterRestart.migrate();
    assert.deepEqual(await afterRestart.clients.list(), [created]);
    assert.deepEqual(await afterRestart.keys.list(), [signingKey]);
    assert.deepEqual(await afterRestart.revocations.since(0), [revoked]);
    assert.deepEqual(await afterRestart.audit.recent(10), [event]);
    assert.deepEqual(await afterRestart.oidc.find('Grant', 'g-1'), { accountId: 'u-1' });
    const next = await afterRestart.revocations.add('j-2', 2_000_000_000);
    assert.ok(next.seq > revoked.seq, 'the feed cursor continues across restarts');
    await afterRestart.close();
  });

  test('refuses a database whose schema is newer than this code knows, and leaves it alone', async () => {
    const file = freshFile();
    const store = openSqliteStore(file);
    await store.migrate();
    await store.revocations.add('j-1', 2_000_000_000);
    await store.close();

    const db = new DatabaseSync(file);
    db.prepare('INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)').run(
      LATEST_SCHEMA_VERSION + 1,
      'from the future',
      0,
    );
    db.close();

    const reopened = openSqliteStore(file);
    await assert.rejects(reopened.migrate(), (error: Error) => {
      assert.match(error.message, new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 1}, newer than`));
      assert.match(error.message, new RegExp(`knows \\(${LATEST_SCHEMA_VERSION}\\)`));
      return true;
    });
    assert.equal(await reopened.revocations.isRevoked('j-1'), true);
    await reopened.close();
  });

  test('two stores on one file (two processes) migrate together and see each other’s writes', async () => {
    const file = freshFile();
    const a = openSqliteStore(file);
    const b = openSqliteStore(file);
    await Promise.all([a.migrate(), b.migrate()]);
    const first = await a.revocations.add('j-a', 2_000_000_000);
    const second = await b.revocations.add('j-b', 2_000_000_000);
    assert.ok(second.seq > first.seq);
    assert.deepEqual(await a.revocations.since(0), [first, second]);
    await Promise.all([a.close(), b.close()]);
  });

  test('methods used before migrate() fail (no such table) rather than creating tables ad hoc', async () => {
    const store: Store = openSqliteStore(':memory:');
    await assert.rejects(store.clients.list(), /no such table/);
    await store.close();
  });
});
