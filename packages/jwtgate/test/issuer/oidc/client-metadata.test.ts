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
      client_secret: 'sha256:abc',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      jwtgate_scopes: ['read'],
      jwtgate_roles: ['r'],
      jwtgate_audiences: ['https://api.example'],
      jwtgate_claims: { team: 'x' },
    });
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
    });
    assert.deepEqual(tokenProfileOf({ jwtgate_roles: [1, 'a'], jwtgate_claims: [] }), {
      scopes: [],
      roles: ['a'],
      audiences: [],
      claims: {},
    });
  });
});
