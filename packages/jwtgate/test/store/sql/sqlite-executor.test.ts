import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { SqlExecutor } from '../../../src/store/sql/executor.ts';
import { sql } from '../../../src/store/sql/sql.ts';
import { openSqliteExecutor, sqliteDialect } from '../../../src/store/sql/sqlite-executor.ts';

async function memory(): Promise<{ executor: SqlExecutor }> {
  const executor = openSqliteExecutor(':memory:');
  await executor.transaction((tx) => tx.script('CREATE TABLE t (id TEXT PRIMARY KEY)'));
  return { executor };
}

const count = async (executor: SqlExecutor) =>
  Number((await executor.row(sql`SELECT COUNT(*) AS n FROM t`))?.n);

describe('SQLite executor', () => {
  test('foreign keys are enforced', async () => {
    const { executor } = await memory();
    assert.equal((await executor.row(sql`PRAGMA foreign_keys`))?.foreign_keys, 1);
    await executor.close();
  });

  test('a busy timeout is set, so concurrent writers wait instead of failing at once', async () => {
    const { executor } = await memory();
    assert.ok(Number((await executor.row(sql`PRAGMA busy_timeout`))?.timeout) >= 1000);
    await executor.close();
  });

  test('rows, row and run, with ? placeholders bound in order', async () => {
    const { executor } = await memory();
    assert.equal(await executor.run(sql`INSERT INTO t (id) VALUES (${'a'}), (${'b'})`), 2);
    assert.deepEqual(
      (await executor.rows(sql`SELECT id FROM t WHERE id IN (${'a'}, ${'b'}) ORDER BY id`)).map((r) => r.id),
      ['a', 'b'],
    );
    assert.equal((await executor.row(sql`SELECT id FROM t WHERE id = ${'b'}`))?.id, 'b');
    assert.equal(await executor.row(sql`SELECT id FROM t WHERE id = ${'zzz'}`), undefined);
    await executor.close();
  });

  test('a value that looks like SQL is a value', async () => {
    const { executor } = await memory();
    const hostile = "x'); DROP TABLE t; --";
    await executor.run(sql`INSERT INTO t (id) VALUES (${hostile})`);
    assert.equal((await executor.row(sql`SELECT id FROM t`))?.id, hostile);
    await executor.close();
  });

  test('transaction commits, and rolls back everything when it throws', async () => {
    const { executor } = await memory();
    assert.equal(
      await executor.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO t (id) VALUES (${'a'})`);
        return 'done';
      }),
      'done',
    );
    await assert.rejects(
      executor.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO t (id) VALUES (${'b'})`);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await count(executor), 1);
    await executor.close();
  });

  test('statements from elsewhere wait for an open transaction instead of joining it', async () => {
    const { executor } = await memory();
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const rolledBack = executor.transaction(async (tx) => {
      await tx.run(sql`INSERT INTO t (id) VALUES (${'inside'})`);
      await gate;
      throw new Error('roll back');
    });
    // Issued while the transaction is open: must not be rolled back with it.
    const outside = executor.run(sql`INSERT INTO t (id) VALUES (${'outside'})`);
    const other = executor.transaction((tx) => tx.run(sql`INSERT INTO t (id) VALUES (${'other'})`));
    release();
    await assert.rejects(rolledBack, /roll back/);
    await Promise.all([outside, other]);
    assert.deepEqual(
      (await executor.rows(sql`SELECT id FROM t ORDER BY id`)).map((r) => r.id),
      ['other', 'outside'],
    );
    await executor.close();
  });

  test('unique violations are recognised', async () => {
    const { executor } = await memory();
    await executor.run(sql`INSERT INTO t (id) VALUES (${'a'})`);
    const caught = await executor.run(sql`INSERT INTO t (id) VALUES (${'a'})`).catch((error) => error);
    assert.equal(sqliteDialect.isUniqueViolation(caught), true);
    assert.equal(sqliteDialect.isUniqueViolation(new Error('other')), false);
    await executor.close();
  });

  test('close is idempotent', async () => {
    const { executor } = await memory();
    await executor.close();
    await executor.close();
  });
});

describe('SQLite executors on one file in one process', () => {
  test('a write on one waits for the other’s open transaction instead of blocking the thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwtgate-sqlite-executor-'));
    const file = join(dir, 'shared.db');
    const a = openSqliteExecutor(file);
    const b = openSqliteExecutor(file);
    try {
      await a.transaction((tx) => tx.script('CREATE TABLE t (id TEXT PRIMARY KEY)'));
      const inA = a.transaction(async (tx) => {
        await tx.run(sql`INSERT INTO t (id) VALUES (${'a'})`);
        // Yields to the event loop with the write lock held, as a transaction over a network would.
        await new Promise((resolve) => setImmediate(resolve));
        await tx.run(sql`INSERT INTO t (id) VALUES (${'a2'})`);
      });
      const fromB = b.run(sql`INSERT INTO t (id) VALUES (${'b'})`);
      await Promise.all([inA, fromB]);
      assert.equal(await count(b), 3);
    } finally {
      await Promise.all([a.close(), b.close()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
