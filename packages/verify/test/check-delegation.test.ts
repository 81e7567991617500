import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkDelegation, type DelegationPolicy, readActors } from '../src/check-delegation.ts';
import { createVerifier } from '../src/create-verifier.ts';
import type { JwtClaims } from '../src/parse-token.ts';
import { rejectsWith, throwsWith } from './helpers/forge.ts';
import { NOW_MS, SECRET, secretBytes, signToken } from './helpers/keys.ts';

const policy = (overrides: Partial<DelegationPolicy> = {}): DelegationPolicy => ({
  required: false,
  maxDepth: Number.POSITIVE_INFINITY,
  actors: undefined,
  ...overrides,
});
/** A chain of actors, current first, as nested act claims (RFC 8693 4.1). */
const chain = (...actors: string[]): JwtClaims => {
  let act: Record<string, unknown> | undefined;
  for (const sub of [...actors].reverse()) act = act === undefined ? { sub } : { sub, act };
  return act === undefined ? { sub: 'usr_1' } : { sub: 'usr_1', act };
};

describe('readActors', () => {
  test('current actor first, then the prior ones', () => {
    assert.deepEqual(readActors(chain()), []);
    assert.deepEqual(readActors(chain('svc-b', 'svc-a')), ['svc-b', 'svc-a']);
  });

  test('a malformed act is ERR_CLAIM_INVALID: not an object, no sub, an empty sub, too deep', () => {
    for (const act of [null, 'svc', 1, ['svc'], {}, { sub: '' }, { sub: 7 }, { sub: 'a', act: 'b' }])
      throwsWith(() => readActors({ act } as JwtClaims), 'ERR_CLAIM_INVALID', JSON.stringify(act));
    const deep = chain(...Array.from({ length: 33 }, (_, i) => `svc-${i}`));
    throwsWith(() => readActors(deep), 'ERR_CLAIM_INVALID');
  });
});

describe('checkDelegation', () => {
  test('required: a token without act is ERR_DELEGATION_REQUIRED; with one it passes', () => {
    throwsWith(() => checkDelegation(policy({ required: true }), chain()), 'ERR_DELEGATION_REQUIRED');
    checkDelegation(policy({ required: true }), chain('svc-a'));
    checkDelegation(policy(), chain());
  });

  test('maxDepth bounds the number of actors; 0 refuses every delegated token', () => {
    checkDelegation(policy({ maxDepth: 2 }), chain('svc-b', 'svc-a'));
    throwsWith(
      () => checkDelegation(policy({ maxDepth: 2 }), chain('svc-c', 'svc-b', 'svc-a')),
      'ERR_DELEGATION_TOO_DEEP',
    );
    throwsWith(() => checkDelegation(policy({ maxDepth: 0 }), chain('svc-a')), 'ERR_DELEGATION_TOO_DEEP');
    checkDelegation(policy({ maxDepth: 0 }), chain());
  });

  test('actors match the current actor only; prior actors are informational (RFC 8693 4.1)', () => {
    const actors = new Set(['svc-b']);
    checkDelegation(policy({ actors }), chain('svc-b', 'svc-evil'));
    throwsWith(
      () => checkDelegation(policy({ actors }), chain('svc-evil', 'svc-b')),
      'ERR_ACTOR_NOT_ALLOWED',
    );
    // Without act there is no actor to match: only `required` refuses that.
    checkDelegation(policy({ actors }), chain());
  });
});

describe('delegation as a provider option', () => {
  const ISS = 'https://issuer.test';
  const token = (claims: Record<string, unknown>, secret = SECRET) =>
    signToken(secretBytes(secret), { alg: 'HS256', iss: ISS, aud: 'api', claims });
  const verifier = (delegation: unknown) =>
    createVerifier({
      providers: {
        p: { issuer: ISS, audiences: ['api'], algorithms: ['HS256'], secret: SECRET, delegation } as never,
      },
      now: () => NOW_MS,
    });

  test('the verifier enforces it after the signature and claims', async () => {
    const v = verifier({ required: true, maxDepth: 2, actors: ['svc-b'] });
    const ok = await v.verify(await token(chain('svc-b', 'svc-a')));
    assert.deepEqual(ok.claims.act, { sub: 'svc-b', act: { sub: 'svc-a' } });
    await rejectsWith(v.verify(await token(chain())), 'ERR_DELEGATION_REQUIRED');
    await rejectsWith(v.verify(await token(chain('svc-a'))), 'ERR_ACTOR_NOT_ALLOWED');
    await rejectsWith(v.verify(await token(chain('svc-b', 'svc-a', 'svc-0'))), 'ERR_DELEGATION_TOO_DEEP');
    // A forged token is refused for its signature, before its act is looked at.
    await rejectsWith(
      v.verify(await token(chain(), 'another-secret-that-is-long-enough-for-hs256-0123456789abcdef')),
      'ERR_SIGNATURE_INVALID',
    );
  });

  test('without the option, act is not looked at', async () => {
    const v = createVerifier({
      providers: { p: { issuer: ISS, audiences: ['api'], algorithms: ['HS256'], secret: SECRET } },
      now: () => NOW_MS,
    });
    await v.verify(await token({ act: 'not even an object' }));
  });

  test('bad options name their path', () => {
    for (const [delegation, message] of [
      [{ maxDepth: -1 }, /delegation\.maxDepth: expected a number >= 0/],
      [{ maxDepth: 1.5 }, /delegation\.maxDepth: expected a whole number/],
      [{ actors: [] }, /delegation\.actors: expected at least one entry/],
      [{ actors: ['a', 1] }, /delegation\.actors\[1\]/],
      [{ required: 'yes' }, /delegation\.required: expected true or false/],
      [{ required: true, maxDepth: 0 }, /would refuse every token/],
      [{ depth: 1 }, /delegation/],
    ] as const)
      assert.throws(() => verifier(delegation), message, JSON.stringify(delegation));
  });
});
