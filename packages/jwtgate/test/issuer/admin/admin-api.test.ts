import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkAdminToken } from '../../../src/issuer/admin/admin-api.ts';
import { getToken, startTestIssuer, type TestIssuer } from '../helpers.ts';

const TOKEN = 'admin-token-for-tests-0123456789-abcdefghij';

describe('admin HTTP API', () => {
  let t: TestIssuer;
  const call = (method: string, path: string, body?: unknown, token: string | null = TOKEN) =>
    fetch(`${t.url}/admin${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  before(async () => {
    // Keys are re-read on the admin call itself, not on the poll (made slow here to prove it).
    t = await startTestIssuer({ adminToken: TOKEN, keyPollMs: 60_000 });
  });
  after(() => t.close());

  test('a missing or wrong bearer credential is 401', async () => {
    for (const token of [null, 'wrong', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const res = await call('GET', '/clients', undefined, token);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="jwtgate-admin"');
      assert.deepEqual(await res.json(), {
        error: 'ERR_ADMIN_UNAUTHORIZED',
        message: 'The admin credential is missing or wrong',
      });
    }
  });

  test('clients: add (secret shown once), list, show, rotate-secret, remove', async () => {
    const created = await call('POST', '/clients', {
      id: 'api-client',
      audiences: ['https://billing.example'],
      scopes: ['read'],
      roles: ['ops'],
      claims: { team: 'billing' },
    });
    assert.equal(created.status, 201);
    const { client, client_secret: secret } = (await created.json()) as {
      client: { id: string };
      client_secret: string;
    };
    assert.equal(client.id, 'api-client');
    const token = await getToken(t.url, 'api-client', secret);
    assert.ok(token);

    const list = (await (await call('GET', '/clients')).json()) as { clients: { id: string }[] };
    assert.deepEqual(
      list.clients.map((c) => c.id),
      ['api-client'],
    );
    assert.ok(!JSON.stringify(list).includes(secret));
    const shown = (await (await call('GET', '/clients/api-client')).json()) as {
      client: { roles: string[] };
    };
    assert.deepEqual(shown.client.roles, ['ops']);

    const rotated = (await (await call('POST', '/clients/api-client/rotate-secret')).json()) as {
      client_secret: string;
    };
    assert.notEqual(rotated.client_secret, secret);
    await assert.rejects(getToken(t.url, 'api-client', secret), /401/);
    assert.ok(await getToken(t.url, 'api-client', rotated.client_secret));

    assert.equal((await call('DELETE', '/clients/api-client')).status, 204);
    assert.equal((await call('GET', '/clients/api-client')).status, 404);
    await assert.rejects(getToken(t.url, 'api-client', rotated.client_secret), /401/);
  });

  test('public clients: created without a secret, edited with PATCH (origins, redirects, exchange)', async () => {
    const created = await call('POST', '/clients', {
      id: 'spa',
      auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://spa.example/callback'],
      web_origins: ['https://spa.example'],
      audiences: ['https://billing.example'],
    });
    assert.equal(created.status, 201);
    const body = (await created.json()) as { client: Record<string, unknown>; client_secret?: string };
    assert.equal(body.client_secret, undefined, 'a public client gets no secret');
    assert.equal(body.client.auth_method, 'none');
    assert.deepEqual(body.client.web_origins, ['https://spa.example']);

    const patched = await call('PATCH', '/clients/spa', {
      web_origins: ['https://spa.example', 'https://beta.spa.example'],
      redirect_uris: ['https://spa.example/callback', 'https://beta.spa.example/callback'],
    });
    assert.equal(patched.status, 200);
    const { client } = (await patched.json()) as { client: Record<string, unknown> };
    assert.deepEqual(client.web_origins, ['https://beta.spa.example', 'https://spa.example']);
    assert.deepEqual(client.grant_types, ['authorization_code', 'refresh_token'], 'what is not named stays');
    const bad = await call('PATCH', '/clients/spa', { web_origins: ['https://spa.example/path'] });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { message: string }).message, /web origins/);
    const fixed = await call('PATCH', '/clients/spa', { auth_method: 'client_secret_basic' });
    assert.equal(fixed.status, 400);
    assert.equal((await call('PATCH', '/clients/nobody', { name: 'x' })).status, 404);

    await call('POST', '/clients', { id: 'orders', audiences: ['https://orders.example'] });
    const exchanging = await call('PATCH', '/clients/orders', {
      grant_types: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      token_exchange: { audiences: ['https://billing.example'] },
    });
    assert.equal(exchanging.status, 200);
    assert.deepEqual(
      ((await exchanging.json()) as { client: Record<string, unknown> }).client.token_exchange,
      {
        audiences: ['https://billing.example'],
        issuers: [],
      },
    );
    await call('DELETE', '/clients/spa');
    await call('DELETE', '/clients/orders');
  });

  test('invalid requests are 400 with the field named', async () => {
    const res = await call('POST', '/clients', { id: 'x' });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as { message: string }).message, /audiences/);
    const bad = await fetch(`${t.url}/admin/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(bad.status, 400);
    assert.equal((await call('GET', '/nothing-here')).status, 404);
  });

  test('keys: rotate is published at once (no wait for the poll), list', async () => {
    const res = await call('POST', '/keys/rotate', { alg: 'EdDSA', pre_publish_seconds: 600 });
    assert.equal(res.status, 201);
    const { key } = (await res.json()) as { key: { kid: string; alg: string; state: string } };
    assert.equal(key.alg, 'EdDSA');
    let kids: string[] = [];
    for (let i = 0; i < 40 && !kids.includes(key.kid); i++) {
      await new Promise((r) => setTimeout(r, 25));
      kids = (
        (await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] }
      ).keys.map((k) => k.kid);
    }
    assert.ok(kids.includes(key.kid));
    const listed = (await (await call('GET', '/keys')).json()) as { keys: { kid: string; state: string }[] };
    assert.deepEqual(
      listed.keys.map((k) => k.state),
      ['next', 'current'],
    );
  });

  test('tokens/revoke by jti, then the audit log, which holds no secret', async () => {
    const res = await call('POST', '/tokens/revoke', { jti: 'admin-revoked' });
    assert.equal(res.status, 200);
    const { revocation } = (await res.json()) as { revocation: { jti: string; exp: number } };
    assert.equal(revocation.jti, 'admin-revoked');
    assert.ok(revocation.exp > Date.now() / 1000);
    assert.equal((await call('POST', '/tokens/revoke', {})).status, 400);
    const feed = (await (await fetch(`${t.url}/revocations`)).json()) as { revocations: { jti: string }[] };
    assert.ok(feed.revocations.some((e) => e.jti === 'admin-revoked'));

    const audit = (await (await call('GET', '/audit?limit=50')).json()) as {
      events: { type: string; actor: string }[];
    };
    const types = new Set(audit.events.map((e) => e.type));
    for (const type of [
      'client.created',
      'client.secret_rotated',
      'client.removed',
      'key.rotated',
      'token.revoked',
      'token.issued',
    ])
      assert.ok(types.has(type), type);
    assert.doesNotMatch(JSON.stringify(audit), /sha256:|client_secret"|eyJ/);
    const only = (await (await call('GET', '/audit?type=token.revoked')).json()) as {
      events: { type: string }[];
    };
    assert.ok(only.events.every((e) => e.type === 'token.revoked'));
  });
});

describe('admin API configuration', () => {
  test('disabled when JWTGATE_ADMIN_TOKEN is unset', async () => {
    const t = await startTestIssuer();
    try {
      assert.equal(
        (await fetch(`${t.url}/admin/clients`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
        404,
      );
    } finally {
      await t.close();
    }
  });

  test('a short credential is a configuration error', () => {
    assert.throws(() => checkAdminToken('short'), { code: 'ERR_ISSUER_CONFIG' });
    checkAdminToken(TOKEN);
  });
});
