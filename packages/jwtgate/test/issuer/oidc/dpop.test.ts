// DPoP (RFC 9449) at the issuer, against an in-process issuer over HTTP, with proofs the test
// makes with jose: bound tokens carry cnf.jkt; a client with dpop: required is refused without a
// proof; replayed proofs are refused; a public client's refresh token is bound to the key that got
// it; server nonces (section 8) are asked for and accepted; /userinfo refuses a bound token sent
// as Bearer and takes it with the DPoP scheme and a proof.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { addClient } from '../../../src/issuer/admin/manage-clients.ts';
import { AUDIENCE, decodePart, postForm } from '../helpers.ts';
import {
  CookieJar,
  type LoginIssuer,
  loginForCode,
  pkcePair,
  startLoginIssuer,
} from '../login/login-helpers.ts';

interface DpopKey {
  readonly jwk: JWK;
  readonly thumbprint: string;
  proof(method: string, url: string, extra?: Record<string, unknown>): Promise<string>;
}

async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return {
    jwk,
    thumbprint: await calculateJwkThumbprint(jwk),
    proof: (method, url, extra = {}) =>
      new SignJWT({ htm: method, htu: url, jti: crypto.randomUUID(), ...extra })
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
        .setIssuedAt()
        .sign(privateKey),
  };
}

const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

