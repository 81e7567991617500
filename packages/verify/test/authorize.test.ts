import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileRequirement, type Requirement, readRoles, readScopes } from '../src/authorize.ts';
import { compileClaimPath } from '../src/claim-path.ts';
import { createVerifier } from '../src/create-verifier.ts';
import { type ErrorCode, JwtGateError } from '../src/errors.ts';
import { NOW_MS, SECRET, secretBytes, signToken } from './helpers/keys.ts';

type Claims = Record<string, unknown>;

function denied(fn: () => unknown, code: ErrorCode): JwtGateError {
  let caught: unknown;
  assert.throws(fn, (err: unknown) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof JwtGateError, `expected a JwtGateError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.status, 403);
  return caught;
}

function allows(requirement: Requirement, claims: Claims, rolesClaim?: string | string[]): void {
  assert.doesNotThrow(() => compileRequirement(requirement, rolesClaim)(claims));
}

describe('readRoles', () => {
  test('reads roles through the given claim path', () => {
    const claims = { roles: ['a'], realm_access: { roles: ['b', 'c'] } };
    assert.deepEqual(readRoles(claims, compileClaimPath('roles')), ['a']);
    assert.deepEqual(readRoles(claims, compileClaimPath('realm_access.roles')), ['b', 'c']);
    assert.deepEqual(readRoles(claims, compileClaimPath('groups')), []);
  });

  test('a space-delimited roles string is split; non-strings in an array are dropped', () => {
    assert.deepEqual(readRoles({ roles: 'admin user' }, compileClaimPath('roles')), ['admin', 'user']);
    assert.deepEqual(readRoles({ roles: ['admin', 7, null] }, compileClaimPath('roles')), ['admin']);
  });
});

describe('readScopes', () => {
  test('scope: space-delimited string (RFC 9068)', () => {
    assert.deepEqual(readScopes({ scope: 'openid read:invoices  write:invoices' }), [
      'openid',
      'read:invoices',
      'write:invoices',
    ]);
  });

  test('scp: array (Okta style) and space-delimited string (Entra ID style)', () => {
    assert.deepEqual(readScopes({ scp: ['read', 'write'] }), ['read', 'write']);
    assert.deepEqual(readScopes({ scp: 'read write' }), ['read', 'write']);
  });

  test('scope wins over scp when both are present', () => {
    assert.deepEqual(readScopes({ scope: 'read', scp: ['admin'] }), ['read']);
  });

  test('no scope claim is an empty list; inherited properties are not scopes', () => {
    assert.deepEqual(readScopes({}), []);
    assert.deepEqual(readScopes(Object.create({ scope: 'admin' }) as Claims), []);
  });
});

describe('compileRequirement: roles', () => {
  const claims = { roles: ['billing', 'reader'] };

  test('rolesAny passes when at least one role is present', () => {
    allows({ rolesAny: ['admin', 'billing'] }, claims);
    allows({ rolesAny: ['reader'] }, claims);
  });

  test('rolesAny fails with ERR_INSUFFICIENT_ROLE (403) when none is present', () => {
    const err = denied(
      () => compileRequirement({ rolesAny: ['admin', 'ops'] })(claims),
      'ERR_INSUFFICIENT_ROLE',
    );
    assert.equal(err.message, 'The token does not carry a required role');
  });

  test('rolesAll passes only when every role is present', () => {
    allows({ rolesAll: ['billing', 'reader'] }, claims);
    denied(() => compileRequirement({ rolesAll: ['billing', 'admin'] })(claims), 'ERR_INSUFFICIENT_ROLE');
  });

  test('rolesAny and rolesAll together must both hold', () => {
    allows({ rolesAny: ['admin', 'reader'], rolesAll: ['billing'] }, claims);
    denied(
      () => compileRequirement({ rolesAny: ['admin'], rolesAll: ['billing'] })(claims),
      'ERR_INSUFFICIENT_ROLE',
    );
    denied(
      () => compileRequirement({ rolesAny: ['reader'], rolesAll: ['admin'] })(claims),
      'ERR_INSUFFICIENT_ROLE',
    );
  });

  test('roles match exactly: no prefix, substring or case-insensitive match', () => {
    denied(() => compileRequirement({ rolesAny: ['bill'] })(claims), 'ERR_INSUFFICIENT_ROLE');
    denied(() => compileRequirement({ rolesAny: ['Billing'] })(claims), 'ERR_INSUFFICIENT_ROLE');
    denied(
      () => compileRequirement({ rolesAny: ['admin'] })({ roles: ['administrator'] }),
      'ERR_INSUFFICIENT_ROLE',
    );
  });

  test('a token without the roles claim, or with a non-list value, is denied', () => {
    for (const bad of [{}, { roles: null }, { roles: 42 }, { roles: { admin: true } }, { roles: [] }]) {
      denied(() => compileRequirement({ rolesAny: ['admin'] })(bad), 'ERR_INSUFFICIENT_ROLE');
    }
  });

  test('roles from realm_access.roles', () => {
    const kc = { realm_access: { roles: ['admin'] }, roles: ['user'] };
    allows({ rolesAny: ['admin'] }, kc, 'realm_access.roles');
    denied(
      () => compileRequirement({ rolesAny: ['user'] }, 'realm_access.roles')(kc),
      'ERR_INSUFFICIENT_ROLE',
    );
  });

  test('roles from resource_access.<client>.roles with a dash in the client id', () => {
    const kc = { resource_access: { 'billing-api': { roles: ['invoice-writer'] }, other: { roles: ['x'] } } };
    allows({ rolesAll: ['invoice-writer'] }, kc, 'resource_access.billing-api.roles');
    denied(
      () => compileRequirement({ rolesAll: ['x'] }, 'resource_access.billing-api.roles')(kc),
      'ERR_INSUFFICIENT_ROLE',
    );
  });

  test('roles from a namespaced URL claim', () => {
    const auth0 = { 'https://example.com/roles': ['editor'] };
    allows({ rolesAny: ['editor'] }, auth0, 'https://example.com/roles');
    denied(() => compileRequirement({ rolesAny: ['editor'] })(auth0), 'ERR_INSUFFICIENT_ROLE');
  });

  test('roles from an explicit array path', () => {
    const claims2 = { resource_access: { 'app.v2': { roles: ['admin'] } } };
    allows({ rolesAny: ['admin'] }, claims2, ['resource_access', 'app.v2', 'roles']);
  });

  test('a prototype path never grants a role', () => {
    denied(
      () => compileRequirement({ rolesAny: ['Object'] }, 'constructor.name')({}),
      'ERR_INSUFFICIENT_ROLE',
    );
    denied(() => compileRequirement({ rolesAny: ['admin'] }, '__proto__')({}), 'ERR_INSUFFICIENT_ROLE');
  });

  test('roles are not read from the scope claim, nor scopes from roles', () => {
    denied(() => compileRequirement({ rolesAny: ['admin'] })({ scope: 'admin' }), 'ERR_INSUFFICIENT_ROLE');
    denied(
      () => compileRequirement({ scopesAny: ['admin'] })({ roles: ['admin'] }),
      'ERR_INSUFFICIENT_SCOPE',
    );
  });

  test('an invalid roles claim path is refused at compile time', () => {
    assert.throws(() => compileRequirement({ rolesAny: ['a'] }, 'a..b'), /invalid claim path/);
  });
});

describe('compileRequirement: scopes', () => {
  test('scopesAny over `scope`', () => {
    allows({ scopesAny: ['write', 'read'] }, { scope: 'openid read' });
    denied(
      () => compileRequirement({ scopesAny: ['write'] })({ scope: 'openid read' }),
      'ERR_INSUFFICIENT_SCOPE',
    );
  });

  test('scopesAll over `scope`', () => {
    allows({ scopesAll: ['read', 'write'] }, { scope: 'write read' });
    denied(
      () => compileRequirement({ scopesAll: ['read', 'write'] })({ scope: 'read' }),
      'ERR_INSUFFICIENT_SCOPE',
    );
  });

  test('scopesAny and scopesAll over `scp` arrays', () => {
    allows({ scopesAny: ['admin', 'read'] }, { scp: ['read'] });
    allows({ scopesAll: ['read', 'write'] }, { scp: ['read', 'write', 'delete'] });
    denied(
      () => compileRequirement({ scopesAll: ['read', 'write'] })({ scp: ['read'] }),
      'ERR_INSUFFICIENT_SCOPE',
    );
  });

  test('a scope is matched as a whole word, not a substring of the scope string', () => {
    denied(
      () => compileRequirement({ scopesAny: ['read'] })({ scope: 'read:all' }),
      'ERR_INSUFFICIENT_SCOPE',
    );
    denied(
      () => compileRequirement({ scopesAny: ['ad'] })({ scope: 'read admin' }),
      'ERR_INSUFFICIENT_SCOPE',
    );
  });

  test('the scope error names the required scopes (for logs), all-of first', () => {
    const err = denied(
      () => compileRequirement({ scopesAll: ['a', 'b'], scopesAny: ['c', 'd'] })({ scope: 'x' }),
      'ERR_INSUFFICIENT_SCOPE',
    );
    assert.equal(err.detail, 'a b c d');
    assert.equal(err.message, 'The token does not carry a required scope: a b c d');
  });

  test('roles are checked before scopes', () => {
    denied(
      () => compileRequirement({ rolesAny: ['admin'], scopesAny: ['read'] })({}),
      'ERR_INSUFFICIENT_ROLE',
    );
    denied(
      () => compileRequirement({ rolesAny: ['admin'], scopesAny: ['read'] })({ roles: ['admin'] }),
      'ERR_INSUFFICIENT_SCOPE',
    );
    allows({ rolesAny: ['admin'], scopesAny: ['read'] }, { roles: ['admin'], scope: 'read' });
  });
});

describe('compileRequirement: empty requirements', () => {
  test('no requirement, or empty lists, require nothing', () => {
    allows({}, {});
    allows({ rolesAny: [], rolesAll: [], scopesAny: [], scopesAll: [] }, {});
  });

  test('an empty rolesAny does not cancel a non-empty rolesAll', () => {
    denied(() => compileRequirement({ rolesAny: [], rolesAll: ['admin'] })({}), 'ERR_INSUFFICIENT_ROLE');
    denied(() => compileRequirement({ scopesAny: [], scopesAll: ['read'] })({}), 'ERR_INSUFFICIENT_SCOPE');
  });
});

describe('Verifier.compileRequirement uses the provider roles claim', () => {
  const verifier = createVerifier({
    providers: {
      plain: {
        issuer: 'https://plain.test',
        audiences: ['api'],
        algorithms: ['HS256'],
        secret: SECRET,
      },
      keycloak: {
        issuer: 'https://keycloak.test',
        audiences: ['api'],
        algorithms: ['HS256'],
        secret: SECRET,
        rolesClaim: 'resource_access.billing-api.roles',
      },
      auth0: {
        issuer: 'https://auth0.test',
        audiences: ['api'],
        algorithms: ['HS256'],
        secret: SECRET,
        rolesClaim: 'https://example.com/roles',
      },
    },
    now: () => NOW_MS,
  });

  test('each provider reads roles from its own path', async () => {
    const claims = {
      roles: ['plain-admin'],
      resource_access: { 'billing-api': { roles: ['kc-admin'] } },
      'https://example.com/roles': ['auth0-admin'],
    };
    for (const [provider, role] of [
      ['plain', 'plain-admin'],
      ['keycloak', 'kc-admin'],
      ['auth0', 'auth0-admin'],
    ] as const) {
      const token = await signToken(secretBytes(), {
        alg: 'HS256',
        iss: `https://${provider}.test`,
        aud: 'api',
        claims,
      });
      const verified = await verifier.verify(token);
      assert.equal(verified.provider, provider);
      assert.doesNotThrow(() => verifier.compileRequirement(provider, { rolesAll: [role] })(verified.claims));
      const others = ['plain-admin', 'kc-admin', 'auth0-admin'].filter((r) => r !== role);
      denied(
        () => verifier.compileRequirement(provider, { rolesAny: others })(verified.claims),
        'ERR_INSUFFICIENT_ROLE',
      );
    }
  });

  test('an unknown provider name is ERR_OPTIONS_INVALID', () => {
    assert.throws(
      () => verifier.compileRequirement('nope', { rolesAny: ['a'] }),
      (err: unknown) =>
        err instanceof JwtGateError && err.code === 'ERR_OPTIONS_INVALID' && /nope/.test(err.message),
    );
  });
});

describe('compileRequirement: delegation', () => {
  test("a requirement's delegation is checked beside roles (required, actors, depth)", () => {
    const check = compileRequirement({
      rolesAny: ['reader'],
      delegation: { required: true, actors: ['svc-a'], maxDepth: 2 },
    });
    check({ roles: ['reader'], act: { sub: 'svc-a' } });
    assert.throws(() => check({ roles: ['reader'] }), { code: 'ERR_DELEGATION_REQUIRED' });
    assert.throws(() => check({ roles: ['reader'], act: { sub: 'svc-b' } }), {
      code: 'ERR_ACTOR_NOT_ALLOWED',
    });
    assert.throws(
      () => check({ roles: ['reader'], act: { sub: 'svc-a', act: { sub: 'x', act: { sub: 'y' } } } }),
      {
        code: 'ERR_DELEGATION_TOO_DEEP',
      },
    );
  });

  test('bad delegation options are refused when compiled, naming the path', () => {
    assert.throws(() => compileRequirement({ delegation: { required: true, maxDepth: 0 } }), {
      code: 'ERR_OPTIONS_INVALID',
    });
  });
});
