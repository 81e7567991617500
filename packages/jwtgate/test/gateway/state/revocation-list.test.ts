import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { REVOCATION_GRACE_SECONDS, RevocationList } from '../../../src/gateway/state/revocation-list.ts';

const NOW_S = 1_800_000_000;

function clock(startSeconds = NOW_S) {
  let ms = startSeconds * 1000;
  return {
    now: () => ms,
    set: (seconds: number) => {
      ms = seconds * 1000;
    },
  };
}

describe('RevocationList', () => {
  test('nothing is revoked at first', () => {
    const list = new RevocationList(clock().now);
    assert.equal(list.isRevoked({ jti: 'a' }), false);
    assert.equal(list.size, 0);
    assert.deepEqual(list.list(), []);
  });

  test('an added jti is revoked until its exp', () => {
    const c = clock();
    const list = new RevocationList(c.now);
    list.add('t-1', NOW_S + 60);
    assert.equal(list.isRevoked({ jti: 't-1' }), true);
    assert.equal(list.isRevoked({ jti: 't-2' }), false);
    c.set(NOW_S + 59);
    assert.equal(list.isRevoked({ jti: 't-1' }), true);
  });

  test('the entry outlives exp by the grace (leeway may still accept the token), then is dropped', () => {
    const c = clock();
    const list = new RevocationList(c.now);
    list.add('t-1', NOW_S + 60);
    c.set(NOW_S + 60 + REVOCATION_GRACE_SECONDS - 1);
    assert.equal(list.isRevoked({ jti: 't-1' }), true);
    c.set(NOW_S + 60 + REVOCATION_GRACE_SECONDS);
    assert.equal(list.isRevoked({ jti: 't-1' }), false);
    assert.equal(list.size, 0, 'the expired entry is forgotten');
  });

  test('tokens without a string jti are never revoked', () => {
    const list = new RevocationList(clock().now);
    list.add('42', NOW_S + 60);
    assert.equal(list.isRevoked({ jti: 42 }), false);
    assert.equal(list.isRevoked({}), false);
    assert.equal(list.isRevoked({ sub: '42' }), false);
    assert.equal(list.isRevoked({ jti: '42' }), true);
  });

  test('isRevoked works detached (it is handed to the verifier as a function)', () => {
    const list = new RevocationList(clock().now);
    list.add('x', NOW_S + 1);
    const { isRevoked } = list;
    assert.equal(isRevoked({ jti: 'x' }), true);
  });

  test('adding again replaces the expiry', () => {
    const c = clock();
    const list = new RevocationList(c.now);
    list.add('t', NOW_S + 10);
    list.add('t', NOW_S + 100);
    assert.equal(list.size, 1);
    c.set(NOW_S + 50);
    assert.equal(list.isRevoked({ jti: 't' }), true);
  });

  test('listeners hear every revocation until they unsubscribe', () => {
    const list = new RevocationList(clock().now);
    const heard: string[] = [];
    const other: string[] = [];
    const stop = list.onRevoke((jti) => heard.push(jti));
    list.onRevoke((jti) => other.push(jti));
    list.add('a', NOW_S + 60);
    list.add('b', NOW_S + 60);
    stop();
    list.add('c', NOW_S + 60);
    assert.deepEqual(heard, ['a', 'b']);
    assert.deepEqual(other, ['a', 'b', 'c']);
  });

  test('a listener runs after the entry is stored', () => {
    const list = new RevocationList(clock().now);
    let seen: boolean | undefined;
    list.onRevoke((jti) => {
      seen = list.isRevoked({ jti });
    });
    list.add('z', NOW_S + 60);
    assert.equal(seen, true);
  });

  test('list() gives the unexpired entries with their exp', () => {
    const c = clock();
    const list = new RevocationList(c.now);
    list.add('short', NOW_S + 10);
    list.add('long', NOW_S + 100);
    list.add('past', NOW_S - 1);
    assert.deepEqual(list.list(), [
      { jti: 'short', exp: NOW_S + 10 },
      { jti: 'long', exp: NOW_S + 100 },
    ]);
    c.set(NOW_S + 10);
    assert.deepEqual(list.list(), [{ jti: 'long', exp: NOW_S + 100 }]);
  });

  test('the clock defaults to Date.now', () => {
    const list = new RevocationList();
    const nowS = Math.floor(Date.now() / 1000);
    list.add('live', nowS + 3600);
    list.add('dead', nowS - 3600);
    assert.equal(list.isRevoked({ jti: 'live' }), true);
    assert.equal(list.isRevoked({ jti: 'dead' }), false);
  });
});
