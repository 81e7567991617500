import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { ERROR_CODES } from '@jwtgate/verify';
import { GATEWAY_ERROR_CODES } from '../../src/gateway/errors.ts';
import { ISSUER_ERROR_CODES, IssuerError, type IssuerErrorCode } from '../../src/issuer/errors.ts';

const CODES = Object.keys(ISSUER_ERROR_CODES) as IssuerErrorCode[];

describe('ISSUER_ERROR_CODES', () => {
  test('statuses', () => {
    assert.deepEqual(Object.fromEntries(CODES.map((c) => [c, ISSUER_ERROR_CODES[c].status])), {
      ERR_ISSUER_CONFIG: 500,
      ERR_CLIENT_INVALID: 400,
      ERR_CLIENT_NOT_FOUND: 404,
      ERR_CLIENT_KEY_INVALID: 400,
      ERR_CLIENT_EXISTS: 409,
      ERR_USER_INVALID: 400,
      ERR_USER_NOT_FOUND: 404,
      ERR_USER_EXISTS: 409,
      ERR_FACTOR_INVALID: 400,
      ERR_FACTOR_NOT_FOUND: 404,
      ERR_ADMIN_UNAUTHORIZED: 401,
      ERR_ADMIN_REQUEST_INVALID: 400,
      ERR_ADMIN_PATH_INVALID: 400,
      ERR_ADMIN_NOT_FOUND: 404,
      ERR_STORE_UNAVAILABLE: 503,
    });
  });

  test('no code clashes with the verify core or the gateway', () => {
    for (const code of CODES) {
      assert.ok(!Object.hasOwn(ERROR_CODES, code), code);
      assert.ok(!Object.hasOwn(GATEWAY_ERROR_CODES, code), code);
    }
  });

  test('every code is documented in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of [...CODES, 'ERR_TOO_MANY_SUBSCRIBERS'])
      assert.match(doc, new RegExp(`\`${code}\``), code);
  });

  test('IssuerError carries code, status and the detail', () => {
    const err = new IssuerError('ERR_CLIENT_NOT_FOUND', 'no client x');
    assert.equal(err.name, 'IssuerError');
    assert.equal(err.status, 404);
    assert.equal(err.message, 'no client x');
    assert.equal(new IssuerError('ERR_CLIENT_EXISTS').message, 'A client with this id already exists');
  });
});
