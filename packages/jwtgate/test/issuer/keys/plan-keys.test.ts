import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { planKeys } from '../../../src/issuer/keys/plan-keys.ts';
import type { SigningKeyRecord } from '../../../src/store/types.ts';

const T = 1_800_000_000_000;
const RETENTION = 360_000; // 300 s lifetime + 60 s margin

function key(
  kid: string,
  state: SigningKeyRecord['state'],
  activatesAt: number | null,
  removeAt: number | null = null,
): SigningKeyRecord {
  return {
    kid,
    alg: 'ES256',
    privateJwk: `{"kid":"${kid}"}`,
    publicJwk: { kid },
    state,
    createdAt: (activatesAt ?? T) - 1000,
    activatesAt,
    removeAt,
  };
}

const kids = (keys: readonly SigningKeyRecord[]) => keys.map((k) => k.kid);

describe('planKeys', () => {
  test('no keys: nothing signs, nothing is published', () => {
    assert.deepEqual(planKeys([], T, RETENTION), {
      signing: undefined,
      published: [],
      updates: [],
      nextChangeAt: null,
    });
  });

  test('a next key is published before it signs, then signs; the old one retires until its tokens expired', () => {
    const records = [key('old', 'current', T - 86_400_000), key('new', 'next', T + 60_000)];
    const before = planKeys(records, T, RETENTION);
    assert.equal(before.signing?.kid, 'old');
    assert.deepEqual(kids(before.published), ['old', 'new']);
    assert.deepEqual(before.updates, []);
    assert.equal(before.nextChangeAt, T + 60_000);

    const at = planKeys(records, T + 60_000, RETENTION);
    assert.equal(at.signing?.kid, 'new');
    assert.deepEqual(kids(at.published), ['new', 'old']);
    assert.deepEqual(at.updates, [
      { kid: 'old', changes: { state: 'retiring', removeAt: T + 60_000 + RETENTION } },
      { kid: 'new', changes: { state: 'current' } },
    ]);
    assert.equal(at.nextChangeAt, T + 60_000 + RETENTION);
  });

  test('the retiring key is removed (its private half wiped) once removeAt has passed, not before', () => {
    const records = [key('old', 'retiring', T - 86_400_000, T + 1000), key('new', 'current', T - 10_000)];
    assert.deepEqual(kids(planKeys(records, T + 999, RETENTION).published), ['new', 'old']);
    const after = planKeys(records, T + 1000, RETENTION);
    assert.deepEqual(kids(after.published), ['new']);
    assert.deepEqual(after.updates, [
      { kid: 'old', changes: { state: 'retired', removeAt: T + 1000, privateJwk: '' } },
    ]);
    assert.equal(after.nextChangeAt, null);
  });

  test('the removal time comes from stored instants: the same for every process, whenever it looks', () => {
    const records = [key('old', 'current', T - 86_400_000), key('new', 'next', T)];
    const a = planKeys(records, T + 5, RETENTION);
    const b = planKeys(records, T + 90_000, RETENTION);
    assert.deepEqual(a.updates, b.updates);
  });

  test('an issuer that was down through two rotations catches up in one plan', () => {
    const records = [
      key('k1', 'current', T - 10 * RETENTION),
      key('k2', 'next', T - 2 * RETENTION),
      key('k3', 'next', T - 1000),
    ];
    const plan = planKeys(records, T, RETENTION);
    assert.equal(plan.signing?.kid, 'k3');
    // k1 stopped when k2 began (long ago): gone; k2 stopped 1 s ago: still published.
    assert.deepEqual(kids(plan.published), ['k3', 'k2']);
    assert.deepEqual(plan.updates, [
      { kid: 'k1', changes: { state: 'retired', removeAt: T - RETENTION, privateJwk: '' } },
      { kid: 'k2', changes: { state: 'retiring', removeAt: T - 1000 + RETENTION } },
      { kid: 'k3', changes: { state: 'current' } },
    ]);
  });

  test('retired keys are never published; a retiring key without removeAt gets the full retention', () => {
    const records = [
      key('gone', 'retired', T - RETENTION, T - 1),
      key('odd', 'retiring', T - 5000),
      key('cur', 'current', T - 1000),
    ];
    const plan = planKeys(records, T, RETENTION);
    assert.deepEqual(kids(plan.published), ['cur', 'odd']);
    assert.deepEqual(plan.updates, [{ kid: 'odd', changes: { state: 'retiring', removeAt: T + RETENTION } }]);
  });

  test('a current key without activatesAt counts from its creation', () => {
    const k = { ...key('c', 'current', null), createdAt: T - 5 };
    assert.equal(planKeys([k], T, RETENTION).signing?.kid, 'c');
  });
});
