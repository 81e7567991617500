// Users' refresh tokens over HTTP: rotation on every use, reuse of a spent token revokes the
// whole grant (its refresh tokens, and its JWT access tokens on the revocation list), the grace
// for a retried rotation, the family's absolute lifetime, and no refresh for a disabled user.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { resetUserPassword, setUserDisabled } from '../../../src/issuer/admin/manage-users.ts';
import { decodePart } from '../helpers.ts';
import { type LoginIssuer, loginAndRedeem, startLoginIssuer, tokenRequest } from './login-helpers.ts';

async function revokedJtis(t: LoginIssuer): Promise<string[]> {
  const body = (await (await fetch(`${t.url}/revocations`)).json()) as { revocations: { jti: string }[] };
  return body.revocations.map((r) => r.jti);
}

const refresh = (t: LoginIssuer, token: unknown) =>
  tokenRequest(t, { grant_type: 'refresh_token', refresh_token: token as string });

describe('refresh tokens: rotation and reuse detection (no grace)', () => {
  let t: LoginIssuer;
  before(async () => {
    t = await startLoginIssuer({ refreshTokens: { absoluteLifetimeSeconds: 30 * 86400, graceSeconds: 0 } });
  });
  after(() => t.close());

  test('each use rotates the refresh token and gives a new access token', async () => {
    const { tokens } = await loginAndRedeem(t);
    const r1 = await refresh(t, tokens.refresh_token);
    assert.equal(r1.status, 200, JSON.stringify(r1.body));
    assert.notEqual(r1.body.refresh_token, tokens.refresh_token);
    const claims = decodePart(r1.body.access_token as string, 1);
    assert.equal(claims.sub, t.user.id);
    assert.deepEqual([...(claims.roles as string[])].sort(), ['billing', 'staff']);
    assert.equal(claims.scope, 'openid profile email invoices:read');
    const r2 = await refresh(t, r1.body.refresh_token);
    assert.equal(r2.status, 200);
  });

  test('reusing a spent refresh token revokes the grant: refresh tokens and access tokens', async () => {
    const { tokens } = await loginAndRedeem(t);
    const r1 = await refresh(t, tokens.refresh_token);
    assert.equal(r1.status, 200);
    const reuse = await refresh(t, tokens.refresh_token);
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
    // The legitimate successor is gone with the grant.
    const next = await refresh(t, r1.body.refresh_token);
    assert.equal(next.status, 400);
    assert.equal(next.body.error, 'invalid_grant');
    const listed = await revokedJtis(t);
    for (const at of [tokens.access_token, r1.body.access_token])
      assert.ok(listed.includes(decodePart(at as string, 1).jti as string));
    const introspected = await fetch(`${t.url}/token/introspection`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`webapp:${t.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: r1.body.access_token as string }),
    });
    assert.deepEqual(await introspected.json(), { active: false });
  });

  test('a disabled user gets no new tokens', async () => {
    const { tokens } = await loginAndRedeem(t);
    await t.store.users.update(t.user.id, { disabled: true });
    try {
      const r = await refresh(t, tokens.refresh_token);
      assert.equal(r.status, 400);
      assert.equal(r.body.error, 'invalid_grant');
    } finally {
      await t.store.users.update(t.user.id, { disabled: false });
    }
  });
});

describe('refresh tokens: grace period for a retried rotation', () => {
  let t: LoginIssuer;
  let offset = 0;
  before(async () => {
    t = await startLoginIssuer({}, () => Date.now() + offset);
  });
  after(() => t.close());

  test('within the grace, the just-rotated token is a retry; after it, a reuse', async () => {
    offset = 0;
    const { tokens } = await loginAndRedeem(t);
    const first = await refresh(t, tokens.refresh_token);
    assert.equal(first.status, 200);
    const retry = await refresh(t, tokens.refresh_token);
    assert.equal(retry.status, 200, 'a retry within 10 s is answered');
    assert.notEqual(retry.body.refresh_token, first.body.refresh_token);
    offset = 11_000;
    const reuse = await refresh(t, tokens.refresh_token);
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
    assert.equal((await refresh(t, retry.body.refresh_token)).status, 400);
    assert.ok(
      (await revokedJtis(t)).includes(decodePart(first.body.access_token as string, 1).jti as string),
    );
  });
});

describe('refresh tokens: absolute lifetime', () => {
  let t: LoginIssuer;
  before(async () => {
    t = await startLoginIssuer({
      tokenLifetimeSeconds: 30,
      refreshTokens: { absoluteLifetimeSeconds: 120, graceSeconds: 10 },
    });
  });
  after(() => t.close());

  test('a rotated refresh token keeps the family expiry', async () => {
    const { tokens } = await loginAndRedeem(t);
    const id = tokens.refresh_token as string;
    const original = (await t.store.oidc.find('RefreshToken', id)) as Record<string, unknown>;
    const nowSeconds = Math.floor(Date.now() / 1000);
    assert.ok(Math.abs((original.exp as number) - (nowSeconds + 120)) <= 2);
    // A family that began 100 s ago (the store entry rewritten rather than a clock slept on).
    const iiat = nowSeconds - 100;
    await t.store.oidc.upsert('RefreshToken', id, { ...original, iat: iiat, iiat, exp: iiat + 120 }, 20);
    const r1 = await refresh(t, id);
    assert.equal(r1.status, 200, JSON.stringify(r1.body));
    const rotated = await t.store.oidc.find('RefreshToken', r1.body.refresh_token as string);
    assert.equal(rotated?.iiat, iiat);
    assert.equal(rotated?.exp, iiat + 120);
  });
});

describe('refresh tokens: a user disabled, reset or removed loses every grant', () => {
  let t: LoginIssuer;
  before(async () => {
    t = await startLoginIssuer({ refreshTokens: { absoluteLifetimeSeconds: 30 * 86400, graceSeconds: 0 } });
  });
  after(() => t.close());

  for (const [what, act, undo] of [
    [
      'disabled',
      (t: LoginIssuer) => setUserDisabled(t.store, 'alice', true, 'test'),
      (t: LoginIssuer) => setUserDisabled(t.store, 'alice', false, 'test'),
    ],
    [
      'password reset',
      (t: LoginIssuer) => resetUserPassword(t.store, 'alice', 'a brand new password', 'test'),
      async () => {},
    ],
  ] as const) {
    test(`${what}: both sessions' refresh tokens fail and their access tokens are revoked`, async () => {
      const a = await loginAndRedeem(t);
      const b = await loginAndRedeem(t);
      const rotated = await refresh(t, b.tokens.refresh_token);
      assert.equal(rotated.status, 200);
      await act(t);
      await undo(t);
      for (const token of [a.tokens.refresh_token, rotated.body.refresh_token]) {
        const r = await refresh(t, token);
        assert.equal(r.status, 400, `${what}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error, 'invalid_grant');
      }
      const listed = await revokedJtis(t);
      for (const at of [a.tokens.access_token, b.tokens.access_token, rotated.body.access_token])
        assert.ok(
          listed.includes(decodePart(at as string, 1).jti as string),
          `${what}: access token revoked`,
        );
      const [event] = await t.store.audit.recent(1, [
        what === 'disabled' ? 'user.disabled' : 'user.password_reset',
      ]);
      assert.equal(event?.detail.grants_ended, 2);
    });
  }
});
