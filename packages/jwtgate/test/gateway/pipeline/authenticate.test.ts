import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { JwtGateError, type RequestLike, type Verifier } from '@jwtgate/verify';
import { secretBytes, signToken } from '../../../../verify/test/helpers/keys.ts';
import { auth, bearer, EXPIRED, SOURCES, token, verifier } from '../helpers/auth.ts';
import { SECRET_B } from '../helpers/config.ts';

describe('compileAuthenticate: one provider', () => {
  const one = auth({ providers: ['a'] });

  test('a valid token of the provider is verified and returned', async () => {
    const verified = await one(bearer(await token('a')));
    assert.equal(verified.provider, 'a');
    assert.equal(verified.claims.sub, 'a-user');
  });

  test('no token is ERR_TOKEN_MISSING', async () => {
    await assert.rejects(one({ headers: {} }), { code: 'ERR_TOKEN_MISSING' });
  });

  test("another provider's valid token is refused (the route's provider only)", async () => {
    await assert.rejects(one(bearer(await token('b'))), { code: 'ERR_ISSUER_MISMATCH' });
  });

  test('the verify core decides: expired, forged', async () => {
    await assert.rejects(one(bearer(await token('a', {}, EXPIRED))), { code: 'ERR_TOKEN_EXPIRED' });
    const forged = await signToken(secretBytes(SECRET_B), {
      alg: 'HS256',
      iss: 'https://a.test',
      aud: 'api',
    });
    await assert.rejects(one(bearer(forged)), { code: 'ERR_SIGNATURE_INVALID' });
  });

  test('errors are JwtGateErrors', async () => {
    await assert.rejects(
      one({ headers: {} }),
      (err: unknown) => err instanceof JwtGateError && err.status === 401,
    );
  });
});

describe('compileAuthenticate: any of several providers', () => {
  const any = auth({ providers: ['a', 'b'] });

  test("either provider's token is accepted, and the result names the provider", async () => {
    assert.equal((await any(bearer(await token('a')))).provider, 'a');
    assert.equal((await any(bearer(await token('b')))).provider, 'b');
  });

  test('the first provider whose token succeeds wins', async () => {
    // a reads a cookie, b the bearer header: both tokens present and valid -> a.
    const sources = { a: [{ cookie: 'session' }], b: undefined };
    const check = auth({ providers: ['a', 'b'] }, sources);
    const ta = await token('a');
    const tb = await token('b');
    const both: RequestLike = { headers: { cookie: `session=${ta}`, authorization: `Bearer ${tb}` } };
    assert.equal((await check(both)).provider, 'a');
    const reversed = auth({ providers: ['b', 'a'] }, sources);
    assert.equal((await reversed(both)).provider, 'b');
    // a's token fails (expired): b's still wins.
    const expiredA: RequestLike = {
      headers: { cookie: `session=${await token('a', {}, EXPIRED)}`, authorization: `Bearer ${tb}` },
    };
    assert.equal((await check(expiredA)).provider, 'b');
  });

  test('when all fail, a token problem beats a missing token', async () => {
    const sources = { a: [{ cookie: 'session' }], b: undefined };
    const check = auth({ providers: ['a', 'b'] }, sources);
    await assert.rejects(check(bearer(await token('b', {}, EXPIRED))), { code: 'ERR_TOKEN_EXPIRED' });
    await assert.rejects(check({ headers: { cookie: `session=${await token('a', {}, EXPIRED)}` } }), {
      code: 'ERR_TOKEN_EXPIRED',
    });
    await assert.rejects(check({ headers: {} }), { code: 'ERR_TOKEN_MISSING' });
  });

  test("when all fail on one shared token, its own provider's error beats the other's issuer mismatch", async () => {
    // The token is b's and expired: for a it is merely "not my issuer"; the telling error is b's.
    await assert.rejects(any(bearer(await token('b', {}, EXPIRED))), { code: 'ERR_TOKEN_EXPIRED' });
    await assert.rejects(any(bearer(await token('a', {}, EXPIRED))), { code: 'ERR_TOKEN_EXPIRED' });
    const withRole = auth({ providers: ['a', 'b'], rolesAny: ['admin'] });
    await assert.rejects(withRole(bearer(await token('b'))), { code: 'ERR_INSUFFICIENT_ROLE' });
  });

  test('a token of no listed provider is ERR_ISSUER_MISMATCH', async () => {
    await assert.rejects(any(bearer(await token('tutorial'))), { code: 'ERR_ISSUER_MISMATCH' });
  });

  test('an unexpected error becomes ERR_INTERNAL with the cause kept', async () => {
    const boom = new TypeError('boom');
    const broken = {
      ...verifier,
      verify: () => Promise.reject(boom),
      verifyNow: () => Promise.reject(boom),
      compileRequirement: () => () => {},
    } as unknown as Verifier;
    const check = auth({ providers: ['a', 'b'] }, SOURCES, broken);
    await assert.rejects(check(bearer('x.y.z')), (err: unknown) => {
      assert.ok(err instanceof JwtGateError);
      assert.equal(err.code, 'ERR_INTERNAL');
      assert.equal(err.cause, boom);
      return true;
    });
  });
});

