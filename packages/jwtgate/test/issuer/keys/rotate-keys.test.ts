import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { ensureSigningKey, rotateKeys } from '../../../src/issuer/keys/rotate-keys.ts';
import type { Store } from '../../../src/store/types.ts';
import { openTempStore, tempDir } from '../helpers.ts';

const NOW = 1_800_000_000_000;

describe('rotateKeys / ensureSigningKey', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  beforeEach(async () => {
    tmp = tempDir();
    store = await openTempStore(join(tmp.dir, 'k.db'));
  });
  afterEach(async () => {
    await store.close();
    tmp.remove();
  });

  test('ensureSigningKey creates a current key once', async () => {
    const opts = { alg: 'ES256' as const, now: NOW, kek: null, actor: 'test', retentionMs: 1000 };
    const created = await ensureSigningKey(store, opts);
    assert.equal(created?.state, 'current');
    assert.equal(await ensureSigningKey(store, opts), undefined);
    assert.equal((await store.keys.list()).length, 1);
  });

  test('rotateKeys stores a next key activating after the pre-publication time, audited', async () => {
    const key = await rotateKeys(store, {
      alg: 'RS256',
      prePublishMs: 5000,
      now: NOW,
      kek: null,
      actor: 'cli',
    });
    assert.equal(key.state, 'next');
    assert.equal(key.activatesAt, NOW + 5000);
    const [stored] = await store.keys.list();
    assert.equal(stored?.kid, key.kid);
    const [event] = await store.audit.recent(1);
    assert.equal(event?.type, 'key.rotated');
    assert.equal(event?.actor, 'cli');
    assert.equal(event?.subject, key.kid);
    assert.ok(!JSON.stringify(event).includes('"d"'));
  });
});
