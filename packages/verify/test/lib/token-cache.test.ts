import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CacheEntry, TokenCache } from '../../src/lib/token-cache.ts';

const entry = (value: string, extra: Partial<CacheEntry<string>> = {}): CacheEntry<string> => ({
  value,
  validUntilMs: 10_000,
  jti: undefined,
  bytes: 100,
  ...extra,
});

const big = { maxEntries: 1000, maxBytes: 1_000_000 };

describe('TokenCache', () => {
  test('returns a stored entry until validUntilMs (exclusive), then drops it', () => {
    const cache = new TokenCache<string>(big);
    const e = entry('v', { validUntilMs: 5000 });
    cache.set('t', e);
    assert.equal(cache.get('t', 0), e);
    assert.equal(cache.get('t', 4999), e);
    assert.equal(cache.get('t', 5000), undefined);
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
    // Dropped, not just hidden: going back in time does not revive it.
    assert.equal(cache.get('t', 0), undefined);
  });

  test('keys are whole token strings', () => {
    const cache = new TokenCache<string>(big);
    cache.set('a.b.c', entry('v'));
    assert.equal(cache.get('a.b.C', 0), undefined);
    assert.equal(cache.get('a.b.c ', 0), undefined);
    assert.equal(cache.get('a.b.c', 0)?.value, 'v');
  });

  test('maxEntries evicts oldest-inserted first; reads do not refresh', () => {
    const cache = new TokenCache<string>({ maxEntries: 3, maxBytes: 1_000_000 });
    for (const t of ['t1', 't2', 't3']) cache.set(t, entry(t));
    assert.equal(cache.get('t1', 0)?.value, 't1');
    cache.set('t4', entry('t4'));
    assert.equal(cache.size, 3);
    assert.equal(cache.get('t1', 0), undefined);
    assert.deepEqual(
      ['t2', 't3', 't4'].map((t) => cache.get(t, 0)?.value),
      ['t2', 't3', 't4'],
    );
  });

  test('maxBytes evicts oldest until the total fits, and tracks bytes exactly', () => {
    const cache = new TokenCache<string>({ maxEntries: 1000, maxBytes: 1000 });
    cache.set('t1', entry('t1', { bytes: 400 }));
    cache.set('t2', entry('t2', { bytes: 400 }));
    assert.equal(cache.bytes, 800);
    cache.set('t3', entry('t3', { bytes: 500 }));
    // 1300 > 1000: t1 goes (900), which fits.
    assert.equal(cache.bytes, 900);
    assert.equal(cache.get('t1', 0), undefined);
    assert.ok(cache.get('t2', 0));
    cache.set('t4', entry('t4', { bytes: 1000 }));
    assert.equal(cache.size, 1);
    assert.equal(cache.bytes, 1000);
    assert.ok(cache.get('t4', 0));
  });

  test('an entry larger than maxBytes is not stored and evicts nothing', () => {
    const cache = new TokenCache<string>({ maxEntries: 10, maxBytes: 1000 });
    cache.set('small', entry('s', { bytes: 600 }));
    cache.set('huge', entry('h', { bytes: 1001 }));
    assert.equal(cache.get('huge', 0), undefined);
    assert.equal(cache.get('small', 0)?.value, 's');
    assert.equal(cache.bytes, 600);
  });

  test('setting the same token again replaces it without double counting', () => {
    const cache = new TokenCache<string>(big);
    cache.set('t', entry('old', { bytes: 300, jti: 'j-old' }));
    cache.set('t', entry('new', { bytes: 200, jti: 'j-new' }));
    assert.equal(cache.size, 1);
    assert.equal(cache.bytes, 200);
    assert.equal(cache.get('t', 0)?.value, 'new');
    cache.deleteJti('j-old');
    assert.equal(cache.get('t', 0)?.value, 'new', 'a stale jti index removed the new entry');
    cache.deleteJti('j-new');
    assert.equal(cache.get('t', 0), undefined);
  });

  test('deleteJti drops the entry of that jti only; unknown jti is a no-op', () => {
    const cache = new TokenCache<string>(big);
    cache.set('t1', entry('1', { jti: 'a' }));
    cache.set('t2', entry('2', { jti: 'b' }));
    cache.set('t3', entry('3'));
    cache.deleteJti('zzz');
    assert.equal(cache.size, 3);
    cache.deleteJti('a');
    assert.equal(cache.get('t1', 0), undefined);
    assert.equal(cache.get('t2', 0)?.value, '2');
    assert.equal(cache.get('t3', 0)?.value, '3');
    assert.equal(cache.bytes, 200);
  });

  test('deleteJti drops every token sharing the jti', () => {
    const cache = new TokenCache<string>(big);
    cache.set('issuer-a-token', entry('a', { jti: 'same' }));
    cache.set('issuer-b-token', entry('b', { jti: 'same' }));
    cache.set('other', entry('o', { jti: 'other' }));
    cache.deleteJti('same');
    assert.equal(cache.get('issuer-a-token', 0), undefined);
    assert.equal(cache.get('issuer-b-token', 0), undefined);
    assert.equal(cache.get('other', 0)?.value, 'o');
    assert.equal(cache.size, 1);
  });

  test('after one of two tokens sharing a jti is evicted, deleteJti still drops the other', () => {
    const cache = new TokenCache<string>({ maxEntries: 2, maxBytes: 1_000_000 });
    cache.set('first', entry('1', { jti: 'j' }));
    cache.set('second', entry('2', { jti: 'j' }));
    cache.set('third', entry('3'));
    assert.equal(cache.get('first', 0), undefined);
    cache.deleteJti('j');
    assert.equal(cache.get('second', 0), undefined);
    assert.equal(cache.get('third', 0)?.value, '3');
  });

  test('an evicted or deleted entry leaves no jti behind to delete a later token', () => {
    const cache = new TokenCache<string>({ maxEntries: 1, maxBytes: 1_000_000 });
    cache.set('t1', entry('1', { jti: 'j' }));
    cache.set('t2', entry('2'));
    cache.delete('t2');
    cache.set('t3', entry('3', { jti: 'k' }));
    cache.deleteJti('j');
    assert.equal(cache.get('t3', 0)?.value, '3');
  });

  test('clear empties entries, bytes and the jti index', () => {
    const cache = new TokenCache<string>(big);
    cache.set('t1', entry('1', { jti: 'a' }));
    cache.set('t2', entry('2'));
    cache.clear();
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
    cache.set('t3', entry('3', { jti: 'b' }));
    cache.deleteJti('a');
    assert.equal(cache.get('t3', 0)?.value, '3');
  });

  test('stays within both bounds under many inserts', () => {
    const cache = new TokenCache<string>({ maxEntries: 50, maxBytes: 4000 });
    for (let i = 0; i < 1000; i++) {
      cache.set(`t${i}`, entry(String(i), { bytes: 50 + (i % 7) * 20, jti: `j${i % 13}` }));
      assert.ok(cache.size <= 50);
      assert.ok(cache.bytes <= 4000);
    }
    assert.ok(cache.get('t999', 0));
  });
});

describe('TokenCache eviction order', () => {
  test('a re-inserted token counts as new: the oldest other entry is evicted', () => {
    const cache = new TokenCache<string>({ maxEntries: 2, maxBytes: 1_000_000 });
    cache.set('a', entry('a1'));
    cache.set('b', entry('b1'));
    cache.set('a', entry('a2'));
    cache.set('c', entry('c1'));
    assert.equal(cache.get('b', 0), undefined);
    assert.equal(cache.get('a', 0)?.value, 'a2');
    assert.equal(cache.get('c', 0)?.value, 'c1');
  });

  test('stays exact over many evictions (the order queue is compacted)', () => {
    const cache = new TokenCache<string>({ maxEntries: 100, maxBytes: 1_000_000 });
    for (let i = 0; i < 10_000; i++) cache.set(`t${i}`, entry(`v${i}`));
    assert.equal(cache.size, 100);
    assert.equal(cache.get('t9899', 0), undefined);
    assert.equal(cache.get('t9900', 0)?.value, 'v9900');
    assert.equal(cache.get('t9999', 0)?.value, 'v9999');
  });
});
