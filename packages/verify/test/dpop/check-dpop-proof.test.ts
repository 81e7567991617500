// The DPoP proof check (RFC 9449 4.3): the RFC's own example proofs with the clock set to their
// iat, then an attack suite through the verifier (a bound token, a proof per request), each
// attack refused with its stable code.
import assert from 'node:assert/strict';
import { sign as cryptoSign, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { exportJWK, generateSecret, SignJWT } from 'jose';
import { accessTokenHash, checkDpopProof, type DpopPolicy } from '../../src/dpop/check-dpop-proof.ts';
import { createDpopPolicy } from '../../src/dpop/dpop-policy.ts';
import { jwkThumbprint } from '../../src/dpop/proof-key.ts';
import { JwtGateError } from '../../src/errors.ts';
import { toErrorResponse } from '../../src/http-response.ts';
import { b64, NOW_MS, NOW_SECONDS } from '../helpers/keys.ts';
import { dpopFixture, dpopKey, URL_ } from './dpop-helpers.ts';

// RFC 9449 section 4.1 (figure 3, a proof for the token endpoint) and section 7.1 (figure 13, a
// proof for a protected resource with the access token of figure 12), both by the key of
// section 4.1 whose RFC 7638 thumbprint section 6.1 gives.
const RFC_JWK = {
  kty: 'EC',
  x: 'l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs',
  y: '9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA',
  crv: 'P-256',
};
const RFC_JKT = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
const RFC_HEADER =
  'eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6IkVDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCRnMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JEQSIsImNydiI6IlAtMjU2In19';
const RFC_TOKEN_PROOF = `${RFC_HEADER}.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIjoiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwiaWF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg`;
const RFC_RESOURCE_PROOF = `${RFC_HEADER}.eyJqdGkiOiJlMWozVl9iS2ljOC1MQUVCIiwiaHRtIjoiR0VUIiwiaHR1IjoiaHR0cHM6Ly9yZXNvdXJjZS5leGFtcGxlLm9yZy9wcm90ZWN0ZWRyZXNvdXJjZSIsImlhdCI6MTU2MjI2MjYxOCwiYXRoIjoiZlVIeU8ycjJaM0RaNTNFc05yV0JiMHhXWG9hTnk1OUlpS0NBcWtzbVFFbyJ9.2oW9RP35yRqzhrtNP86L-Ey71EOptxRimPPToA1plemAgR6pxHF8y6-yqyVnmcw6Fy1dqd-jfxSYoMxhAJpLjA`;
const RFC_ACCESS_TOKEN = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';

const policyAt = (ms: number, extra: object = {}): DpopPolicy =>
  createDpopPolicy(extra, 'options.dpop', () => ms);

async function refused(promise: unknown, code: string): Promise<JwtGateError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof JwtGateError, String(err));
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}, but it was accepted`);
}

/** Runs `fn` and awaits it, so a synchronous throw and a rejection are the same. */
const run = (fn: () => unknown) => Promise.resolve().then(fn);

describe('RFC 9449 examples', () => {
  test('the example key has the thumbprint of section 6.1; the example token the ath of figure 13', () => {
    assert.equal(jwkThumbprint(RFC_JWK), RFC_JKT);
    assert.equal(accessTokenHash(RFC_ACCESS_TOKEN), 'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo');
  });

  test('figure 13: the resource proof is accepted at its iat, for its request and token', async () => {
    const checked = await checkDpopProof(
      RFC_RESOURCE_PROOF,
      {
        method: 'GET',
        url: 'https://resource.example.org/protectedresource',
        accessToken: RFC_ACCESS_TOKEN,
        jkt: RFC_JKT,
      },
      policyAt(1562262618_000),
    );
    assert.deepEqual(checked, { jti: 'e1j3V_bKic8-LAEB', iat: 1562262618, thumbprint: RFC_JKT });
  });

  test('figure 13 within the window, not after it; once only', async () => {
    const expected = {
      method: 'GET',
      url: 'https://resource.example.org/protectedresource?page=2',
      accessToken: RFC_ACCESS_TOKEN,
      jkt: RFC_JKT,
    };
    const policy = policyAt(1562262618_000 + 299_000);
    await checkDpopProof(RFC_RESOURCE_PROOF, expected, policy);
    await refused(
      run(() => checkDpopProof(RFC_RESOURCE_PROOF, expected, policy)),
      'ERR_DPOP_PROOF_REPLAYED',
    );
    await refused(
      run(() => checkDpopProof(RFC_RESOURCE_PROOF, expected, policyAt(1562262618_000 + 301_000))),
      'ERR_DPOP_PROOF_STALE',
    );
    await refused(
      run(() => checkDpopProof(RFC_RESOURCE_PROOF, expected, policyAt(1562262618_000 - 61_000))),
      'ERR_DPOP_PROOF_STALE',
    );
  });

  test('figure 3: the token-endpoint proof verifies, but carries no ath, so no resource takes it', async () => {
    const expected = {
      method: 'POST',
      url: 'https://server.example.com/token',
      accessToken: RFC_ACCESS_TOKEN,
      jkt: RFC_JKT,
    };
    await refused(
      run(() => checkDpopProof(RFC_TOKEN_PROOF, expected, policyAt(1562262616_000))),
      'ERR_DPOP_ATH_MISMATCH',
    );
    // Its signature is good: one changed signature byte is another error.
    const forged = `${RFC_TOKEN_PROOF.slice(0, -2)}${RFC_TOKEN_PROOF.endsWith('Lg') ? 'Lw' : 'Lg'}`;
    await refused(
      run(() => checkDpopProof(forged, expected, policyAt(1562262616_000))),
      'ERR_DPOP_SIGNATURE_INVALID',
    );
  });
});

describe('the DPoP attack suite, through the verifier', async () => {
  const f = await dpopFixture();
  const dpop = (proof: string | undefined, method = 'GET', url = URL_) => ({ dpop: { proof, method, url } });

  test('a fresh proof for this request and token is accepted; the result says the token is bound', async () => {
    const v = f.verifier();
    const out = await v.verify(f.bound, dpop(await f.client.proof({ token: f.bound })));
    assert.deepEqual(out.binding, { type: 'dpop', jkt: f.client.thumbprint });
    assert.equal(out.claims.sub, 'alice');
  });

  test('a replayed proof is refused, with the token cached or not', async () => {
    for (const cache of [undefined, { maxEntries: 10 }]) {
      const v = f.verifier('optional', cache ? { cache } : {});
      const proof = await f.client.proof({ token: f.bound });
      await v.verify(f.bound, dpop(proof));
      await refused(v.verify(f.bound, dpop(proof)), 'ERR_DPOP_PROOF_REPLAYED');
      if (cache)
        assert.equal(v.stats().hits, 1, 'the second call was a cache hit and still checked the proof');
    }
  });

  test('the verified-token cache never lets a bound token through without a proof', async () => {
    const v = f.verifier('optional', { cache: { maxEntries: 10 } });
    await v.verify(f.bound, dpop(await f.client.proof({ token: f.bound })));
    await refused(v.verify(f.bound), 'ERR_DPOP_TOKEN_BOUND');
    await refused(v.verify(f.bound, dpop(undefined)), 'ERR_DPOP_PROOF_MISSING');
    assert.equal(v.stats().hits, 2);
  });

  test('a proof for another method or another URL is refused; the query is not part of htu', async () => {
    const v = f.verifier();
    await refused(
      v.verify(f.bound, dpop(await f.client.proof({ token: f.bound, method: 'POST' }))),
      'ERR_DPOP_METHOD_MISMATCH',
    );
    await refused(
      v.verify(f.bound, dpop(await f.client.proof({ token: f.bound, url: 'https://api.example/admin' }))),
      'ERR_DPOP_URL_MISMATCH',
    );
    await refused(
      v.verify(f.bound, dpop(await f.client.proof({ token: f.bound, url: 'http://api.example/orders' }))),
      'ERR_DPOP_URL_MISMATCH',
    );
    await refused(
      v.verify(f.bound, dpop(await f.client.proof({ token: f.bound, url: 'https://evil.example/orders' }))),
      'ERR_DPOP_URL_MISMATCH',
    );
    // RFC 3986 6.2.2/6.2.3 normalisation: case of scheme and host, default port, dot segments.
    await v.verify(
      f.bound,
      dpop(await f.client.proof({ token: f.bound, url: 'HTTPS://API.example:443/x/../orders#frag' })),
    );
    await v.verify(f.bound, dpop(await f.client.proof({ token: f.bound }), 'GET', `${URL_}?page=2`));
  });

  test('a proof too old or from the future is refused', async () => {
    const v = f.verifier();
    await refused(
      v.verify(f.bound, dpop(await f.client.proof({ token: f.bound, iat: NOW_SECONDS - 301 }))),
      'ERR_DPOP_PROOF_STALE',
    );
    await refused(
      v.verify(f.bound, dpop(await f.client.proof({ token: f.bound, iat: NOW_SECONDS + 61 }))),
      'ERR_DPOP_PROOF_STALE',
    );
    await v.verify(f.bound, dpop(await f.client.proof({ token: f.bound, iat: NOW_SECONDS - 299 })));
  });

  test('a proof signed with HS256, or alg none, is refused', async () => {
    const v = f.verifier();
    const secret = await generateSecret('HS256', { extractable: true });
    const hs = await new SignJWT({
      jti: 'x',
      htm: 'GET',
      htu: URL_,
      iat: NOW_SECONDS,
      ath: accessTokenHash(f.bound),
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: await exportJWK(secret) })
      .sign(secret);
    await refused(v.verify(f.bound, dpop(hs)), 'ERR_DPOP_ALG_NOT_ALLOWED');
    const claims = { jti: 'y', htm: 'GET', htu: URL_, iat: NOW_SECONDS, ath: accessTokenHash(f.bound) };
    for (const alg of ['none', 'None', 'NONE']) {
      const none = `${b64({ alg, typ: 'dpop+jwt', jwk: f.client.jwk })}.${b64(claims)}.`;
      await refused(v.verify(f.bound, dpop(none)), 'ERR_DPOP_ALG_NOT_ALLOWED');
    }
  });

  test('a proof with a private key in its header is refused', async () => {
    const v = f.verifier();
    const proof = await f.client.proof({ token: f.bound, header: { jwk: f.client.privateJwk } });
    await refused(v.verify(f.bound, dpop(proof)), 'ERR_DPOP_KEY_INVALID');
    const noKey = await f.client.proof({ token: f.bound, header: { jwk: undefined, kid: 'k1' } });
    await refused(v.verify(f.bound, dpop(noKey)), 'ERR_DPOP_KEY_INVALID');
  });

  test('a proof for another token (ath) is refused', async () => {
    const v = f.verifier();
    await refused(
      v.verify(f.bound, dpop(await f.client.proof({ token: f.unbound }))),
      'ERR_DPOP_ATH_MISMATCH',
    );
    await refused(v.verify(f.bound, dpop(await f.client.proof())), 'ERR_DPOP_ATH_MISMATCH');
  });

  test('a proof by another key than cnf.jkt names is refused', async () => {
    const v = f.verifier();
    const thief = await dpopKey();
    await refused(v.verify(f.bound, dpop(await thief.proof({ token: f.bound }))), 'ERR_DPOP_KEY_MISMATCH');
  });

  test('a bound token sent as Bearer is refused, with a DPoP challenge', async () => {
    const err = await refused(f.verifier().verify(f.bound), 'ERR_DPOP_TOKEN_BOUND');
    const r = toErrorResponse(err);
    assert.equal(r.status, 401);
    assert.match(
      r.headers['www-authenticate'] ?? '',
      /^DPoP error="invalid_token", error_description="[^"]+", algs="ES256 [^"]*EdDSA/,
    );
  });

  test('a wrong typ, a forged signature, a repeated or malformed proof are refused', async () => {
    const v = f.verifier();
    await refused(
      v.verify(f.bound, dpop(await f.client.proof({ token: f.bound, header: { typ: 'JWT' } }))),
      'ERR_DPOP_PROOF_TYPE',
    );
    const good = await f.client.proof({ token: f.bound });
    const [h, p] = good.split('.');
    const other = await f.client.proof({ token: f.bound });
    await refused(v.verify(f.bound, dpop(`${h}.${p}.${other.split('.')[2]}`)), 'ERR_DPOP_SIGNATURE_INVALID');
    await refused(v.verify(f.bound, dpop('a.b')), 'ERR_DPOP_PROOF_MALFORMED');
    await refused(
      v.verify(f.bound, dpop(await f.client.proof({ token: f.bound, claims: { jti: undefined } }))),
      'ERR_DPOP_PROOF_MALFORMED',
    );
  });

  test('provider settings: required refuses unbound tokens, off ignores cnf and refuses the DPoP scheme', async () => {
    await refused(f.verifier('required').verify(f.unbound), 'ERR_DPOP_REQUIRED');
    await f.verifier('optional').verify(f.unbound);
    await refused(
      f.verifier('optional').verify(f.unbound, dpop(await f.client.proof({ token: f.unbound }))),
      'ERR_DPOP_TOKEN_NOT_BOUND',
    );
    const off = await f.verifier('off').verify(f.bound);
    assert.equal(off.binding, undefined);
    await refused(
      f.verifier('off').verify(f.bound, dpop(await f.client.proof({ token: f.bound }))),
      'ERR_DPOP_NOT_ACCEPTED',
    );
  });

  test('server nonces: a proof without the nonce gets use_dpop_nonce and the nonce to use', async () => {
    const v = f.verifier('optional', {
      dpop: { nonce: { current: () => 'n-2', accepts: (n: string) => n === 'n-2' } },
    });
    const err = await refused(
      v.verify(f.bound, dpop(await f.client.proof({ token: f.bound }))),
      'ERR_DPOP_NONCE_REQUIRED',
    );
    const r = toErrorResponse(err);
    assert.equal(r.headers['dpop-nonce'], 'n-2');
    assert.match(r.headers['www-authenticate'] ?? '', /^DPoP error="use_dpop_nonce"/);
    await v.verify(f.bound, dpop(await f.client.proof({ token: f.bound, claims: { nonce: 'n-2' } })));
  });

  test('a replay cache that fails refuses the request (503), never lets it through', async () => {
    const v = f.verifier('optional', {
      dpop: { replayCache: { remember: () => Promise.reject(new Error('redis down')) } },
    });
    const err = await refused(
      v.verify(f.bound, dpop(await f.client.proof({ token: f.bound }))),
      'ERR_DPOP_REPLAY_CACHE_UNAVAILABLE',
    );
    assert.equal(toErrorResponse(err).status, 503);
  });

  test('RSA, PS and EdDSA proofs are accepted too; an RSA key under 2048 bits is not', async () => {
    for (const alg of ['RS256', 'PS256', 'EdDSA', 'ES384']) {
      const key = await dpopKey(alg);
      const checked = await checkDpopProof(
        await key.proof({ token: f.bound }),
        { method: 'GET', url: URL_, accessToken: f.bound, jkt: key.thumbprint },
        policyAt(NOW_MS),
      );
      assert.equal(checked.thumbprint, key.thumbprint, alg);
    }
    // jose will not make a key this weak: signed by hand with node:crypto.
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = weak.publicKey.export({ format: 'jwk' });
    const input = `${b64({ alg: 'RS256', typ: 'dpop+jwt', jwk })}.${b64({ jti: 'w', htm: 'GET', htu: URL_, iat: NOW_SECONDS, ath: accessTokenHash('t') })}`;
    const proof = `${input}.${cryptoSign('sha256', Buffer.from(input), weak.privateKey).toString('base64url')}`;
    await refused(
      run(() =>
        checkDpopProof(
          proof,
          { method: 'GET', url: URL_, accessToken: 't', jkt: jwkThumbprint(jwk) as string },
          policyAt(NOW_MS),
        ),
      ),
      'ERR_DPOP_KEY_INVALID',
    );
  });
});
