import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Client, KoaContext } from 'oidc-provider';
import { toClientMetadata, tokenProfileOf } from '../../../src/issuer/oidc/client-metadata.ts';
import { isUserFlow, rolesFor, userResourceServerInfo } from '../../../src/issuer/oidc/user-flows.ts';
import type { ClientRecord, UserRecord } from '../../../src/store/types.ts';

const record: ClientRecord = {
  id: 'webapp',
  name: 'Web App',
  secretHash: 'sha256:x',
  authMethod: 'client_secret_basic',
  jwks: null,
  grantTypes: ['authorization_code', 'refresh_token', 'urn:other'],
  redirectUris: ['https://app.example/cb'],
  scopes: ['invoices:read'],
  roles: ['svc'],
  audiences: ['https://billing.example'],
  claims: {},
  disabled: false,
  createdAt: 0,
  updatedAt: 0,
};

const ctx = (params: Record<string, unknown>, route = 'authorization') =>
  ({ oidc: { route, params } }) as unknown as KoaContext;

describe('user flows', () => {
  test('client metadata: the code flow only with authorization_code and redirect URIs', () => {
    const m = toClientMetadata(record);
    assert.deepEqual(m.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(m.response_types, ['code']);
    assert.deepEqual(m.redirect_uris, ['https://app.example/cb']);
    assert.deepEqual(m.post_logout_redirect_uris, ['https://app.example/cb']);
    const noUris = toClientMetadata({ ...record, redirectUris: [] });
    assert.deepEqual(noUris.grant_types, []);
    assert.deepEqual(noUris.response_types, []);
    const cc = toClientMetadata({ ...record, grantTypes: ['client_credentials'] });
    assert.deepEqual(cc.grant_types, ['client_credentials']);
    assert.deepEqual(cc.redirect_uris, []);
  });

  test('roles: the client-specific ones and those for every client, once each', () => {
    const user = {
      roles: { webapp: ['billing', 'staff'], '*': ['staff', 'all'], other: ['x'] },
    } as unknown as UserRecord;
    assert.deepEqual(rolesFor(user, 'webapp'), ['billing', 'staff', 'all']);
    assert.deepEqual(rolesFor(user, 'nobody'), ['staff', 'all']);
  });

  test('only client credentials token requests are not user flows', () => {
    assert.equal(isUserFlow(ctx({ grant_type: 'client_credentials' }, 'token')), false);
    assert.equal(isUserFlow(ctx({ grant_type: 'refresh_token' }, 'token')), true);
    assert.equal(isUserFlow(ctx({ response_type: 'code' })), true);
  });

  test('resource server: API scopes plus OpenID scopes; other scopes and audiences refused', () => {
    const client = { clientId: 'webapp', ...toClientMetadata(record) } as unknown as Client;
    assert.deepEqual(tokenProfileOf(client).audiences, ['https://billing.example']);
    const key = { alg: 'ES256', kid: 'k1' };
    const info = userResourceServerInfo(
      ctx({ scope: 'openid offline_access invoices:read' }),
      'https://billing.example',
      client,
      key,
      300,
    );
    assert.equal(info.scope, 'invoices:read openid profile email');
    assert.equal(info.accessTokenFormat, 'jwt');
    assert.throws(
      () =>
        userResourceServerInfo(ctx({ scope: 'openid admin' }), 'https://billing.example', client, key, 300),
      {
        error: 'invalid_scope',
      },
    );
    assert.throws(() => userResourceServerInfo(ctx({}), 'https://other.example', client, key, 300), {
      error: 'invalid_target',
    });
  });
});
