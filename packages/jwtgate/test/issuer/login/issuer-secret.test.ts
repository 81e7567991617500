import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadIssuerSecrets } from '../../../src/issuer/login/issuer-secret.ts';
import { openTempStore, tempDir } from '../helpers.ts';

describe('loadIssuerSecrets', () => {
  test('made once, then the same for every load; derived keys differ per use', async () => {
    const tmp = tempDir();
    const store = await openTempStore(join(tmp.dir, 's.db'));
    try {
      const a = await loadIssuerSecrets(store);
      const b = await loadIssuerSecrets(store);
      assert.deepEqual(a, b);
      assert.equal(a.csrfKey.length, 32);
      assert.notEqual(a.cookieKeys[0], a.csrfKey.toString('base64url'));
    } finally {
      await store.close();
      tmp.remove();
    }
  });
});
