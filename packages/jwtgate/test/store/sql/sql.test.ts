import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { join, raw, sql } from '../../../src/store/sql/sql.ts';

const question = () => '?';
const dollar = (n: number) => `$${n}`;

describe('sql template', () => {
  test('values become placeholders of the dialect, in order, never text', () => {
    const id = "x' OR '1'='1";
    const statement = sql`SELECT name FROM clients WHERE id = ${id} AND disabled = ${0}`;
    assert.deepEqual(statement.render(question), {
      text: 'SELECT name FROM clients WHERE id = ? AND disabled = ?',
      params: [id, 0],
    });
    assert.equal(statement.render(dollar).text, 'SELECT name FROM clients WHERE id = $1 AND disabled = $2');
  });

  test('fragments splice in with their own values, numbered where they land', () => {
    const where = sql`model = ${'Session'} AND uid = ${'u-1'}`;
    const statement = sql`SELECT ${raw('payload')} FROM oidc_payloads WHERE ${where} AND expires_at > ${5}${raw(' FOR UPDATE')}`;
    assert.deepEqual(statement.render(dollar), {
      text: 'SELECT payload FROM oidc_payloads WHERE model = $1 AND uid = $2 AND expires_at > $3 FOR UPDATE',
      params: ['Session', 'u-1', 5],
    });
  });

  test('join makes a parameter list; an empty one is empty text', () => {
    assert.deepEqual(sql`type IN (${join(['a', 'b', 'c'])})`.render(dollar), {
      text: 'type IN ($1, $2, $3)',
      params: ['a', 'b', 'c'],
    });
    assert.deepEqual(sql`x${join([])}`.render(dollar), { text: 'x', params: [] });
  });

  test('null is SQL NULL; undefined is a bug and throws', () => {
    assert.deepEqual(sql`VALUES (${null})`.render(question).params, [null]);
    assert.throws(() => sql`VALUES (${undefined})`, /undefined SQL parameter/);
  });

  test('text written over several lines is trimmed at its ends only', () => {
    const statement = sql`
      SELECT 1
      FROM t`;
    assert.equal(statement.render(question).text, 'SELECT 1\n      FROM t');
  });
});
