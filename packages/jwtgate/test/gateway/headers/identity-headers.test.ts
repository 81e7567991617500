import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { describe, test } from 'node:test';
import { compileIdentityHeaders } from '../../../src/gateway/headers/identity-headers.ts';

/** The headers a mapping sets from `claims` (on top of `start`). */
function apply(
  mapping: Record<string, string>,
  claims: Record<string, unknown>,
  start: Record<string, string> = {},
): Record<string, string> {
  const headers = { ...start };
  compileIdentityHeaders(mapping)(claims, headers);
  return headers;
}

describe('compileIdentityHeaders', () => {
  test('a string claim is set as is, under the lower-cased header name', () => {
    assert.deepEqual(apply({ 'X-User-Id': 'sub' }, { sub: 'alice' }), { 'x-user-id': 'alice' });
  });

  test('arrays are comma-joined', () => {
    assert.deepEqual(apply({ 'X-User-Roles': 'roles' }, { roles: ['billing', 'admin'] }), {
      'x-user-roles': 'billing,admin',
    });
    assert.deepEqual(apply({ 'X-One': 'roles' }, { roles: ['only'] }), { 'x-one': 'only' });
  });

  test('arrays keep strings and numbers only', () => {
    assert.deepEqual(apply({ 'X-Mixed': 'm' }, { m: ['a', 7, true, null, { x: 1 }, ['n'], 'b'] }), {
      'x-mixed': 'a,7,b',
    });
  });

  test('numbers and booleans become their text', () => {
    assert.deepEqual(
      apply(
        { 'X-Tenant': 'tenant', 'X-Admin': 'admin', 'X-Ratio': 'ratio' },
        { tenant: 42, admin: false, ratio: 0.5 },
      ),
      {
        'x-tenant': '42',
        'x-admin': 'false',
        'x-ratio': '0.5',
      },
    );
  });

  test('nested claim paths and namespaced URL claims', () => {
    const claims = {
      realm_access: { roles: ['admin', 'user'] },
      resource_access: { 'my-app': { roles: ['editor'] } },
      'https://example.com/tenant': 'acme',
    };
    assert.deepEqual(
      apply(
        {
          'X-Realm-Roles': 'realm_access.roles',
          'X-App-Roles': 'resource_access.my-app.roles',
          'X-Tenant': 'https://example.com/tenant',
        },
        claims,
      ),
      { 'x-realm-roles': 'admin,user', 'x-app-roles': 'editor', 'x-tenant': 'acme' },
    );
  });

  test('an object claim is sent as JSON', () => {
    assert.deepEqual(apply({ 'X-Addr': 'address' }, { address: { country: 'NL' } }), {
      'x-addr': '{"country":"NL"}',
    });
  });

  test('absent claims set nothing (and leave other headers alone)', () => {
    const mapping = { 'X-User-Id': 'sub', 'X-Email': 'email', 'X-Deep': 'a.b.c', 'X-Null': 'gone' };
    assert.deepEqual(
      apply(mapping, { sub: 'u', a: { b: 'not-an-object' }, gone: null }, { accept: 'text/html' }),
      {
        accept: 'text/html',
        'x-user-id': 'u',
      },
    );
  });

  test('inherited properties are not claims', () => {
    assert.deepEqual(apply({ 'X-Proto': 'constructor', 'X-Str': 'toString' }, {}), {});
  });

  test('CR/LF in a claim is percent-encoded: no header injection', () => {
    const headers = apply({ 'X-User-Id': 'sub' }, { sub: 'alice\r\nX-Admin: true' });
    assert.equal(headers['x-user-id'], 'alice%0D%0AX-Admin: true');
    assert.deepEqual(Object.keys(headers), ['x-user-id']);
    assert.doesNotThrow(() => validateHeaderValue('x-user-id', headers['x-user-id'] ?? ''));
  });

  test('CR/LF inside an array element is percent-encoded too', () => {
    const headers = apply({ 'X-Roles': 'roles' }, { roles: ['a', 'b\nSet-Cookie: x=1'] });
    assert.equal(headers['x-roles'], 'a,b%0ASet-Cookie: x=1');
    assert.doesNotMatch(headers['x-roles'] ?? '', /[\r\n]/);
  });

  test('other control characters (NUL, tab, DEL) are percent-encoded', () => {
    const headers = apply(
      { 'X-A': 'a', 'X-B': 'b', 'X-C': 'c' },
      { a: 'x\u0000y', b: 'x\ty', c: 'x\u007fy' },
    );
    assert.deepEqual(headers, { 'x-a': 'x%00y', 'x-b': 'x%09y', 'x-c': 'x%7Fy' });
  });

  test('an empty list sets no header: an empty value is the list [""]', () => {
    assert.deepEqual(apply({ 'X-R': 'r' }, { r: [] }), {});
    assert.deepEqual(apply({ 'X-R': 'r' }, { r: [{ not: 'listed' }, true] }), {});
    assert.deepEqual(apply({ 'X-R': 'r' }, { r: [''] }), { 'x-r': '' });
  });

  test('a space at either end is encoded: parsers would drop it', () => {
    const headers = apply({ 'X-A': 'a', 'X-R': 'r' }, { a: ' admin ', r: [' admin', 'x  '] });
    assert.deepEqual(headers, { 'x-a': '%20admin%20', 'x-r': '%20admin,x %20' });
    assert.deepEqual(headers['x-r']?.split(',').map(decodeURIComponent), [' admin', 'x  ']);
  });

  test('non-ASCII values are percent-encoded as UTF-8', () => {
    const headers = apply({ 'X-Name': 'name', 'X-City': 'city' }, { name: 'José', city: '東京' });
    assert.deepEqual(headers, { 'x-name': 'Jos%C3%A9', 'x-city': '%E6%9D%B1%E4%BA%AC' });
    assert.equal(decodeURIComponent(headers['x-name'] ?? ''), 'José');
    for (const [name, value] of Object.entries(headers))
      assert.doesNotThrow(() => validateHeaderValue(name, value));
  });

  test('visible ASCII and spaces pass unchanged; % is encoded so encoded and plain values never collide', () => {
    const text = "Ann O'Neil <ann@example.com> ~!";
    assert.deepEqual(apply({ 'X-Name': 'name' }, { name: text }), { 'x-name': text });
    assert.deepEqual(apply({ 'X-Name': 'name' }, { name: '100%41' }), { 'x-name': '100%2541' });
  });

  test('a comma inside an array element is encoded: "x,admin" never reads as two roles', () => {
    assert.deepEqual(apply({ 'X-Roles': 'roles' }, { roles: ['x,admin', 'ok'] }), {
      'x-roles': 'x%2Cadmin,ok',
    });
    assert.deepEqual(apply({ 'X-Name': 'name' }, { name: 'Doe, Jane' }), { 'x-name': 'Doe, Jane' });
  });

  test('an identity header overwrites any value already present', () => {
    assert.deepEqual(apply({ 'X-User-Id': 'sub' }, { sub: 'real' }, { 'x-user-id': 'spoofed' }), {
      'x-user-id': 'real',
    });
  });

  test('an empty mapping sets nothing', () => {
    assert.deepEqual(apply({}, { sub: 'u' }, { a: '1' }), { a: '1' });
  });

  test('an invalid claim path is refused at compile time', () => {
    assert.throws(() => compileIdentityHeaders({ 'X-Bad': 'a..b' }), /invalid claim path a\.\.b/);
    assert.throws(() => compileIdentityHeaders({ 'X-Bad': '' }), /invalid claim path/);
  });
});
