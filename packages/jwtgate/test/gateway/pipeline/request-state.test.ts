import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { newRequestId, requestIdOf } from '../../../src/gateway/pipeline/request-state.ts';

const SAFE = /^[A-Za-z0-9._:-]{1,128}$/;

describe('request ids', () => {
  test('new ids are distinct, safe to echo, and not guessable from the counter alone', () => {
    const ids = Array.from({ length: 10_000 }, () => newRequestId());
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids.slice(0, 100)) assert.match(id, SAFE);
    const prefix = (ids[0] as string).slice(0, (ids[0] as string).lastIndexOf('-'));
    assert.ok(prefix.length >= 12, 'a random prefix of at least 72 bits');
  });

  test('another process (a worker, a restart) has another prefix', () => {
    const script =
      "import { newRequestId } from './packages/jwtgate/src/gateway/pipeline/request-state.ts'; process.stdout.write(newRequestId());";
    const run = () =>
      spawnSync(process.execPath, ['--conditions=jwtgate-source', '--input-type=module', '-e', script], {
        encoding: 'utf8',
      }).stdout;
    const [a, b] = [run(), run()];
    assert.match(a, SAFE);
    assert.notEqual(a, b);
    assert.ok(a.endsWith('-1') && b.endsWith('-1'), `${a} ${b}`);
  });

  test("the client's X-Request-Id is kept when safe, replaced when not", () => {
    const req = (v: unknown) => ({ headers: { 'x-request-id': v } }) as never;
    assert.equal(requestIdOf(req('abc-123')), 'abc-123');
    assert.notEqual(requestIdOf(req('has space')), 'has space');
    assert.notEqual(requestIdOf(req(['a', 'b'])), 'a');
    assert.match(requestIdOf(req(undefined)), SAFE);
  });
});
