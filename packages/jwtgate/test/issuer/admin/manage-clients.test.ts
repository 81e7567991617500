import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import {
  addClient,
  checkClientSpec,
  listClients,
  removeClient,
  rotateClientSecret,
  showClient,
  updateClient,
} from '../../../src/issuer/admin/manage-clients.ts';
import { IssuerError } from '../../../src/issuer/errors.ts';
import { verifyClientSecret } from '../../../src/store/hash-secret.ts';
import type { Store } from '../../../src/store/types.ts';
import { makeClientKey, openTempStore, tempDir } from '../helpers.ts';

const AUD = ['https://api.example'];

function rejects(spec: Parameters<typeof checkClientSpec>[0], message: RegExp, code = 'ERR_CLIENT_INVALID') {
  assert.throws(
    () => checkClientSpec(spec),
    (err: unknown) => err instanceof IssuerError && err.code === code && message.test(err.message),
  );
}

describe('checkClientSpec', () => {
  test('defaults: basic auth, client credentials only, name = id', () => {
    const c = checkClientSpec({ id: 'svc', audiences: AUD });
    assert.equal(c.authMethod, 'client_secret_basic');
    assert.deepEqual(c.grantTypes, ['client_credentials']);
    assert.equal(c.name, 'svc');
    assert.deepEqual(c.scopes, []);
    assert.equal(c.jwks, null);
  });

  test('ids, audiences, scopes and claims are checked', () => {
    rejects({ id: 'has space', audiences: AUD }, /^id:/);
    rejects({ id: 'a:b', audiences: AUD }, /^id:/);
    rejects({ id: 'svc' }, /audiences: at least one/);
    rejects({ id: 'svc', audiences: ['billing.jwtgo.io'] }, /audiences: "billing.jwtgo.io" is not valid/);
    rejects({ id: 'svc', audiences: ['https://a.example#frag'] }, /audiences/);
    rejects({ id: 'svc', audiences: AUD, scopes: ['has space'] }, /scopes/);
    rejects({ id: 'svc', audiences: AUD, scopes: ['quote"'] }, /scopes/);
    rejects({ id: 'svc', audiences: AUD, claims: { iss: 'me' } }, /"iss" is set by the issuer/);
    rejects({ id: 'svc', audiences: AUD, claims: { roles: [] } }, /"roles" is set by the issuer/);
    rejects({ id: 'svc', audiences: AUD, authMethod: 'secret' as never }, /auth method/);
  });

  test('custom claims: no __proto__ member at any depth, bounded nesting', () => {
    rejects({ id: 'svc', audiences: AUD, claims: JSON.parse('{"__proto__":{"admin":true}}') }, /__proto__/);
    rejects({ id: 'svc', audiences: AUD, claims: JSON.parse('{"a":[{"__proto__":1}]}') }, /__proto__/);
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i++) deep = [deep];
    rejects(
      { id: 'svc', audiences: AUD, claims: { deep } as Record<string, unknown> },
      /nested more than 32/,
    );
    const c = checkClientSpec({ id: 'svc', audiences: AUD, claims: { constructor: 'x', toString: 1 } });
    assert.deepEqual(c.claims, { constructor: 'x', toString: 1 });
  });

  test('private_key_jwt needs public keys only; secret methods take no keys', async () => {
    const { jwks } = await makeClientKey();
    rejects({ id: 'k', audiences: AUD, authMethod: 'private_key_jwt' }, /jwks: private_key_jwt needs/);
    rejects(
      {
        id: 'k',
        audiences: AUD,
        authMethod: 'private_key_jwt',
        jwks: { keys: [{ ...jwks.keys[0], d: 'secret' }] },
      },
      /jwks\.keys\[0\] \(kid "client-key-1"\): holds private key material \("d"\)/,
      'ERR_CLIENT_KEY_INVALID',
    );
    rejects({ id: 'k', audiences: AUD, jwks }, /jwks: only for private_key_jwt/);
    assert.deepEqual(
      checkClientSpec({ id: 'k', audiences: AUD, authMethod: 'private_key_jwt', jwks }).jwks,
      jwks,
    );
  });
});

