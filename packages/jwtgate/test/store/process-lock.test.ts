import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { processLock } from '../../src/store/process-lock.ts';

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('processLock', () => {
  test('sections of one name run one at a time, in call order; other names do not wait', async () => {
    const lock = processLock();
    const log: string[] = [];
    const section = (name: string, tag: string) =>
      lock(name, async () => {
        log.push(`${tag}+`);
        await tick();
        log.push(`${tag}-`);
        return tag;
      });
    const results = await Promise.all([section('a', 'a1'), section('a', 'a2'), section('b', 'b1')]);
    assert.deepEqual(results, ['a1', 'a2', 'b1']);
    assert.deepEqual(
      log.filter((l) => l.startsWith('a')),
      ['a1+', 'a1-', 'a2+', 'a2-'],
    );
    assert.ok(log.indexOf('b1+') < log.indexOf('a1-'), 'b did not queue behind a');
  });

  test('a section that throws passes its error on and frees the lock', async () => {
    const lock = processLock();
    await assert.rejects(
      lock('x', async () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await lock('x', async () => 'next'), 'next');
  });
});
