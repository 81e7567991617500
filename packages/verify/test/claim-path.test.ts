import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileClaimPath, toStringList } from '../src/claim-path.ts';

const KEYCLOAK = {
  sub: 'alice',
  roles: ['top-level'],
  realm_access: { roles: ['realm-admin', 'offline_access'] },
  resource_access: {
    'billing-api': { roles: ['invoice-reader'] },
    account: { roles: ['manage-account'] },
    'client.with.dots': { roles: ['dotted'] },
  },
  'https://example.com/roles': ['namespaced-admin'],
  'https://example.com/claims.v2': { roles: ['v2'] },
};

describe('compileClaimPath', () => {
  test('a top-level claim', () => {
    assert.deepEqual(compileClaimPath('roles')(KEYCLOAK), ['top-level']);
    assert.equal(compileClaimPath('sub')(KEYCLOAK), 'alice');
  });

  test('a nested claim with dots (Keycloak realm_access.roles)', () => {
    assert.deepEqual(compileClaimPath('realm_access.roles')(KEYCLOAK), ['realm-admin', 'offline_access']);
  });

  test('resource_access.<client>.roles with a client id containing a dash', () => {
    assert.deepEqual(compileClaimPath('resource_access.billing-api.roles')(KEYCLOAK), ['invoice-reader']);
    assert.deepEqual(compileClaimPath('resource_access.account.roles')(KEYCLOAK), ['manage-account']);
  });

  test('a namespaced URL claim is one claim name, dots and all', () => {
    assert.deepEqual(compileClaimPath('https://example.com/roles')(KEYCLOAK), ['namespaced-admin']);
    assert.deepEqual(compileClaimPath('https://example.com/claims.v2')(KEYCLOAK), { roles: ['v2'] });
    assert.deepEqual(
      compileClaimPath('urn+x-app://example.com/roles')({ 'urn+x-app://example.com/roles': 1 }),
      1,
    );
    // Not split at the dots: a nested `https://example` object is not consulted.
    assert.equal(
      compileClaimPath('https://example.com/roles')({ 'https://example': { 'com/roles': ['x'] } }),
      undefined,
    );
  });

  test('an explicit array path gives the segments, dots inside a segment are kept', () => {
    assert.deepEqual(compileClaimPath(['resource_access', 'client.with.dots', 'roles'])(KEYCLOAK), [
      'dotted',
    ]);
    assert.deepEqual(compileClaimPath(['https://example.com/claims.v2', 'roles'])(KEYCLOAK), ['v2']);
    assert.deepEqual(compileClaimPath(['realm_access', 'roles'])(KEYCLOAK), [
      'realm-admin',
      'offline_access',
    ]);
    // The dotted string form would split the client id and find nothing.
    assert.equal(compileClaimPath('resource_access.client.with.dots.roles')(KEYCLOAK), undefined);
  });

  test('the array given is copied at compile time', () => {
    const segments = ['realm_access', 'roles'];
    const read = compileClaimPath(segments);
    segments[1] = 'nothing';
    assert.deepEqual(read(KEYCLOAK), ['realm-admin', 'offline_access']);
  });

  test('a missing claim at any depth is undefined', () => {
    assert.equal(compileClaimPath('groups')(KEYCLOAK), undefined);
    assert.equal(compileClaimPath('realm_access.groups')(KEYCLOAK), undefined);
    assert.equal(compileClaimPath('resource_access.other-client.roles')(KEYCLOAK), undefined);
    assert.equal(compileClaimPath('a.b.c')({}), undefined);
  });

  test('walking through a non-object (string, number, null, array) is undefined', () => {
    assert.equal(compileClaimPath('sub.length')(KEYCLOAK), undefined);
    assert.equal(compileClaimPath('n.x')({ n: 5 }), undefined);
    assert.equal(compileClaimPath('n.x')({ n: null }), undefined);
    assert.equal(compileClaimPath('roles.0')(KEYCLOAK), undefined);
    assert.equal(compileClaimPath('roles.length')(KEYCLOAK), undefined);
  });

  test('a present claim whose value is null or false is returned as is', () => {
    assert.equal(compileClaimPath('a.b')({ a: { b: null } }), null);
    assert.equal(compileClaimPath('a')({ a: false }), false);
  });

  test('only own properties are read: __proto__ / constructor / inherited paths yield nothing', () => {
    const claims = { roles: ['user'] };
    assert.equal(compileClaimPath('__proto__')(claims), undefined);
    assert.equal(compileClaimPath('constructor')(claims), undefined);
    assert.equal(compileClaimPath('constructor.name')(claims), undefined);
    assert.equal(compileClaimPath('__proto__.constructor')(claims), undefined);
    assert.equal(compileClaimPath(['__proto__', 'polluted'])(claims), undefined);
    assert.equal(compileClaimPath('toString')(claims), undefined);
    assert.equal(compileClaimPath('hasOwnProperty')(claims), undefined);
    assert.equal(compileClaimPath('roles.constructor')(claims), undefined);
    const inherited = Object.create({ roles: ['admin'] }) as Record<string, unknown>;
    assert.equal(compileClaimPath('roles')(inherited), undefined);
    const nested = { realm_access: Object.create({ roles: ['admin'] }) as Record<string, unknown> };
    assert.equal(compileClaimPath('realm_access.roles')(nested), undefined);
  });

  test('a claims object without prototype is read normally', () => {
    const claims = Object.assign(Object.create(null) as Record<string, unknown>, { roles: ['admin'] });
    assert.deepEqual(compileClaimPath('roles')(claims), ['admin']);
  });

  test('a claim literally named __proto__ in the token JSON is data, read only when it is own', () => {
    // JSON.parse creates an own "__proto__" member (it does not set the prototype).
    const claims = JSON.parse('{"__proto__":{"roles":["from-json"]}}') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(claims), Object.prototype);
    assert.deepEqual(compileClaimPath('__proto__.roles')(claims), ['from-json']);
    assert.equal(compileClaimPath('roles')(claims), undefined);
  });

  test('reading never modifies the claims', () => {
    const claims = { a: { b: 1 } };
    const before = JSON.stringify(claims);
    compileClaimPath('a.b.c.d')(claims);
    compileClaimPath('__proto__.x')(claims);
    assert.equal(JSON.stringify(claims), before);
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  test('empty paths and empty segments are refused at compile time', () => {
    for (const path of ['', '.', 'a..b', '.roles', 'roles.', [], ['a', ''], ['']]) {
      assert.throws(() => compileClaimPath(path), /invalid claim path/, JSON.stringify(path));
    }
  });
});

describe('toStringList', () => {
  test('a string is split on spaces, empty parts dropped', () => {
    assert.deepEqual(toStringList('read write'), ['read', 'write']);
    assert.deepEqual(toStringList('  read   write  '), ['read', 'write']);
    assert.deepEqual(toStringList(''), []);
    assert.deepEqual(toStringList('single'), ['single']);
  });

  test('an array keeps its strings only', () => {
    assert.deepEqual(toStringList(['a', 1, null, 'b', { c: 1 }, ['d']]), ['a', 'b']);
    assert.deepEqual(toStringList([]), []);
  });

  test('array items are not split', () => {
    assert.deepEqual(toStringList(['read write']), ['read write']);
  });

  test('anything else is an empty list', () => {
    for (const value of [undefined, null, 42, true, { roles: ['a'] }]) {
      assert.deepEqual(toStringList(value), [], String(value));
    }
  });
});
