import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  addUser,
  checkRoles,
  checkUsername,
  generatePassword,
  generateUserId,
  parseRoleAssignments,
  resetUserPassword,
  setUserRoles,
  showUser,
} from '../../../src/issuer/admin/manage-users.ts';
import { IssuerError } from '../../../src/issuer/errors.ts';
import { verifyPassword } from '../../../src/store/hash-password.ts';
import { openSqliteStore } from '../../../src/store/sqlite-store.ts';
import type { Store } from '../../../src/store/types.ts';

const isCode = (code: string, message?: RegExp) => (err: unknown) =>
  err instanceof IssuerError && err.code === code && (message === undefined || message.test(err.message));

describe('user definitions', () => {
  test('ids and generated passwords', () => {
    const id = generateUserId();
    assert.match(id, /^usr_[A-Za-z0-9_-]{22}$/);
    assert.equal(Buffer.from(id.slice(4), 'base64url').length, 16);
    assert.notEqual(generateUserId(), id);
    assert.match(generatePassword(), /^[A-Za-z0-9_-]{24}$/);
  });

  test('usernames: normalized, 1-64 characters, no spaces or control characters', () => {
    assert.equal(checkUsername('  \uFF21lice '), 'Alice');
    assert.equal(checkUsername('jane.doe@example.com'), 'jane.doe@example.com');
    assert.equal(checkUsername('Zoë'), 'Zoë');
    for (const bad of ['', '   ', 'a b', 'a\u0000b', 'a\u200Bb', 'x'.repeat(65), 42])
      assert.throws(() => checkUsername(bad), isCode('ERR_USER_INVALID', /username/), String(bad));
  });

  test('role assignments parse client=role1,role2 and merge repeats', () => {
    assert.deepEqual(
      { ...parseRoleAssignments(['webapp=billing,reader', '*=staff', 'webapp=x', 'api=']) },
      {
        webapp: ['billing', 'reader', 'x'],
        '*': ['staff'],
        api: [],
      },
    );
    for (const bad of ['webapp', '=x'])
      assert.throws(() => parseRoleAssignments([bad]), isCode('ERR_USER_INVALID', /client=role1,role2/));
  });

  test('client ids named like Object.prototype members are keys like any other', () => {
    const names = ['constructor', 'hasOwnProperty', 'toString', 'valueOf', 'isPrototypeOf'];
    const parsed = parseRoleAssignments(names.map((n) => `${n}=${n}-role`));
    assert.deepEqual(Object.keys(parsed), names);
    for (const n of names) assert.deepEqual(parsed[n], [`${n}-role`]);
    const checked = checkRoles(JSON.parse(JSON.stringify(parsed)));
    assert.deepEqual(Object.keys(checked), names);
    assert.equal(Object.getPrototypeOf(checked), null);
    // Not a client id: refused, and never the prototype of the map it is read into.
    assert.throws(() => checkRoles(JSON.parse('{"__proto__":["admin"]}')), isCode('ERR_USER_INVALID'));
    assert.throws(() => checkRoles(parseRoleAssignments(['__proto__=admin'])), isCode('ERR_USER_INVALID'));
    assert.equal(Object.getPrototypeOf(parseRoleAssignments(['__proto__=admin'])), null);
    assert.deepEqual(Object.keys(parseRoleAssignments(['__proto__=admin'])), ['__proto__']);
  });

  test('roles: client ids or *, roles without spaces or commas, duplicates dropped, empty lists left out', () => {
    assert.deepEqual(
      { ...checkRoles({ webapp: ['a', 'a', 'b'], '*': ['c'], none: [] }) },
      {
        webapp: ['a', 'b'],
        '*': ['c'],
      },
    );
    assert.deepEqual({ ...checkRoles(undefined) }, {});
    for (const bad of [[], null, { 'a b': ['x'] }, { webapp: 'x' }, { webapp: ['a b'] }, { webapp: [''] }])
      assert.throws(() => checkRoles(bad), isCode('ERR_USER_INVALID', /roles/), JSON.stringify(bad));
  });
});

describe('user management', () => {
  let store: Store;
  beforeEach(async () => {
    store = openSqliteStore(':memory:');
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
  });

  test('addUser with a password returns none; a taken username in any case is ERR_USER_EXISTS', async () => {
    const { user, password } = await addUser(store, { username: 'alice', password: 'long enough' }, 'test');
    assert.equal(password, null);
    const record = await store.users.get(user.id);
    assert.equal((await verifyPassword(record?.passwordHash as string, 'long enough')).ok, true);
    await assert.rejects(addUser(store, { username: 'ALICE' }, 'test'), isCode('ERR_USER_EXISTS'));
    await assert.rejects(
      addUser(store, { username: 'bob', password: 'short' }, 'test'),
      isCode('ERR_USER_INVALID', /password: a password needs at least 8/),
    );
    assert.equal(await store.users.getByUsername('bob'), undefined);
  });

  test('users are found by username in any case, or by id; otherwise ERR_USER_NOT_FOUND', async () => {
    const { user } = await addUser(store, { username: 'alice' }, 'test');
    assert.equal((await showUser(store, 'ALICE')).id, user.id);
    assert.equal((await showUser(store, user.id)).username, 'alice');
    await assert.rejects(showUser(store, 'bob'), isCode('ERR_USER_NOT_FOUND', /no user bob/));
    await assert.rejects(setUserRoles(store, 'bob', { a: ['b'] }, 'test'), isCode('ERR_USER_NOT_FOUND'));
    await assert.rejects(resetUserPassword(store, 'bob', undefined, 'test'), isCode('ERR_USER_NOT_FOUND'));
  });

  test('setUserRoles needs at least one client', async () => {
    await addUser(store, { username: 'alice' }, 'test');
    await assert.rejects(setUserRoles(store, 'alice', {}, 'test'), isCode('ERR_USER_INVALID'));
  });
});
