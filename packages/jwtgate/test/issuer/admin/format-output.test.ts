import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatClient,
  formatClients,
  formatKeys,
  formatRevocation,
  formatSecret,
} from '../../../src/issuer/admin/format-output.ts';

describe('CLI text output', () => {
  test('tables are aligned, empty lists say so', () => {
    assert.equal(formatClients([]), '(none)\n');
    const text = formatKeys([
      {
        kid: 'k1',
        alg: 'ES256',
        state: 'current',
        created_at: 'c',
        activates_at: 'a',
        remove_at: null,
        encrypted: true,
      },
      {
        kid: 'longer-kid',
        alg: 'EdDSA',
        state: 'retired',
        created_at: 'c',
        activates_at: 'a',
        remove_at: 'r',
        encrypted: false,
      },
    ]);
    const [header, first, second] = text.split('\n');
    assert.equal(header?.indexOf('ALG'), first?.indexOf('ES256'));
    assert.equal(first?.indexOf('ES256'), second?.indexOf('EdDSA'));
    assert.match(first as string, /encrypted$/);
    assert.match(second as string, /retired .* r +-$/);
  });

  test('a client shows its application type, web origins and exchange policy', () => {
    const text = formatClient({
      id: 'spa',
      name: 'spa',
      auth_method: 'none',
      scopes: [],
      roles: [],
      audiences: ['https://api.example'],
      claims: {},
      jwks: null,
      grant_types: ['authorization_code'],
      redirect_uris: ['https://spa.example/cb'],
      application_type: 'web',
      web_origins: ['https://spa.example'],
      token_exchange: { audiences: ['https://billing.example'], issuers: [] },
      disabled: false,
      created_at: 'c',
      updated_at: 'u',
    });
    assert.match(text, /^auth method: +none$/m);
    assert.match(text, /^web origins: +https:\/\/spa\.example$/m);
    assert.match(text, /^exchange: +to https:\/\/billing\.example; issuers this issuer$/m);
  });

  test('a secret is printed with the warning that it is shown once', () => {
    assert.match(
      formatSecret('svc', 'S3CRET', true),
      /^client svc created\nclient_secret: S3CRET\nStore it now/,
    );
    assert.match(formatSecret('svc', 'S3CRET', false), /old one no longer works/);
    assert.equal(
      formatRevocation({ seq: 4, jti: 'j', exp: 0, revokedAt: 0 }),
      'revoked j until 1970-01-01T00:00:00.000Z (feed seq 4)\n',
    );
  });
});
