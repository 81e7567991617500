import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { listKeys, startRotation } from '../../../src/issuer/admin/manage-keys.ts';
import { ensureSigningKey } from '../../../src/issuer/keys/rotate-keys.ts';
import { openTempStore, tempDir } from '../helpers.ts';

const NOW = 1_800_000_000_000;

describe('key management', () => {
  test('startRotation defaults to the current algorithm and lists newest first, never private parts', async () => {
    const tmp = tempDir();
    const store = await openTempStore(join(tmp.dir, 'k.db'));
    try {
      await ensureSigningKey(store, { alg: 'EdDSA', now: NOW, kek: null, actor: 'test', retentionMs: 1 });
      const next = await startRotation(store, {
        prePublishSeconds: 10,
        kek: Buffer.alloc(32, 3),
        actor: 'cli',
        now: NOW,
      });
      assert.equal(next.alg, 'EdDSA');
      assert.equal(next.state, 'next');
      assert.equal(next.activates_at, new Date(NOW + 10_000).toISOString());
      assert.equal(next.encrypted, true);
      const keys = await listKeys(store);
      assert.deepEqual(
        keys.map((k) => k.state),
        ['next', 'current'],
      );
      assert.equal(keys[1]?.encrypted, false);
      assert.ok(!JSON.stringify(keys).includes('"d"'));
      await assert.rejects(
        startRotation(store, { alg: 'HS256', prePublishSeconds: 1, kek: null, actor: 'cli', now: NOW }),
        {
          code: 'ERR_ADMIN_REQUEST_INVALID',
        },
      );
      await assert.rejects(
        startRotation(store, { prePublishSeconds: -1, kek: null, actor: 'cli', now: NOW }),
        /pre-publication/,
      );
    } finally {
      await store.close();
      tmp.remove();
    }
  });
});

describe('key management with encrypted keys', () => {
  test('a rotation without the key encryption key is refused when the store holds encrypted keys', async () => {
    const tmp = tempDir();
    const store = await openTempStore(join(tmp.dir, 'k.db'));
    try {
      await ensureSigningKey(store, {
        alg: 'ES256',
        now: NOW,
        kek: Buffer.alloc(32, 7),
        actor: 'test',
        retentionMs: 1,
      });
      await assert.rejects(
        startRotation(store, { prePublishSeconds: 10, kek: null, actor: 'cli', now: NOW }),
        /encrypted: set JWTGATE_KEY_ENCRYPTION_KEY/,
      );
      const next = await startRotation(store, {
        prePublishSeconds: 10,
        kek: Buffer.alloc(32, 7),
        actor: 'cli',
        now: NOW,
      });
      assert.equal(next.encrypted, true);
    } finally {
      await store.close();
      tmp.remove();
    }
  });
});
