import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMemoryReplayCache } from '../../src/dpop/replay-cache.ts';

describe('createMemoryReplayCache', () => {
  test('an id is new once, then a replay until it expires', () => {
    const c = createMemoryReplayCache();
    assert.equal(c.remember('a', 2000, 1000), true);
    assert.equal(c.remember('a', 2000, 1500), false);
    // Past its expiry the proof's iat is outside the window anyway; the id may be taken again.
    assert.equal(c.remember('a', 4000, 2000), true);
    assert.equal(c.remember('a', 4000, 2500), false);
  });

  test('bounded: full of live ids, it forgets the oldest and refuses every proof expiring no later', () => {
    const c = createMemoryReplayCache({ maxEntries: 3 });
    for (const [id, until] of [
      ['a', 5000],
      ['b', 6000],
      ['c', 7000],
    ] as const)
      assert.equal(c.remember(id, until, 1000), true);
    assert.equal(c.remember('d', 8000, 1000), true);
    assert.equal(c.size, 3);
    // 'a' was forgotten while live: replaying it must still fail, and so must anything as old.
    assert.equal(c.remember('a', 5000, 1000), false);
    assert.equal(c.remember('e', 4000, 1000), false);
    assert.equal(c.remember('f', 5001, 1000), true);
  });

  test('expired ids make room without narrowing the window', () => {
    const c = createMemoryReplayCache({ maxEntries: 2 });
    c.remember('a', 2000, 1000);
    c.remember('b', 2000, 1000);
    assert.equal(c.remember('c', 9000, 2500), true);
    assert.equal(c.remember('d', 2600, 2500), true);
    assert.equal(c.size, 2);
  });

  test('a flood stays within maxEntries', () => {
    const c = createMemoryReplayCache({ maxEntries: 1000 });
    for (let i = 0; i < 20_000; i++) c.remember(`id-${i}`, 1_000_000 + i, 1000);
    assert.ok(c.size <= 1000);
    assert.equal(c.remember('id-19999', 1_019_999, 1000), false);
  });
});