describe('checkClientSpec: public and native clients', () => {
  const WEB = { id: 'spa', audiences: AUD, authMethod: 'none' as const };

  test('a public browser app: code flow by default, redirect URIs, web origins sorted', () => {
    const c = checkClientSpec({
      ...WEB,
      redirectUris: ['https://app.example/callback'],
      webOrigins: ['https://app.example', 'http://127.0.0.1:5173'],
    });
    assert.equal(c.authMethod, 'none');
    assert.equal(c.applicationType, 'web');
    assert.deepEqual(c.grantTypes, ['authorization_code']);
    assert.deepEqual(c.webOrigins, ['http://127.0.0.1:5173', 'https://app.example']);
  });

  test('a public client cannot have grants that need client authentication', () => {
    rejects({ ...WEB, grantTypes: ['client_credentials'] }, /client_credentials needs client authentication/);
    rejects(
      { ...WEB, grantTypes: ['device_code', 'token_exchange'], tokenExchange: { audiences: AUD } },
      /token-exchange needs client authentication/,
    );
  });

  test('web origins are bare origins, for public browser apps only', () => {
    const redirectUris = ['https://app.example/cb'];
    for (const origin of [
      'https://app.example/',
      'https://app.example/path',
      'ftp://app.example',
      'null',
      '*',
    ])
      rejects({ ...WEB, redirectUris, webOrigins: [origin] }, /web origins: ".*" is not valid/);
    rejects({ ...WEB, redirectUris, webOrigins: ['http://app.example'] }, /web origins/);
    rejects(
      {
        id: 'web',
        audiences: AUD,
        grantTypes: ['authorization_code'],
        redirectUris,
        webOrigins: ['https://app.example'],
      },
      /web origins: only for a public browser app/,
    );
  });

  test('native apps: loopback IPs on any port, reverse-domain schemes, claimed https (RFC 8252 7)', () => {
    const native = (redirectUris: string[]) => ({
      ...WEB,
      id: 'cli',
      applicationType: 'native' as const,
      redirectUris,
    });
    const ok = [
      'http://127.0.0.1/callback',
      'http://127.0.0.1:8400/callback',
      'http://[::1]/cb',
      'com.example.app:/oauth2redirect',
      'com.example.app:/cb',
      'https://app.example/native-callback',
    ];
    assert.deepEqual(checkClientSpec(native(ok)).redirectUris, ok);
    for (const bad of [
      'http://localhost/callback',
      'http://192.168.1.2/callback',
      'http://user@127.0.0.1/cb',
      'myapp:/callback',
      'javascript:alert(1)',
      'data:text/html,hi',
      'file:///etc/passwd',
      'https://127.0.0.1/cb',
      'com.example.app:/cb#frag',
    ])
      rejects(native([bad]), /redirect URIs: ".*" is not valid/);
    rejects({ ...native([]), webOrigins: ['https://app.example'] }, /redirect URIs|web origins/);
    // A web app does not get private-use schemes.
    rejects({ ...WEB, redirectUris: ['com.example.app:/cb'] }, /redirect URIs/);
  });

  test('the device grant needs no redirect URI and may come with refresh tokens', () => {
    const c = checkClientSpec({
      ...WEB,
      id: 'tv',
      applicationType: 'native',
      grantTypes: ['device_code', 'refresh_token'],
    });
    assert.deepEqual(c.grantTypes, ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token']);
  });
});

describe('checkClientSpec: token exchange policy', () => {
  const SVC = { id: 'orders', audiences: AUD };
  test('the grant type and the policy come together; issuers are URLs', () => {
    const c = checkClientSpec({
      ...SVC,
      grantTypes: ['client_credentials', 'token_exchange'],
      tokenExchange: { audiences: ['https://billing.example'], issuers: ['https://id.example'] },
    });
    assert.ok(c.grantTypes.includes('urn:ietf:params:oauth:grant-type:token-exchange'));
    assert.deepEqual(c.tokenExchange, {
      audiences: ['https://billing.example'],
      issuers: ['https://id.example'],
    });
    rejects({ ...SVC, grantTypes: ['token_exchange'] }, /needs exchange audiences/);
    rejects({ ...SVC, tokenExchange: { audiences: ['https://billing.example'] } }, /add the grant type/);
    rejects(
      { ...SVC, grantTypes: ['token_exchange'], tokenExchange: { audiences: [] } },
      /token exchange audiences: at least one/,
    );
    rejects(
      { ...SVC, grantTypes: ['token_exchange'], tokenExchange: { audiences: AUD, issuers: ['id.example'] } },
      /token exchange issuers: "id.example" is not valid/,
    );
  });
});

describe('checkClientSpec: DPoP', () => {
  const SVC = { id: 'svc', audiences: AUD };
  test('allowed by default, required on request; nothing else; not with token exchange', () => {
    assert.equal(checkClientSpec(SVC).dpop, 'allowed');
    assert.equal(checkClientSpec({ ...SVC, dpop: 'required' }).dpop, 'required');
    rejects({ ...SVC, dpop: 'sometimes' as 'allowed' }, /dpop: expected allowed or required/);
    rejects(
      {
        ...SVC,
        dpop: 'required',
        grantTypes: ['client_credentials', 'token_exchange'],
        tokenExchange: { audiences: AUD },
      },
      /dpop: required cannot come with token_exchange/,
    );
  });
});

describe('client management', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(async () => {
    tmp = tempDir();
    store = await openTempStore(join(tmp.dir, 'c.db'));
  });
  afterEach(async () => {
    await store.close();
    tmp.remove();
  });

  test('add returns a 256-bit secret once and stores its hash; views never carry it', async () => {
    const { client, secret } = await addClient(store, { id: 'svc', audiences: AUD, roles: ['r'] }, 'test');
    assert.match(secret as string, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(secret as string, 'base64url').length, 32);
    const record = await store.clients.get('svc');
    assert.ok(verifyClientSecret(secret as string, record?.secretHash as string));
    assert.ok(!JSON.stringify(client).includes('sha256:'));
    assert.deepEqual(
      (await listClients(store)).map((c) => c.id),
      ['svc'],
    );
    assert.equal((await showClient(store, 'svc')).auth_method, 'client_secret_basic');
    await assert.rejects(addClient(store, { id: 'svc', audiences: AUD }, 'test'), {
      code: 'ERR_CLIENT_EXISTS',
    });
  });

  test('a private_key_jwt client gets no secret', async () => {
    const { jwks } = await makeClientKey();
    const { secret } = await addClient(
      store,
      { id: 'k', audiences: AUD, authMethod: 'private_key_jwt', jwks },
      'test',
    );
    assert.equal(secret, null);
    assert.equal((await store.clients.get('k'))?.secretHash, null);
    await assert.rejects(rotateClientSecret(store, 'k', 'test'), /has no secret/);
  });

  test('a public client never gets a secret, and has none to rotate', async () => {
    const { secret, client } = await addClient(
      store,
      {
        id: 'spa',
        audiences: AUD,
        authMethod: 'none',
        redirectUris: ['https://app.example/cb'],
        webOrigins: ['https://app.example'],
      },
      'test',
    );
    assert.equal(secret, null);
    assert.equal((await store.clients.get('spa'))?.secretHash, null);
    assert.deepEqual(client.web_origins, ['https://app.example']);
    assert.equal(client.application_type, 'web');
    await assert.rejects(rotateClientSecret(store, 'spa', 'test'), /public client .* no secret/);
  });

  test('update edits origins, application type and exchange policy, checked as on create', async () => {
    await addClient(
      store,
      { id: 'spa', audiences: AUD, authMethod: 'none', redirectUris: ['https://app.example/cb'] },
      'test',
    );
    const edited = await updateClient(store, 'spa', { webOrigins: ['https://app.example'] }, 'test');
    assert.deepEqual(edited.web_origins, ['https://app.example']);
    await assert.rejects(
      updateClient(store, 'spa', { webOrigins: ['https://app.example/x'] }, 'test'),
      /web origins/,
    );
    await assert.rejects(
      updateClient(store, 'spa', { applicationType: 'native' }, 'test'),
      /web origins: only for a public browser app/,
    );
    const native = await updateClient(
      store,
      'spa',
      { applicationType: 'native', webOrigins: [], redirectUris: ['http://127.0.0.1/cb'] },
      'test',
    );
    assert.equal(native.application_type, 'native');
    assert.deepEqual(native.web_origins, []);

    await addClient(store, { id: 'svc', audiences: AUD }, 'test');
    const exchanging = await updateClient(
      store,
      'svc',
      { grantTypes: ['client_credentials', 'token_exchange'], tokenExchange: { audiences: AUD } },
      'test',
    );
    assert.deepEqual(exchanging.token_exchange, { audiences: AUD, issuers: [] });
    const kept = await updateClient(store, 'svc', { name: 'Orders' }, 'test');
    assert.deepEqual(kept.token_exchange, { audiences: AUD, issuers: [] }, 'undefined keeps the policy');
    const dropped = await updateClient(
      store,
      'svc',
      { grantTypes: ['client_credentials'], tokenExchange: null },
      'test',
    );
    assert.equal(dropped.token_exchange, null);
    const required = await updateClient(store, 'svc', { dpop: 'required' }, 'test');
    assert.equal(required.dpop, 'required');
    assert.equal((await updateClient(store, 'svc', { name: 'Orders 2' }, 'test')).dpop, 'required');
    assert.equal((await updateClient(store, 'svc', { dpop: 'allowed' }, 'test')).dpop, 'allowed');
  });

  test('rotate-secret: the new secret matches, the old does not; remove; every change audited', async () => {
    const { secret: old } = await addClient(store, { id: 'svc', audiences: AUD }, 'test');
    const { secret } = await rotateClientSecret(store, 'svc', 'admin-api');
    const hash = (await store.clients.get('svc'))?.secretHash as string;
    assert.ok(verifyClientSecret(secret, hash));
    assert.ok(!verifyClientSecret(old as string, hash));
    await removeClient(store, 'svc', 'cli');
    await assert.rejects(showClient(store, 'svc'), { code: 'ERR_CLIENT_NOT_FOUND' });
    await assert.rejects(removeClient(store, 'svc', 'cli'), { code: 'ERR_CLIENT_NOT_FOUND' });
    const events = (await store.audit.recent(10)).map((e) => `${e.type}:${e.actor}:${e.subject}`);
    assert.deepEqual(events, [
      'client.removed:cli:svc',
      'client.secret_rotated:admin-api:svc',
      'client.created:test:svc',
    ]);
    const text = JSON.stringify(await store.audit.recent(10));
    assert.ok(!text.includes(secret) && !text.includes(old as string) && !text.includes('sha256:'));
  });
});
