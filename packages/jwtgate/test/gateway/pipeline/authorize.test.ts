import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { auth, bearer, token } from '../helpers/auth.ts';

describe('compileAuthorize: roles and scopes per provider roles_claim', () => {
  test('roles are read from `roles` for a default provider', async () => {
    const check = auth({ providers: ['a'], rolesAny: ['billing', 'admin'] });
    assert.equal((await check(bearer(await token('a', { roles: ['admin'] })))).provider, 'a');
    await assert.rejects(check(bearer(await token('a', { roles: ['viewer'] }))), {
      code: 'ERR_INSUFFICIENT_ROLE',
    });
    await assert.rejects(check(bearer(await token('a', { realm_access: { roles: ['admin'] } }))), {
      code: 'ERR_INSUFFICIENT_ROLE',
    });
  });

  test('roles are read from realm_access.roles for a provider configured so', async () => {
    const check = auth({ providers: ['b'], rolesAll: ['billing', 'admin'] });
    const ok = await check(bearer(await token('b', { realm_access: { roles: ['admin', 'billing', 'x'] } })));
    assert.equal(ok.provider, 'b');
    await assert.rejects(check(bearer(await token('b', { roles: ['admin', 'billing'] }))), {
      code: 'ERR_INSUFFICIENT_ROLE',
    });
    await assert.rejects(check(bearer(await token('b', { realm_access: { roles: ['admin'] } }))), {
      code: 'ERR_INSUFFICIENT_ROLE',
    });
  });

  test('in any-of, each provider checks roles at its own claim path', async () => {
    const check = auth({ providers: ['a', 'b'], rolesAny: ['admin'] });
    assert.equal((await check(bearer(await token('a', { roles: ['admin'] })))).provider, 'a');
    assert.equal(
      (await check(bearer(await token('b', { realm_access: { roles: ['admin'] } })))).provider,
      'b',
    );
    await assert.rejects(check(bearer(await token('b', { roles: ['admin'] }))), {
      code: 'ERR_INSUFFICIENT_ROLE',
    });
  });

  test('scopes: space-delimited `scope` or `scp`, any and all', async () => {
    const all = auth({ providers: ['a'], scopesAll: ['read', 'write'] });
    assert.ok(await all(bearer(await token('a', { scope: 'read write admin' }))));
    assert.ok(await all(bearer(await token('a', { scp: ['write', 'read'] }))));
    await assert.rejects(all(bearer(await token('a', { scope: 'read' }))), {
      code: 'ERR_INSUFFICIENT_SCOPE',
    });
    const any = auth({ providers: ['a'], scopesAny: ['admin', 'root'] });
    assert.ok(await any(bearer(await token('a', { scope: 'root' }))));
    await assert.rejects(any(bearer(await token('a', { scope: 'read write' }))), {
      code: 'ERR_INSUFFICIENT_SCOPE',
      status: 403,
    });
  });

  test('roles and scopes together must both hold', async () => {
    const check = auth({ providers: ['a'], rolesAny: ['admin'], scopesAll: ['read'] });
    assert.ok(await check(bearer(await token('a', { roles: ['admin'], scope: 'read' }))));
    await assert.rejects(check(bearer(await token('a', { roles: ['admin'] }))), {
      code: 'ERR_INSUFFICIENT_SCOPE',
    });
    await assert.rejects(check(bearer(await token('a', { scope: 'read' }))), {
      code: 'ERR_INSUFFICIENT_ROLE',
    });
  });
});

describe('compileAuthorize: the route requires a delegation chain (requires.delegation)', () => {
  const viaA = { act: { sub: 'service-a' } };
  test('required: a token without act is refused, a delegated one passes', async () => {
    const check = auth({ providers: ['a'], delegation: { required: true } });
    await assert.rejects(check(bearer(await token('a', {}))), { code: 'ERR_DELEGATION_REQUIRED' });
    assert.equal((await check(bearer(await token('a', viaA)))).claims.sub, 'a-user');
  });

  test('actors: only the current actor (outermost act.sub) is matched', async () => {
    const check = auth({ providers: ['a'], delegation: { actors: ['service-a'] } });
    assert.ok(await check(bearer(await token('a', { act: { sub: 'service-a', act: { sub: 'other' } } }))));
    await assert.rejects(
      check(bearer(await token('a', { act: { sub: 'other', act: { sub: 'service-a' } } }))),
      {
        code: 'ERR_ACTOR_NOT_ALLOWED',
      },
    );
  });

  test('max_depth: a chain longer than allowed is refused', async () => {
    const check = auth({ providers: ['a'], delegation: { maxDepth: 1 } });
    assert.ok(await check(bearer(await token('a', viaA))));
    await assert.rejects(check(bearer(await token('a', { act: { sub: 'b', act: { sub: 'c' } } }))), {
      code: 'ERR_DELEGATION_TOO_DEEP',
    });
  });
});

describe('compileAuthorize: requires.amr_any (RFC 8176 amr, RFC 9470 refusal)', () => {
  test('one of the methods in amr passes; none, a missing or malformed amr is insufficient_user_authentication', async () => {
    const check = auth({ providers: ['a'], amrAny: ['otp', 'hwk'] });
    assert.equal((await check(bearer(await token('a', { amr: ['pwd', 'otp', 'mfa'] })))).provider, 'a');
    assert.equal((await check(bearer(await token('a', { amr: ['hwk', 'user'] })))).provider, 'a');
    for (const amr of [['pwd'], [], 'otp', undefined, [{ otp: true }]]) {
      await assert.rejects(check(bearer(await token('a', amr === undefined ? {} : { amr }))), {
        code: 'ERR_INSUFFICIENT_AUTHENTICATION',
        status: 401,
      });
    }
  });

  test('with roles too, both are checked', async () => {
    const check = auth({ providers: ['a'], amrAny: ['otp'], rolesAny: ['admin'] });
    await assert.rejects(check(bearer(await token('a', { amr: ['otp'], roles: ['viewer'] }))), {
      code: 'ERR_INSUFFICIENT_ROLE',
    });
    await assert.rejects(check(bearer(await token('a', { amr: ['pwd'], roles: ['admin'] }))), {
      code: 'ERR_INSUFFICIENT_AUTHENTICATION',
    });
    assert.equal((await check(bearer(await token('a', { amr: ['otp'], roles: ['admin'] })))).provider, 'a');
  });
});
