import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isConnectionError,
  isStoreUnavailable,
  StoreUnavailableError,
} from '../../src/store/store-unavailable.ts';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('store unavailability', () => {
  test('connection-class failures are told from statement failures', () => {
    for (const code of ['08006', '08001', '57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET'])
      assert.equal(isConnectionError(withCode(code)), true, code);
    assert.equal(isConnectionError(new Error('Connection terminated unexpectedly')), true);
    assert.equal(isConnectionError(new Error('timeout exceeded when trying to connect')), true);
    for (const code of ['23505', '42P01', '22P02', '40001', '57014'])
      assert.equal(isConnectionError(withCode(code)), false, code);
    assert.equal(isConnectionError('ECONNREFUSED'), false, 'only errors');
  });

  test('StoreUnavailableError keeps its cause and is found through a chain of causes', () => {
    const cause = withCode('57P01', 'terminating connection due to administrator command');
    const err = new StoreUnavailableError(cause);
    assert.equal(err.code, 'ERR_STORE_UNAVAILABLE');
    assert.equal(err.cause, cause);
    assert.match(err.message, /unreachable: terminating connection/);
    assert.equal(isStoreUnavailable(err), true);
    assert.equal(
      isStoreUnavailable(new Error('wrapped', { cause: new Error('again', { cause: err }) })),
      true,
    );
    assert.equal(isStoreUnavailable(cause), false, 'a raw driver error is not classified by itself');
    assert.equal(isStoreUnavailable(undefined), false);
  });
});
