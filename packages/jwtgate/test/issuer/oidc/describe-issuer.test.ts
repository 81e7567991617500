import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeIssuer } from '../../../src/issuer/oidc/describe-issuer.ts';

describe('describeIssuer', () => {
  test('drops what is not served, keeps the rest, describes revocation and introspection auth', () => {
    const out = describeIssuer({
      issuer: 'https://auth.example',
      pushed_authorization_request_endpoint: 'https://auth.example/request',
      request_parameter_supported: false,
      request_uri_parameter_supported: false,
      response_types_supported: ['code'],
      token_endpoint: 'https://auth.example/token',
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256'],
      grant_types_supported: ['client_credentials'],
    });
    assert.deepEqual(out, {
      issuer: 'https://auth.example',
      response_types_supported: ['code'],
      token_endpoint: 'https://auth.example/token',
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      token_endpoint_auth_signing_alg_values_supported: ['ES256'],
      grant_types_supported: ['client_credentials'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic'],
      revocation_endpoint_auth_signing_alg_values_supported: ['ES256'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      introspection_endpoint_auth_signing_alg_values_supported: ['ES256'],
    });
  });
});
