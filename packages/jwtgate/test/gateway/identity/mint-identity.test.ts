import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { compileTokenExtractor } from '@jwtgate/verify';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { openIdentityKeys, readIdentityJwks } from '../../../src/gateway/identity/identity-keys.ts';
import { compileSignedIdentity, IDENTITY_TOKEN_TYPE } from '../../../src/gateway/identity/mint-identity.ts';
import type { Identity } from '../../../src/gateway/pipeline/authenticate.ts';
import { tempDir } from '../helpers/config.ts';

const dir = tempDir('mint-identity');
after(() => dir.remove());

let t = 1_800_000_000_000;
const keys = openIdentityKeys({ dir: dir.dir, alg: 'ES256', rotateAfterMs: 24 * 3600_000, now: () => t });
const extract = compileTokenExtractor(undefined);

function signer(maxEntries = 100, lifetimeSeconds = 60) {
  return compileSignedIdentity({
    header: 'x-jwtgate-identity',
    issuer: 'https://gateway.test',
    audience: 'orders',
    lifetimeSeconds,
    rolesClaim: () => 'realm_access.roles',
    keys,
    maxEntries,
    now: () => t,
    tokenOf: (_p, r) => extract(r),
  });
}

const identity = (exp: number, extra: Record<string, unknown> = {}): Identity => ({
  provider: 'corp',
  alg: 'ES256',
  kid: undefined,
  header: { alg: 'ES256' },
  claims: {
    iss: 'https://issuer.test',
    sub: 'alice',
    exp,
    scope: 'read write',
    client_id: 'spa',
    realm_access: { roles: ['orders', 7] },
    ...extra,
  },
});

describe('compileSignedIdentity', () => {
  test("the claims: who the caller is, the original issuer, act; verifiable with the gateway's JWKS", async () => {
    const jwt = await signer().mint(identity(t / 1000 + 600, { act: { sub: 'service-a' } }), 'token-1');
    const { payload, protectedHeader } = await jwtVerify(
      jwt,
      createLocalJWKSet(readIdentityJwks(dir.dir, t) as never),
      {
        issuer: 'https://gateway.test',
        audience: 'orders',
        typ: IDENTITY_TOKEN_TYPE,
        currentDate: new Date(t),
      },
    );
    assert.equal(protectedHeader.kid, keys.current().kid);
    assert.equal(payload.sub, 'alice');
    assert.deepEqual(payload.roles, ['orders']);
    assert.equal(payload.scope, 'read write');
    assert.equal(payload.client_id, 'spa');
    assert.equal(payload.orig_iss, 'https://issuer.test');
    assert.deepEqual(payload.act, { sub: 'service-a' });
    assert.equal((payload.exp as number) - (payload.iat as number), 60);
  });

  test('a DPoP-bound client token (checked with its proof) is said so: token_binding dpop; an unbound one has none', async () => {
    const bound = { ...identity(t / 1000 + 600), binding: { type: 'dpop' as const, jkt: 'jkt-1' } };
    const decode = (jwt: string) =>
      JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString());
    assert.equal(decode(await signer().mint(bound, 'token-bound')).token_binding, 'dpop');
    assert.equal(
      decode(await signer().mint(identity(t / 1000 + 600), 'token-plain')).token_binding,
      undefined,
    );
  });

  test('reused for the same token (synchronously) until shortly before it expires, then minted anew', async () => {
    const s = signer();
    const first = await s.mint(identity(t / 1000 + 600), 'token-2');
    const again = s.mint(identity(t / 1000 + 600), 'token-2');
    assert.equal(again, first, 'a cache hit is the same string, not a promise');
    assert.notEqual(await s.mint(identity(t / 1000 + 600), 'token-3'), first, 'another token, another mint');
    t += 53_000;
    assert.equal(s.mint(identity(t / 1000 + 600), 'token-2'), first, 'still fresh at 53 s of 60');
    t += 2_000;
    const renewed = s.mint(identity(t / 1000 + 600), 'token-2');
    assert.ok(renewed instanceof Promise, 'within the last tenth: signed again');
    assert.notEqual(await renewed, first);
  });

  test("never valid past the client token's own exp", async () => {
    const exp = Math.floor(t / 1000) + 10;
    const jwt = await signer().mint(identity(exp), 'token-4');
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString()) as {
      exp: number;
    };
    assert.equal(payload.exp, exp);
    assert.equal(decodeProtectedHeader(jwt).typ, IDENTITY_TOKEN_TYPE);
  });

  test('the cache is bounded: past maxEntries the oldest token is minted again', async () => {
    const s = signer(2);
    const a = await s.mint(identity(t / 1000 + 600), 'a');
    await s.mint(identity(t / 1000 + 600), 'b');
    await s.mint(identity(t / 1000 + 600), 'c');
    assert.ok(s.mint(identity(t / 1000 + 600), 'a') instanceof Promise, 'a was evicted');
    assert.equal(typeof s.mint(identity(t / 1000 + 600), 'c'), 'string');
    assert.notEqual(a, undefined);
  });
});
