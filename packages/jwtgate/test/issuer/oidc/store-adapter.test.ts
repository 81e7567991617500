import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createStoreAdapter } from '../../../src/issuer/oidc/store-adapter.ts';
import { openTempStore, registerClient, tempDir } from '../helpers.ts';

describe('createStoreAdapter', () => {
  test('Client reads the store (disabled clients do not exist); other models persist in it', async () => {
    const tmp = tempDir();
    const store = await openTempStore(join(tmp.dir, 'a.db'));
    try {
      await registerClient(store, { id: 'svc' });
      await registerClient(store, { id: 'off' });
      await store.clients.update('off', { disabled: true });
      const Adapter = createStoreAdapter(store);
      const clients = new Adapter('Client');
      assert.equal((await clients.find('svc'))?.client_id, 'svc');
      assert.equal(await clients.find('off'), undefined);
      assert.equal(await clients.find('nobody'), undefined);
      await assert.rejects(clients.upsert('x', {}, undefined), /not written through oidc-provider/);

      const replay = new Adapter('ReplayDetection');
      await replay.upsert('jti-1', { iat: 1 }, 60);
      // A second adapter instance (a rebuilt Provider) sees the same entry.
      assert.deepEqual(await new Adapter('ReplayDetection').find('jti-1'), { iat: 1 });
      await replay.destroy('jti-1');
      assert.equal(await replay.find('jti-1'), undefined);
    } finally {
      await store.close();
      tmp.remove();
    }
  });
});
