import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toClientMetadata, tokenProfileOf } from '../../../src/issuer/oidc/client-metadata.ts';
import type { ClientRecord } from '../../../src/store/types.ts';

const record: ClientRecord = {
  id: 'svc',
  name: 'Service',
  secretHash: 'sha256:abc',
  authMethod: 'client_secret_post',
  jwks: null,
  grantTypes: ['client_credentials'],
  redirectUris: [],
  scopes: ['read'],
  roles: ['r'],
  audiences: ['https://api.example'],
  claims: { team: 'x' },
  disabled: false,
  createdAt: 1,
  updatedAt: 2,
};

describe('toClientMetadata', () => {
  test('a client-credentials-only client; the hash goes where oidc-provider compares secrets', () => {
    assert.deepEqual(toClientMetadata(record), {
      client_id: 'svc',
      client_name: 'Service',
      application_type: 'web',
      client_secret: 'sha256:abc',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      jwtgate_scopes: ['read'],
      jwtgate_roles: ['r'],
      jwtgate_audiences: ['https://api.example'],
      jwtgate_claims: { team: 'x' },
      jwtgate_web_origins: [],
      jwtgate_token_exchange: null,
    });
  });

  test('a public browser app: no secret, code flow, its web origins', () => {
    const m = toClientMetadata({
      ...record,
      authMethod: 'none',
      secretHash: 'sha256:stale',
      grantTypes: ['authorization_code', 'refresh_token'],
      redirectUris: ['https://app.example/cb'],
      webOrigins: ['https://app.example'],
    });
    assert.equal(m.client_secret, undefined, 'a public client never carries a secret');
    assert.equal(m.token_endpoint_auth_method, 'none');
    assert.deepEqual(m.grant_types, ['authorization_code', 'refresh_token']);
    assert.deepEqual(m.response_types, ['code']);
    assert.deepEqual(m.jwtgate_web_origins, ['https://app.example']);
  });

  test('a native device client: the device grant and refresh tokens, no redirect', () => {
    const m = toClientMetadata({
      ...record,
      authMethod: 'none',
      secretHash: null,
      applicationType: 'native',
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    });
    assert.equal(m.application_type, 'native');
    assert.deepEqual(m.grant_types, ['refresh_token', 'urn:ietf:params:oauth:grant-type:device_code']);
    assert.deepEqual(m.redirect_uris, []);
  });

  test('a token exchange policy travels in the metadata', () => {
    const tokenExchange = { audiences: ['https://billing.example'], issuers: [] };
    const m = toClientMetadata({
      ...record,
      grantTypes: ['client_credentials', 'urn:ietf:params:oauth:grant-type:token-exchange'],
      tokenExchange,
    });
    assert.ok((m.grant_types as string[]).includes('urn:ietf:params:oauth:grant-type:token-exchange'));
    assert.deepEqual(tokenProfileOf(m).tokenExchange, tokenExchange);
  });

  test('private_key_jwt: the public keys, no secret', () => {
    const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'X' }] };
    const m = toClientMetadata({ ...record, authMethod: 'private_key_jwt', secretHash: null, jwks });
    assert.equal(m.client_secret, undefined);
    assert.deepEqual(m.jwks, jwks);
  });

  test('tokenProfileOf reads the token contents back, defensively', () => {
    assert.deepEqual(tokenProfileOf(toClientMetadata(record)), {
      scopes: ['read'],
      roles: ['r'],
      audiences: ['https://api.example'],
      claims: { team: 'x' },
      webOrigins: [],
      tokenExchange: null,
    });
    assert.deepEqual(tokenProfileOf({ jwtgate_roles: [1, 'a'], jwtgate_claims: [] }), {
      scopes: [],
      roles: ['a'],
      audiences: [],
      claims: {},
      webOrigins: [],
      tokenExchange: null,
    });
  });
});
