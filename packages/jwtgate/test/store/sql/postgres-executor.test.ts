// The PostgreSQL executor's rules that need no server; against a real server it is exercised by
// the store contract and postgres-store.test.ts (killed connections, an unreachable server).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createPostgresPool, mayResend, postgresDialect } from '../../../src/store/sql/postgres-executor.ts';
import { sql } from '../../../src/store/sql/sql.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('PostgreSQL dialect', () => {
  test('numbered placeholders, FOR UPDATE row locks, code point order', () => {
    const statement = sql`SELECT id FROM clients WHERE id = ${'a'} AND x = ${'b'}${postgresDialect.forUpdate}`;
    assert.equal(
      statement.render(postgresDialect.placeholder).text,
      'SELECT id FROM clients WHERE id = $1 AND x = $2 FOR UPDATE',
    );
    assert.equal(
      postgresDialect.byCodePoint('id').render(postgresDialect.placeholder).text,
      'id COLLATE "C"',
    );
  });

  test('BIGINT arrives as a string and reads as a number; beyond 2^53 it is an error', () => {
    assert.equal(postgresDialect.readInteger('1800000000000'), 1_800_000_000_000);
    assert.equal(postgresDialect.readInteger(7), 7);
    assert.throws(() => postgresDialect.readInteger('9007199254740993'), /expected an integer/);
    assert.throws(() => postgresDialect.readInteger(null), /expected an integer/);
  });

  test('unique violations are SQLSTATE 23505', () => {
    assert.equal(postgresDialect.isUniqueViolation(withCode('23505')), true);
    assert.equal(postgresDialect.isUniqueViolation(withCode('23503')), false);
  });
});

describe('mayResend', () => {
  test('a read is resent after a connection failure; a statement failure never', () => {
    assert.equal(mayResend('SELECT 1', withCode('ECONNRESET')), true);
    assert.equal(mayResend('\n  SELECT 1', new Error('Connection terminated unexpectedly')), true);
    assert.equal(mayResend('SELECT 1', withCode('42P01')), false);
  });

  test('a write only when it surely did not run', () => {
    const insert = 'INSERT INTO revocations (jti) VALUES ($1)';
    assert.equal(mayResend(insert, withCode('ECONNREFUSED')), true);
    assert.equal(mayResend(insert, withCode('57P01')), true, 'the server ended the session first');
    assert.equal(mayResend(insert, withCode('ECONNRESET')), false, 'it may have committed');
    assert.equal(mayResend(insert, new Error('Connection terminated unexpectedly')), false);
  });

  test('a connect timeout is not waited for twice', () => {
    assert.equal(mayResend('SELECT 1', new Error('timeout exceeded when trying to connect')), false);
  });
});

describe('createPostgresPool', () => {
  test('rejects a schema that is not a plain identifier, and an empty URL', () => {
    assert.throws(() => createPostgresPool('postgres://x@127.0.0.1/db', 'a-b'), /plain identifier/);
    assert.throws(() => createPostgresPool('', null), /URL is empty/);
  });
});
