import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  planConnections,
  RESERVED_DESCRIPTORS,
  readOpenFileLimit,
} from '../../../src/gateway/limits/plan-connections.ts';

describe('readOpenFileLimit', () => {
  test('reads the soft limit from /proc/self/limits', () => {
    const dir = mkdtempSync(join(tmpdir(), 'jwtgate-limits-'));
    try {
      const file = join(dir, 'limits');
      writeFileSync(
        file,
        'Limit                     Soft Limit           Hard Limit           Units\nMax open files            1024                 4096                 files\n',
      );
      assert.equal(readOpenFileLimit(file), 1024);
      writeFileSync(file, 'Max open files            unlimited            unlimited            files\n');
      assert.equal(readOpenFileLimit(file), Number.POSITIVE_INFINITY);
      assert.equal(readOpenFileLimit(join(dir, 'missing')), Number.POSITIVE_INFINITY);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('this process has one (Linux)', () => {
    const limit = readOpenFileLimit();
    assert.ok(limit > RESERVED_DESCRIPTORS, `limit ${limit}`);
  });
});

describe('planConnections', () => {
  test('a large limit keeps the configured values', () => {
    assert.deepEqual(
      planConnections({
        openFileLimit: 1_048_576,
        maxConnections: 20_000,
        upstreamConnections: 256,
        origins: 3,
      }),
      { maxConnections: 20_000, upstreamConnections: 256, lowered: false },
    );
    assert.equal(
      planConnections({
        openFileLimit: Number.POSITIVE_INFINITY,
        maxConnections: 20_000,
        upstreamConnections: 256,
        origins: 1,
      }).lowered,
      false,
    );
  });

  test('the descriptor limit equal to max_connections (the old default) leaves room for upstreams and files', () => {
    const plan = planConnections({
      openFileLimit: 20_000,
      maxConnections: 20_000,
      upstreamConnections: 256,
      origins: 2,
    });
    assert.equal(plan.maxConnections, (20_000 - RESERVED_DESCRIPTORS) / 2);
    assert.equal(plan.lowered, true);
    assert.ok(plan.maxConnections + 2 * plan.upstreamConnections + RESERVED_DESCRIPTORS <= 20_000);
  });

  test('a small limit splits what is left between clients and the upstream pools', () => {
    const plan = planConnections({
      openFileLimit: 1024,
      maxConnections: 20_000,
      upstreamConnections: 256,
      origins: 4,
    });
    assert.equal(plan.maxConnections, 448);
    assert.equal(plan.upstreamConnections, 112);
    assert.ok(plan.maxConnections + 4 * plan.upstreamConnections + RESERVED_DESCRIPTORS <= 1024);
  });
});