describe('compileAuthenticate: all of several providers', () => {
  // a's token travels in X-A-Token, b's as the bearer token.
  const sources = { a: [{ header: 'X-A-Token' }], b: undefined };
  const all = auth({ providers: ['a', 'b'], mode: 'all' }, sources);

  test("both tokens valid: the first provider's verification is returned", async () => {
    const request: RequestLike = {
      headers: { 'x-a-token': await token('a'), authorization: `Bearer ${await token('b')}` },
    };
    const verified = await all(request);
    assert.equal(verified.provider, 'a');
    assert.equal(verified.claims.sub, 'a-user');
  });

  test('one token missing or invalid fails the whole', async () => {
    await assert.rejects(all({ headers: { 'x-a-token': await token('a') } }), { code: 'ERR_TOKEN_MISSING' });
    await assert.rejects(all(bearer(await token('b'))), { code: 'ERR_TOKEN_MISSING' });
    await assert.rejects(
      all({
        headers: { 'x-a-token': await token('a'), authorization: `Bearer ${await token('b', {}, EXPIRED)}` },
      }),
      { code: 'ERR_TOKEN_EXPIRED' },
    );
  });

  test('the role requirement applies to every provider, each at its own roles claim', async () => {
    const strict = auth({ providers: ['a', 'b'], mode: 'all', rolesAny: ['admin'] }, sources);
    const aAdmin = await token('a', { roles: ['admin'] });
    const bAdmin = await token('b', { realm_access: { roles: ['admin'] } });
    assert.equal(
      (await strict({ headers: { 'x-a-token': aAdmin, authorization: `Bearer ${bAdmin}` } })).provider,
      'a',
    );
    await assert.rejects(
      strict({
        headers: { 'x-a-token': aAdmin, authorization: `Bearer ${await token('b', { roles: ['admin'] })}` },
      }),
      { code: 'ERR_INSUFFICIENT_ROLE' },
    );
  });
});

describe('compileAuthenticate: token sources per provider', () => {
  const tutorial = auth({ providers: ['tutorial'] });

  test("the tutorial's Token header carries the token", async () => {
    const verified = await tutorial({ headers: { token: await token('tutorial') } });
    assert.equal(verified.provider, 'tutorial');
    assert.equal(verified.claims.aud, 'billing.jwtgo.io');
  });

  test('Authorization: Bearer works for the tutorial provider too', async () => {
    assert.equal((await tutorial(bearer(await token('tutorial')))).provider, 'tutorial');
  });

  test('a token in both places is ERR_INVALID_REQUEST, even the same token', async () => {
    const t = await token('tutorial');
    await assert.rejects(tutorial({ headers: { token: t, authorization: `Bearer ${t}` } }), {
      code: 'ERR_INVALID_REQUEST',
      status: 400,
    });
  });

  test('a provider without token_from reads only Authorization: Bearer', async () => {
    const one = auth({ providers: ['a'] });
    await assert.rejects(one({ headers: { token: await token('a') } }), { code: 'ERR_TOKEN_MISSING' });
  });

  test('cookie and query sources', async () => {
    const check = auth({ providers: ['a'] }, { a: [{ cookie: 'at' }, { query: 'access_token' }] });
    const t = await token('a');
    assert.ok(await check({ headers: { cookie: `theme=dark; at=${t}` } }));
    assert.ok(await check({ headers: {}, url: `/x?access_token=${t}` }));
    await assert.rejects(check({ headers: { cookie: `at=${t}` }, url: `/x?access_token=${t}` }), {
      code: 'ERR_INVALID_REQUEST',
    });
  });

  test('a header source with a prefix', async () => {
    const check = auth({ providers: ['a'] }, { a: [{ header: 'X-Auth', prefix: 'Token ' }] });
    assert.ok(await check({ headers: { 'x-auth': `Token ${await token('a')}` } }));
    await assert.rejects(check({ headers: { 'x-auth': await token('a') } }), { code: 'ERR_INVALID_REQUEST' });
  });
});