async function tokenCall(url: string, params: Record<string, string>, headers: Record<string, string>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('DPoP at the issuer', () => {
  let t: LoginIssuer;
  let allowedSecret: string;
  let requiredSecret: string;
  const basicOf = (id: string, secret: string) =>
    `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

  before(async () => {
    t = await startLoginIssuer();
    allowedSecret = (await addClient(t.store, { id: 'svc-allowed', audiences: [AUDIENCE] }, 'test'))
      .secret as string;
    requiredSecret = (
      await addClient(t.store, { id: 'svc-required', audiences: [AUDIENCE], dpop: 'required' }, 'test')
    ).secret as string;
    await addClient(
      t.store,
      {
        id: 'spa',
        authMethod: 'none',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: ['https://spa.example/callback'],
        audiences: [AUDIENCE],
        dpop: 'required',
      },
      'test',
    );
  });
  after(() => t.close());

  test('the metadata names the proof algorithms, asymmetric only', async () => {
    const m = (await (await fetch(`${t.url}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    const algs = m.dpop_signing_alg_values_supported as string[];
    assert.ok(algs.includes('ES256') && algs.includes('EdDSA'), String(algs));
    assert.ok(!algs.some((a) => a.startsWith('HS') || a === 'none'));
  });

  test('allowed: a proof gets a DPoP token bound to its key (cnf.jkt); without one, a Bearer token', async () => {
    const key = await dpopKey();
    const bound = await tokenCall(
      `${t.url}/token`,
      { grant_type: 'client_credentials' },
      {
        authorization: basicOf('svc-allowed', allowedSecret),
        dpop: await key.proof('POST', `${t.url}/token`),
      },
    );
    assert.equal(bound.status, 200, JSON.stringify(bound.body));
    assert.equal(bound.body.token_type, 'DPoP');
    assert.deepEqual(decodePart(bound.body.access_token as string, 1).cnf, { jkt: key.thumbprint });

    const bearer = await postForm(
      `${t.url}/token`,
      { grant_type: 'client_credentials' },
      { id: 'svc-allowed', secret: allowedSecret, method: 'basic' },
    );
    assert.equal(bearer.status, 200);
    assert.equal(bearer.body.token_type, 'Bearer');
    assert.equal(decodePart(bearer.body.access_token as string, 1).cnf, undefined);
  });

  test('required: a token request without a proof is refused; with one it is bound', async () => {
    const refused = await postForm(
      `${t.url}/token`,
      { grant_type: 'client_credentials' },
      { id: 'svc-required', secret: requiredSecret, method: 'basic' },
    );
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_grant');
    assert.match(String(refused.body.error_description), /DPoP proof JWT not provided/);
    const key = await dpopKey('EdDSA');
    const ok = await tokenCall(
      `${t.url}/token`,
      { grant_type: 'client_credentials' },
      {
        authorization: basicOf('svc-required', requiredSecret),
        dpop: await key.proof('POST', `${t.url}/token`),
      },
    );
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((decodePart(ok.body.access_token as string, 1).cnf as { jkt?: string }).jkt, key.thumbprint);
  });

  test('a replayed proof is refused; so are proofs for another URL or method, HS256 and a private key', async () => {
    const key = await dpopKey();
    const call = (proof: string) =>
      tokenCall(
        `${t.url}/token`,
        { grant_type: 'client_credentials' },
        { authorization: basicOf('svc-allowed', allowedSecret), dpop: proof },
      );
    const proof = await key.proof('POST', `${t.url}/token`);
    assert.equal((await call(proof)).status, 200);
    const replay = await call(proof);
    assert.equal(replay.status, 400);
    assert.match(String(replay.body.error_description), /replay/i);

    const otherUrl = await call(await key.proof('POST', `${t.url}/token/introspection`));
    assert.equal(otherUrl.body.error, 'invalid_dpop_proof');
    const otherMethod = await call(await key.proof('GET', `${t.url}/token`));
    assert.equal(otherMethod.body.error, 'invalid_dpop_proof');

    const hs = await new SignJWT({ htm: 'POST', htu: `${t.url}/token`, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: 'c2VjcmV0' } as JWK })
      .setIssuedAt()
      .sign(new TextEncoder().encode('secret'));
    assert.equal((await call(hs)).body.error, 'invalid_dpop_proof');

    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const withPrivate = await new SignJWT({ htm: 'POST', htu: `${t.url}/token`, jti: crypto.randomUUID() })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: privateJwk })
      .setIssuedAt()
      .sign(privateKey);
    assert.equal((await call(withPrivate)).body.error, 'invalid_dpop_proof');
  });

  test('a public client: code redeemed with a proof; the refresh token is bound to that key, another key is refused', async () => {
    const key = await dpopKey();
    const { verifier, challenge } = pkcePair();
    const callback = await loginForCode(t, new CookieJar(), {
      client_id: 'spa',
      redirect_uri: 'https://spa.example/callback',
      scope: 'openid offline_access',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const params = {
      grant_type: 'authorization_code',
      client_id: 'spa',
      code: callback.get('code') as string,
      redirect_uri: 'https://spa.example/callback',
      code_verifier: verifier,
    };
    const tokens = await tokenCall(`${t.url}/token`, params, {
      dpop: await key.proof('POST', `${t.url}/token`),
    });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    assert.equal(tokens.body.token_type, 'DPoP');
    assert.equal(
      (decodePart(tokens.body.access_token as string, 1).cnf as { jkt?: string }).jkt,
      key.thumbprint,
    );
    const refresh = {
      grant_type: 'refresh_token',
      client_id: 'spa',
      refresh_token: tokens.body.refresh_token as string,
    };

    const noProof = await tokenCall(`${t.url}/token`, refresh, {});
    assert.equal(noProof.status, 400);
    assert.equal(noProof.body.error, 'invalid_grant');
    const thief = await dpopKey();
    const stolen = await tokenCall(`${t.url}/token`, refresh, {
      dpop: await thief.proof('POST', `${t.url}/token`),
    });
    assert.equal(stolen.status, 400);
    assert.equal(stolen.body.error, 'invalid_grant');
    assert.match(String(stolen.body.error_description), /jkt/);

    const own = await tokenCall(`${t.url}/token`, refresh, {
      dpop: await key.proof('POST', `${t.url}/token`),
    });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(
      (decodePart(own.body.access_token as string, 1).cnf as { jkt?: string }).jkt,
      key.thumbprint,
    );
  });

  test('/userinfo: a bound token as Bearer is refused (WWW-Authenticate: DPoP); with the DPoP scheme and a proof it answers', async () => {
    const key = await dpopKey();
    const { verifier, challenge } = pkcePair();
    const callback = await loginForCode(t, new CookieJar(), {
      client_id: 'spa',
      redirect_uri: 'https://spa.example/callback',
      scope: 'openid profile',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const tokens = await tokenCall(
      `${t.url}/token`,
      {
        grant_type: 'authorization_code',
        client_id: 'spa',
        code: callback.get('code') as string,
        redirect_uri: 'https://spa.example/callback',
        code_verifier: verifier,
      },
      { dpop: await key.proof('POST', `${t.url}/token`) },
    );
    const at = tokens.body.access_token as string;
    const userinfo = `${t.url}/userinfo`;

    const asBearer = await fetch(userinfo, { headers: { authorization: `Bearer ${at}` } });
    assert.equal(asBearer.status, 401);
    assert.match(
      asBearer.headers.get('www-authenticate') ?? '',
      /^DPoP algs="[^"]*ES256[^"]*", error="invalid_token"$/,
    );
    assert.equal(((await asBearer.json()) as Record<string, unknown>).error, 'invalid_token');

    const noProof = await fetch(userinfo, { headers: { authorization: `DPoP ${at}` } });
    assert.equal(noProof.status, 401);
    assert.equal(((await noProof.json()) as Record<string, unknown>).error, 'invalid_dpop_proof');

    const proof = await key.proof('GET', userinfo, { ath: ath(at) });
    const ok = await fetch(userinfo, { headers: { authorization: `DPoP ${at}`, dpop: proof } });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as Record<string, unknown>).sub, t.user.id);

    const replayed = await fetch(userinfo, { headers: { authorization: `DPoP ${at}`, dpop: proof } });
    assert.equal(replayed.status, 401);
    assert.match(
      String(((await replayed.json()) as Record<string, unknown>).error_description),
      /used before/,
    );

    const withoutAth = await fetch(userinfo, {
      headers: { authorization: `DPoP ${at}`, dpop: await key.proof('GET', userinfo) },
    });
    assert.equal(((await withoutAth.json()) as Record<string, unknown>).error, 'invalid_dpop_proof');
    const otherKey = await dpopKey();
    const wrongKey = await fetch(userinfo, {
      headers: { authorization: `DPoP ${at}`, dpop: await otherKey.proof('GET', userinfo, { ath: ath(at) }) },
    });
    assert.match(
      String(((await wrongKey.json()) as Record<string, unknown>).error_description),
      /not signed by the key the token is bound to/,
    );

    // A Bearer token sent with the DPoP scheme is refused too: the scheme promises a binding.
    const bearer = await postForm(
      `${t.url}/token`,
      { grant_type: 'client_credentials' },
      { id: 'svc-allowed', secret: allowedSecret, method: 'basic' },
    );
    const unbound = await fetch(userinfo, {
      headers: { authorization: `DPoP ${bearer.body.access_token}`, dpop: await key.proof('GET', userinfo) },
    });
    assert.equal(unbound.status, 401);
  });
});

