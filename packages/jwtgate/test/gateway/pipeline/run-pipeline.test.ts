import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Denial, RequestState } from '../../../src/gateway/pipeline/request-state.ts';
import { type Continuation, runPipeline, type Step } from '../../../src/gateway/pipeline/run-pipeline.ts';

const state = {} as RequestState;
const denial = (reason: string): Denial => ({ ok: false, status: 400, reason, headers: {}, body: {} });

function recorder() {
  const seen: string[] = [];
  const k: Continuation = {
    pass: () => seen.push('pass'),
    deny: (_s, d) => seen.push(`deny ${d.reason}`),
    fail: (_s, err) => seen.push(`fail ${(err as Error).message}`),
  };
  return { seen, k };
}

const step =
  (name: string, seen: string[], out?: Denial): Step =>
  () => {
    seen.push(name);
    return out;
  };

describe('runPipeline', () => {
  test('synchronous steps run in order and the continuation is called before it returns', () => {
    const { seen, k } = recorder();
    runPipeline([step('a', seen), step('b', seen), step('c', seen)], state, k);
    assert.deepEqual(seen, ['a', 'b', 'c', 'pass']);
  });

  test('a denial stops the run: later steps never run', () => {
    const { seen, k } = recorder();
    runPipeline([step('a', seen), step('b', seen, denial('NO')), step('c', seen)], state, k);
    assert.deepEqual(seen, ['a', 'b', 'deny NO']);
  });

  test('a step that waits resumes the run after it; the steps before it ran synchronously', async () => {
    const { seen, k } = recorder();
    let release: (d: Denial | undefined) => void = () => {};
    const waits: Step = () => {
      seen.push('wait');
      return new Promise((r) => {
        release = r;
      });
    };
    runPipeline([step('a', seen), waits, step('c', seen)], state, k);
    assert.deepEqual(seen, ['a', 'wait']);
    release(undefined);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ['a', 'wait', 'c', 'pass']);
  });

  test('a step that waits may deny, and a rejected step fails the request (never passes)', async () => {
    const denied = recorder();
    runPipeline([() => Promise.resolve(denial('LATER')), step('c', denied.seen)], state, denied.k);
    const failed = recorder();
    runPipeline([() => Promise.reject(new Error('boom')), step('c', failed.seen)], state, failed.k);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(denied.seen, ['deny LATER']);
    assert.deepEqual(failed.seen, ['fail boom']);
  });
});
