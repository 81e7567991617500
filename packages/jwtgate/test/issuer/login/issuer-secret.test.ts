import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadIssuerSecrets } from '../../../src/issuer/login/issuer-secret.ts';
import { openStore } from '../../../src/issuer/open-store.ts';
import { openTempStore, tempDir } from '../helpers.ts';
import { createScratch, probePostgres, skipWithout } from '../postgres-helpers.ts';

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

const problem = await probePostgres();
if (problem !== null) skipWithout('issuer secret on PostgreSQL', [`PostgreSQL not reachable (${problem})`]);
else
  describe('loadIssuerSecrets on PostgreSQL', () => {
    test('replicas starting at once on an empty database agree on one secret', async () => {
      const scratch = await createScratch('secret');
      const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(scratch.storeUrl())));
      try {
        const loaded = await Promise.all(stores.map((s) => loadIssuerSecrets(s)));
        for (const l of loaded) assert.deepEqual(l, loaded[0]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
        await scratch.drop();
      }
    });
  });
