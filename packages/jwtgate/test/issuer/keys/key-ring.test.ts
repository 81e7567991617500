import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { KeyRing, type KeyRingOptions, type KeySnapshot } from '../../../src/issuer/keys/key-ring.ts';
import { rotateKeys } from '../../../src/issuer/keys/rotate-keys.ts';
import type { Store } from '../../../src/store/types.ts';
import { openTempStore, tempDir } from '../helpers.ts';

const START = 1_800_000_000_000;

describe('KeyRing', () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: Store;
  let now: number;
  let rings: KeyRing[];

  const ring = (o: Partial<KeyRingOptions> = {}) => {
    const r = new KeyRing({
      store,
      alg: 'ES256',
      prePublishMs: 60_000,
      retentionMs: 360_000,
      rotateEveryMs: null,
      kek: null,
      pollMs: 3_600_000,
      now: () => now,
      onError: (err) => {
        throw err;
      },
      ...o,
    });
    rings.push(r);
    return r;
  };

  beforeEach(async () => {
    tmp = tempDir();
    now = START;
    store = await openTempStore(join(tmp.dir, 'keys.db'), () => now);
    rings = [];
  });
  afterEach(async () => {
    await Promise.all(rings.map((r) => r.stop()));
    await store.close();
    tmp.remove();
  });

  test('the first start creates one current key; a second ring on the store reuses it', async () => {
    const a = await ring().start();
    assert.equal(a.records.length, 1);
    assert.equal(a.records[0]?.state, 'current');
    assert.equal(a.privateJwks[0]?.kid, a.records[0]?.kid);
    assert.ok(a.privateJwks[0]?.d, 'the private half is there to sign with');
    assert.equal(a.publicJwks.keys[0]?.d, undefined);
    const b = await ring().start();
    assert.equal(b.id, a.id);
    const [event] = await store.audit.recent(5, ['key.created']);
    assert.equal(event?.subject, a.records[0]?.kid);
  });

  test('a rotation made elsewhere is picked up, signs at its time, and the old key retires after the retention', async () => {
    const r = ring();
    const snapshots: KeySnapshot[] = [];
    r.onChange((s) => snapshots.push(s));
    const first = await r.start();
    const oldKid = first.records[0]?.kid as string;
    // Another process (the CLI) rotates.
    const next = await rotateKeys(store, {
      alg: 'ES256',
      prePublishMs: 60_000,
      now,
      kek: null,
      actor: 'cli',
    });
    await r.refresh();
    assert.deepEqual(
      r.snapshot().records.map((k) => k.kid),
      [oldKid, next.kid],
      'published before it signs',
    );
    assert.equal(r.signingKey().kid, oldKid);
    now = START + 60_000;
    // No refresh needed to switch: the signing key follows the clock.
    assert.equal(r.signingKey().kid, next.kid);
    await r.refresh();
    const states = Object.fromEntries((await store.keys.list()).map((k) => [k.kid, [k.state, k.removeAt]]));
    assert.deepEqual(states, {
      [oldKid]: ['retiring', START + 60_000 + 360_000],
      [next.kid]: ['current', null],
    });
    now = START + 60_000 + 359_999;
    await r.refresh();
    assert.equal(r.snapshot().records.length, 2);
    now = START + 60_000 + 360_000;
    await r.refresh();
    assert.deepEqual(
      r.snapshot().records.map((k) => k.kid),
      [next.kid],
    );
    const retired = (await store.keys.list()).find((k) => k.kid === oldKid);
    assert.equal(retired?.state, 'retired');
    assert.equal(retired?.privateJwk, '');
    // One snapshot per change of the published set: start, next published, next signs (listed first), old removed.
    assert.deepEqual(
      snapshots.map((s) => s.records.map((k) => k.kid)),
      [[oldKid], [oldKid, next.kid], [next.kid, oldKid], [next.kid]],
    );
    const audit = (await store.audit.recent(10)).map((e) => `${e.type} ${e.subject}`);
    assert.ok(audit.includes(`key.activated ${next.kid}`));
    assert.ok(audit.includes(`key.retired ${oldKid}`));
  });

  test('scheduled rotation: a next key is published one pre-publication time before the period ends', async () => {
    const r = ring({ rotateEveryMs: 86_400_000 });
    const first = await r.start();
    now = START + 86_400_000 - 60_000 - 1;
    await r.refresh();
    assert.equal(r.snapshot().records.length, 1);
    now += 1;
    await r.refresh();
    const published = r.snapshot().records;
    assert.equal(published.length, 2);
    assert.equal(published[1]?.state, 'next');
    assert.equal(published[1]?.activatesAt, START + 86_400_000);
    // Only one rotation is started while one is pending.
    await r.refresh();
    assert.equal((await store.keys.list()).length, 2);
    assert.notEqual(published[1]?.kid, first.records[0]?.kid);
  });

  test('a configured algorithm different from the signing key rotates to it, with pre-publication', async () => {
    await ring({ alg: 'ES256' }).start();
    const r = ring({ alg: 'EdDSA' });
    await r.start();
    const published = r.snapshot().records;
    assert.deepEqual(
      published.map((k) => [k.alg, k.state]),
      [
        ['ES256', 'current'],
        ['EdDSA', 'next'],
      ],
    );
    now += 60_000;
    assert.equal(r.signingKey().alg, 'EdDSA');
  });

  test('private keys are encrypted at rest with a KEK, and cannot be loaded without it', async () => {
    const kek = Buffer.alloc(32, 1);
    const snapshot = await ring({ kek }).start();
    const [stored] = await store.keys.list();
    assert.ok(stored?.privateJwk.startsWith('enc:v1:'));
    assert.ok(snapshot.privateJwks[0]?.d);
    await assert.rejects(ring({ kek: null }).start(), /JWTGATE_KEY_ENCRYPTION_KEY is not set/);
    await assert.rejects(ring({ kek: Buffer.alloc(32, 2) }).start(), /cannot decrypt/);
  });
});
