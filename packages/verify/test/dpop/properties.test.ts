// Cheap properties of the proof check (fast-check, seeded): htu comparison ignores the query and
// fragment whatever they hold, and no single changed character of a valid proof is accepted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkDpopProof } from '../../src/dpop/check-dpop-proof.ts';
import { createDpopPolicy } from '../../src/dpop/dpop-policy.ts';
import { normalizeHtu } from '../../src/dpop/normalize-htu.ts';
import { NOW_MS } from '../helpers/keys.ts';
import { dpopKey, URL_ } from './dpop-helpers.ts';

describe('DPoP properties', () => {
  test('htu: a query or fragment never changes the compared form', () => {
    fc.assert(
      fc.property(fc.webPath(), fc.webQueryParameters(), fc.webFragments(), (path, query, fragment) => {
        const base = `https://api.example${path.startsWith('/') ? path : `/${path}`}`;
        assert.equal(normalizeHtu(`${base}?${query}#${fragment}`), normalizeHtu(base));
      }),
      { seed: 17, numRuns: 300 },
    );
  });

  test('one changed character of a valid proof is never accepted', async () => {
    const key = await dpopKey();
    const proof = await key.proof({ token: 't' });
    await fc.assert(
      fc.asyncProperty(fc.nat(proof.length - 1), fc.constantFrom(...'AQgw-_.xyz09'), async (at, ch) => {
        const changed = proof.slice(0, at) + ch + proof.slice(at + 1);
        fc.pre(changed !== proof);
        const outcome = await Promise.resolve()
          .then(() =>
            checkDpopProof(
              changed,
              { method: 'GET', url: URL_, accessToken: 't', jkt: key.thumbprint },
              createDpopPolicy({}, 'dpop', () => NOW_MS),
            ),
          )
          .then(
            () => 'accepted',
            (err: { code?: string }) => err.code ?? 'threw',
          );
        assert.match(outcome, /^ERR_DPOP_/);
      }),
      { seed: 17, numRuns: 300 },
    );
  });
});
