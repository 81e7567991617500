// The issuer's DPoP proof check (for /userinfo): @jwtgate/verify's, with replay ids in the store
// and the clock injected: each RFC 9449 4.3 check refuses on its own, and a proof is accepted once.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { checkDpopProof } from '../../../src/issuer/tokens/check-dpop-proof.ts';
import type { Store } from '../../../src/store/types.ts';
import { openTempStore, tempDir } from '../helpers.ts';

const URL_ = 'https://id.example/userinfo';
const TOKEN = 'header.payload.signature';
const NOW = 1_800_000_000;

describe('checkDpopProof', () => {
  const tmp = tempDir();
  let store: Store;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let jwk: JWK;
  let jkt: string;
  const now = () => NOW * 1000;
  const expected = () => ({ method: 'GET', url: URL_, accessToken: TOKEN, jkt });
  const ath = createHash('sha256').update(TOKEN).digest('base64url');
  const proof = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    new SignJWT({ htm: 'GET', htu: URL_, iat: NOW, ath, jti: crypto.randomUUID(), ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...header })
      .sign(privateKey);

  before(async () => {
    store = await openTempStore(join(tmp.dir, 's.db'));
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    jwk = await exportJWK(pair.publicKey);
    jkt = await calculateJwkThumbprint(jwk);
  });
  after(async () => {
    await store.close();
    tmp.remove();
  });

  const refused = async (p: string, code: string) => {
    const outcome = await checkDpopProof(store, p, expected(), now);
    assert.equal(outcome.ok, false);
    if (!outcome.ok) {
      assert.equal(outcome.code, code);
      assert.doesNotMatch(outcome.description, /eyJ/);
    }
  };

  test('a good proof is accepted once; the query and fragment of htu do not matter', async () => {
    const p = await proof({ htu: `${URL_}?x=1#y` });
    assert.deepEqual(await checkDpopProof(store, p, expected(), now), { ok: true });
    await refused(p, 'ERR_DPOP_PROOF_REPLAYED');
  });

  test('htm, htu, ath and the key binding are each checked', async () => {
    await refused(await proof({ htm: 'POST' }), 'ERR_DPOP_METHOD_MISMATCH');
    await refused(await proof({ htu: 'https://id.example/token' }), 'ERR_DPOP_URL_MISMATCH');
    await refused(await proof({ htu: 'not a url' }), 'ERR_DPOP_URL_MISMATCH');
    await refused(await proof({ ath: 'x' }), 'ERR_DPOP_ATH_MISMATCH');
    const other = await generateKeyPair('ES256', { extractable: true });
    const otherJwk = await exportJWK(other.publicKey);
    const foreign = await new SignJWT({ htm: 'GET', htu: URL_, iat: NOW, ath, jti: 'f-1' })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: otherJwk })
      .sign(other.privateKey);
    await refused(foreign, 'ERR_DPOP_KEY_MISMATCH');
  });

  test('iat outside the window, in either direction, is refused', async () => {
    await refused(await proof({ iat: NOW - 301 }), 'ERR_DPOP_PROOF_STALE');
    await refused(await proof({ iat: NOW + 61 }), 'ERR_DPOP_PROOF_STALE');
    assert.equal((await checkDpopProof(store, await proof({ iat: NOW - 299 }), expected(), now)).ok, true);
  });

  test('a replay is refused across processes sharing the store (the id is in the store, not in memory)', async () => {
    const p = await proof();
    assert.equal((await checkDpopProof(store, p, expected(), now)).ok, true);
    // Another clock function: another policy object, as another process would have.
    const later = () => NOW * 1000 + 1000;
    const outcome = await checkDpopProof(store, p, expected(), later);
    assert.equal(outcome.ok ? 'accepted' : outcome.code, 'ERR_DPOP_PROOF_REPLAYED');
  });

  test('the header: typ dpop+jwt, and a signature by the embedded key', async () => {
    await refused(await proof({}, { typ: 'JWT' }), 'ERR_DPOP_PROOF_TYPE');
    await refused(await proof({}, { jwk: { ...jwk, x: jwk.y } }), 'ERR_DPOP_KEY_INVALID');
    await refused('not.a.jwt', 'ERR_DPOP_PROOF_MALFORMED');
    await refused(await proof({ jti: '' }), 'ERR_DPOP_PROOF_MALFORMED');
  });
});
