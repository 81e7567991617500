// The proof check against jose's jwtVerify with EmbeddedJWK (the reference for "a JWS signed by
// the key in its own header"), over a corpus of valid and mutated proofs: every proof jose
// refuses, we refuse; every proof we accept, jose accepts with the same payload; and the
// thumbprint agrees with jose's calculateJwkThumbprint for every key type.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';
import { checkDpopProof } from '../../src/dpop/check-dpop-proof.ts';
import { DPOP_ALGORITHMS } from '../../src/dpop/dpop-algorithms.ts';
import { createDpopPolicy } from '../../src/dpop/dpop-policy.ts';
import { jwkThumbprint } from '../../src/dpop/proof-key.ts';
import { NOW_MS, NOW_SECONDS } from '../helpers/keys.ts';
import { dpopKey, URL_ } from './dpop-helpers.ts';

const TOKEN = 'an-access-token';

function mutations(proof: string, seed: number): string[] {
  const out: string[] = [];
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    return x;
  };
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
  for (let i = 0; i < 40; i++) {
    const at = next() % proof.length;
    out.push(proof.slice(0, at) + alphabet[next() % alphabet.length] + proof.slice(at + 1));
  }
  return out;
}

describe('DPoP proofs: differential against jose (EmbeddedJWK)', () => {
  test('jose refuses => we refuse; we accept => jose accepts the same payload', async () => {
    let accepted = 0;
    let compared = 0;
    for (const [i, alg] of ['ES256', 'RS256', 'PS256', 'EdDSA'].entries()) {
      const key = await dpopKey(alg);
      const valid = await key.proof({ token: TOKEN });
      const typed = await key.proof({ token: TOKEN, header: { typ: 'application/dpop+jwt' } });
      const wrongTyp = await key.proof({ token: TOKEN, header: { typ: 'jwt' } });
      for (const proof of [valid, typed, wrongTyp, ...mutations(valid, i + 1)]) {
        let ours: Record<string, unknown> | undefined;
        try {
          // A fresh policy per proof: replay is ours alone, jose has no such check.
          await checkDpopProof(
            proof,
            { method: 'GET', url: URL_, accessToken: TOKEN, jkt: key.thumbprint },
            createDpopPolicy({}, 'dpop', () => NOW_MS),
          );
          ours = JSON.parse(Buffer.from(proof.split('.')[1] as string, 'base64url').toString());
        } catch {
          ours = undefined;
        }
        let theirs: Record<string, unknown> | undefined;
        try {
          theirs = (
            await jwtVerify(proof, EmbeddedJWK, {
              typ: 'dpop+jwt',
              algorithms: [...DPOP_ALGORITHMS],
              currentDate: new Date(NOW_SECONDS * 1000),
            })
          ).payload;
        } catch {
          theirs = undefined;
        }
        compared++;
        if (theirs === undefined) assert.equal(ours, undefined, `jose refused but we accepted (${alg})`);
        if (ours !== undefined) {
          accepted++;
          assert.deepEqual(theirs, ours, alg);
        }
      }
    }
    assert.ok(accepted >= 8, `accepted ${accepted} of ${compared}`);
  });

  test('RFC 7638 thumbprints agree with jose for EC, RSA and OKP keys', async () => {
    for (const alg of ['ES256', 'ES384', 'ES512', 'RS256', 'EdDSA']) {
      const key = await dpopKey(alg);
      assert.equal(
        jwkThumbprint(key.jwk as Record<string, unknown>),
        await calculateJwkThumbprint(key.jwk),
        alg,
      );
    }
  });
});
