import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  OriginGate,
  RouteGate,
  release,
  tryAdmit,
  waitForAdmission,
} from '../../../src/gateway/upstream/upstream-gate.ts';

const never = new AbortController().signal;
const tick = () => new Promise((r) => setImmediate(r));

describe('upstream gate', () => {
  test('requests that fit are admitted at once, up to the route cap and the origin cap', () => {
    const origin = new OriginGate(3);
    const a = new RouteGate('a', 2);
    const b = new RouteGate('b', 5);
    assert.equal(tryAdmit(a, origin), true);
    assert.equal(tryAdmit(a, origin), true);
    assert.equal(tryAdmit(a, origin), false, 'route a is at its cap');
    assert.equal(tryAdmit(b, origin), true, 'route b still fits: one route does not take the origin');
    assert.equal(tryAdmit(b, origin), false, 'the origin is full');
    assert.deepEqual([a.active, b.active, origin.active], [2, 1, 3]);
  });

  test('a waiting request is admitted when a place frees up', async () => {
    const origin = new OriginGate(1);
    const a = new RouteGate('a', 1);
    assert.ok(tryAdmit(a, origin));
    let admitted = false;
    const waiting = waitForAdmission(a, origin, 5000, never).then(() => {
      admitted = true;
    });
    await tick();
    assert.equal(admitted, false);
    assert.equal(origin.waiting, 1);
    release(a, origin);
    await waiting;
    assert.equal(admitted, true);
    assert.deepEqual([a.active, origin.active, origin.waiting], [1, 1, 0]);
  });

  test('waiting past the timeout is ERR_UPSTREAM_BUSY with Retry-After; it leaves the queue', async () => {
    const origin = new OriginGate(1);
    const a = new RouteGate('a', 10);
    assert.ok(tryAdmit(a, origin));
    await assert.rejects(waitForAdmission(a, origin, 20, never), (err: unknown) => {
      const e = err as { code: string; status: number; headers: Record<string, string> };
      assert.equal(e.code, 'ERR_UPSTREAM_BUSY');
      assert.equal(e.status, 503);
      assert.equal(e.headers['retry-after'], '1');
      return true;
    });
    assert.equal(origin.waiting, 0);
    release(a, origin);
    assert.equal(origin.active, 0);
  });

  test('a client that leaves while waiting gives up its turn', async () => {
    const origin = new OriginGate(1);
    const a = new RouteGate('a', 10);
    assert.ok(tryAdmit(a, origin));
    const left = new AbortController();
    const waiting = waitForAdmission(a, origin, 5000, left.signal);
    left.abort(new Error('gone'));
    await assert.rejects(waiting, /gone/);
    assert.equal(origin.waiting, 0);
  });

  test('routes waiting for one origin are served in turn, not one route first', async () => {
    const origin = new OriginGate(1);
    const busy = new RouteGate('busy', 100);
    const quiet = new RouteGate('quiet', 100);
    assert.ok(tryAdmit(busy, origin));
    const order: string[] = [];
    const wait = (r: RouteGate, name: string) =>
      waitForAdmission(r, origin, 5000, never).then(() => {
        order.push(name);
        release(r, origin);
      });
    const all = [wait(busy, 'busy-1'), wait(busy, 'busy-2'), wait(busy, 'busy-3'), wait(quiet, 'quiet-1')];
    release(busy, origin);
    await Promise.all(all);
    assert.deepEqual(order, ['busy-1', 'quiet-1', 'busy-2', 'busy-3']);
  });

  test('a route at its own cap does not hold up another route waiting for the origin', async () => {
    const origin = new OriginGate(2);
    const capped = new RouteGate('capped', 1);
    const other = new RouteGate('other', 5);
    assert.ok(tryAdmit(capped, origin));
    assert.ok(tryAdmit(other, origin));
    const order: string[] = [];
    const c = waitForAdmission(capped, origin, 5000, never).then(() => order.push('capped'));
    const o = waitForAdmission(other, origin, 5000, never).then(() => order.push('other'));
    release(other, origin); // an origin place frees, but capped is still at its cap
    await o;
    assert.deepEqual(order, ['other']);
    release(capped, origin);
    await c;
    assert.deepEqual(order, ['other', 'capped']);
  });
});