describe('DPoP server nonces (RFC 9449 8)', () => {
  let t: LoginIssuer;
  let secret: string;

  before(async () => {
    t = await startLoginIssuer({ dpop: { requireNonce: true } });
    secret = (await addClient(t.store, { id: 'svc', audiences: [AUDIENCE], dpop: 'required' }, 'test'))
      .secret as string;
  });
  after(() => t.close());

  test('a proof without a nonce gets use_dpop_nonce and a DPoP-Nonce; the retry with it gets the token', async () => {
    const key = await dpopKey();
    const authorization = `Basic ${Buffer.from(`svc:${secret}`).toString('base64')}`;
    const first = await tokenCall(
      `${t.url}/token`,
      { grant_type: 'client_credentials' },
      { authorization, dpop: await key.proof('POST', `${t.url}/token`) },
    );
    assert.equal(first.status, 400);
    assert.equal(first.body.error, 'use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce, 'a DPoP-Nonce header came back');

    const forged = await tokenCall(
      `${t.url}/token`,
      { grant_type: 'client_credentials' },
      { authorization, dpop: await key.proof('POST', `${t.url}/token`, { nonce: 'made-up' }) },
    );
    assert.equal(forged.body.error, 'use_dpop_nonce');

    const retry = await tokenCall(
      `${t.url}/token`,
      { grant_type: 'client_credentials' },
      { authorization, dpop: await key.proof('POST', `${t.url}/token`, { nonce }) },
    );
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.equal(
      (decodePart(retry.body.access_token as string, 1).cnf as { jkt?: string }).jkt,
      key.thumbprint,
    );
  });
});
