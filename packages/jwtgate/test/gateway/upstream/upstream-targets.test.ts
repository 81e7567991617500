import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createTargetGroup, PoolRegistry } from '../../../src/gateway/upstream/upstream-targets.ts';

const pools = new PoolRegistry();
after(() => pools.close());

describe('createTargetGroup', () => {
  const urls = ['http://127.0.0.1:7101', 'http://127.0.0.1:7102/api/', 'http://127.0.0.1:7103'];

  test('round-robin over the targets, with the base path of each', () => {
    const group = createTargetGroup(urls, pools);
    const picked = Array.from({ length: 6 }, () => group.pick(0));
    assert.deepEqual(
      picked.map((t) => t.origin),
      [
        'http://127.0.0.1:7101',
        'http://127.0.0.1:7102',
        'http://127.0.0.1:7103',
        'http://127.0.0.1:7101',
        'http://127.0.0.1:7102',
        'http://127.0.0.1:7103',
      ],
    );
    assert.equal(picked[1]?.basePath, '/api');
    assert.equal(picked[0]?.basePath, '');
  });

  test('a target marked down is skipped until its time is up', () => {
    const group = createTargetGroup(urls, pools);
    const first = group.pick(0);
    group.markDown(first, 0);
    const during = Array.from({ length: 4 }, () => group.pick(5_000).origin);
    assert.ok(!during.includes(first.origin), during.join(' '));
    const later = Array.from({ length: 3 }, () => group.pick(10_000).origin);
    assert.ok(later.includes(first.origin));
  });

  test('when every target is down it still tries one rather than failing without asking', () => {
    const group = createTargetGroup(urls.slice(0, 2), pools);
    for (const t of group.targets) group.markDown(t, 0);
    assert.ok(urls.slice(0, 2).some((u) => u.startsWith(group.pick(1).origin)));
  });

  test('routes with the same origin share one pool', () => {
    const a = createTargetGroup(['http://127.0.0.1:7201'], pools);
    const b = createTargetGroup(['http://127.0.0.1:7201/other'], pools);
    assert.equal(a.pick(0).pool, b.pick(0).pool);
  });
});
