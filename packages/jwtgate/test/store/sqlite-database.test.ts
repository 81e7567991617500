import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  createSqliteContext,
  definedOnly,
  isUniqueViolation,
  openSqliteDatabase,
} from '../../src/store/sqlite-database.ts';

function memoryContext() {
  const context = createSqliteContext(openSqliteDatabase(':memory:'), Date.now);
  context.db.exec('CREATE TABLE t (id TEXT PRIMARY KEY)');
  return context;
}

const count = (context: ReturnType<typeof memoryContext>) =>
  Number(context.statement('SELECT COUNT(*) AS n FROM t').get()?.n);

describe('SQLite database helpers', () => {
  test('foreign keys are enforced', () => {
    const { db } = memoryContext();
    assert.equal(db.prepare('PRAGMA foreign_keys').get()?.foreign_keys, 1);
    db.close();
  });

  test('a busy timeout is set, so concurrent writers wait instead of failing at once', () => {
    const { db } = memoryContext();
    assert.ok(Number(db.prepare('PRAGMA busy_timeout').get()?.timeout) >= 1000);
    db.close();
  });

  test('statements are prepared once per SQL text', () => {
    const context = memoryContext();
    assert.equal(context.statement('SELECT 1'), context.statement('SELECT 1'));
    assert.notEqual(context.statement('SELECT 1'), context.statement('SELECT 2'));
    context.db.close();
  });

  test('transaction commits, and rolls back everything when it throws', () => {
    const context = memoryContext();
    assert.equal(
      context.transaction(() => {
        context.statement('INSERT INTO t (id) VALUES (?)').run('a');
        return 'done';
      }),
      'done',
    );
    assert.throws(() =>
      context.transaction(() => {
        context.statement('INSERT INTO t (id) VALUES (?)').run('b');
        throw new Error('boom');
      }),
    );
    assert.equal(count(context), 1);
    assert.equal(context.db.isTransaction, false);
    context.db.close();
  });

  test('a nested transaction joins the outer one', () => {
    const context = memoryContext();
    assert.throws(() =>
      context.transaction(() => {
        context.transaction(() => context.statement('INSERT INTO t (id) VALUES (?)').run('inner'));
        throw new Error('outer fails');
      }),
    );
    assert.equal(count(context), 0);
    context.db.close();
  });

  test('unique violations are recognised', () => {
    const context = memoryContext();
    context.statement('INSERT INTO t (id) VALUES (?)').run('a');
    let caught: unknown;
    try {
      context.statement('INSERT INTO t (id) VALUES (?)').run('a');
    } catch (error) {
      caught = error;
    }
    assert.equal(isUniqueViolation(caught), true);
    assert.equal(isUniqueViolation(new Error('other')), false);
    context.db.close();
  });

  test('definedOnly drops undefined but keeps null and false', () => {
    assert.deepEqual(definedOnly({ a: undefined, b: null, c: false, d: 0 }), { b: null, c: false, d: 0 });
  });
});
