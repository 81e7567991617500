// DPoP-bound tokens from a real `jwtgate issuer` for the gateway's DPoP end-to-end tests: the
// issuer process with a public client (PKCE, `dpop: required`), a client key that signs a fresh
// proof per request, and the code flow through the login pages (a password, and when asked an
// authenticator app set up on the spot) ending in a token request with a proof.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { dpopKey } from '../../../verify/test/dpop/dpop-helpers.ts';
import { addClient } from '../../src/issuer/admin/manage-clients.ts';
import { addUser } from '../../src/issuer/admin/manage-users.ts';
import {
  freePort,
  type IssuerProcess,
  openTempStore,
  startIssuerProcess,
  type TestIssuer,
} from '../issuer/helpers.ts';
import { browse, CookieJar, followToCallback, openLoginPage } from '../issuer/login/login-helpers.ts';
import { nowSeconds } from './harness.ts';

const CLIENT_ID = 'spa';
const REDIRECT = 'https://spa.example/callback';

export interface ClientKey {
  readonly thumbprint: string;
  /** A proof for this request (iat now, a new jti), with `ath` of `token` when given. */
  proof(method: string, url: string, token?: string): Promise<string>;
}

/** A client's ES256 key pair, made here. */
export async function clientKey(): Promise<ClientKey> {
  const key = await dpopKey('ES256');
  return {
    thumbprint: key.thumbprint,
    proof: (method, url, token) =>
      key.proof({ method, url, iat: nowSeconds(), ...(token === undefined ? {} : { token }) }),
  };
}

/** The payload of a JWT, not verified. */
export const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<string, unknown>;

export interface DpopIssuer {
  readonly process: IssuerProcess;
  readonly url: string;
  /** The access token of `user`'s sign-in, bound to `key`. */
  signIn(user: TestUser, key: ClientKey): Promise<string>;
}

export interface TestUser {
  readonly username: string;
  readonly password: string;
  /** Must use a second factor (none set up yet: the sign-in sets up an authenticator app). */
  readonly mfaRequired?: boolean;
}

/**
 * Starts `jwtgate issuer` on a store in `dir` with the public client `spa` (DPoP required, its
 * tokens for `api`) and `users`.
 */
export async function startDpopIssuer(
  dir: string,
  api: string,
  users: readonly TestUser[],
): Promise<DpopIssuer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const storeFile = `${dir}/issuer.db`;
  const store = await openTempStore(storeFile);
  await addClient(
    store,
    {
      id: CLIENT_ID,
      authMethod: 'none',
      grantTypes: ['authorization_code'],
      redirectUris: [REDIRECT],
      audiences: [api],
      dpop: 'required',
    },
    'test',
  );
  for (const user of users) await addUser(store, user, 'test');
  await store.close();
  const process = startIssuerProcess(['--port', String(port), '--issuer-url', url, '--store', storeFile]);
  await process.ready;
  return { process, url, signIn: (user, key) => signIn(url, api, user, key) };
}

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] as string;

/** The code flow of the public client with PKCE, then the token request with a DPoP proof. */
async function signIn(issuerUrl: string, api: string, user: TestUser, key: ClientKey): Promise<string> {
  const t = { url: issuerUrl } as TestIssuer;
  const jar = new CookieJar();
  const verifier = randomBytes(32).toString('base64url');
  const { pageUrl, csrf } = await openLoginPage(t, jar, {
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT,
    scope: 'openid',
    resource: api,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  let next = await browse(jar, pageUrl, { form: { username: user.username, password: user.password, csrf } });
  if (user.mfaRequired) {
    // A required second factor and none yet: the authenticator app is set up here and now.
    const secret = (/id="totp-secret">([A-Z2-7 ]+)</.exec(next.text)?.[1] ?? '').replace(/ /g, '');
    assert.equal(secret.length, 32, next.text.slice(0, 300));
    const code = TOTP.generate({ secret: Secret.fromBase32(secret) });
    const confirmed = await browse(jar, pageUrl, { form: { csrf: csrfOf(next.text), step: 'setup', code } });
    assert.equal(confirmed.res.status, 200, confirmed.text.slice(0, 300));
    next = await browse(jar, pageUrl, { form: { csrf: csrfOf(confirmed.text), step: 'continue' } });
  }
  assert.equal(next.res.status, 303, next.text.slice(0, 300));
  const callback = await followToCallback(t, jar, next.location as string, REDIRECT);
  const res = await fetch(`${issuerUrl}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      dpop: await key.proof('POST', `${issuerUrl}/token`),
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: CLIENT_ID,
      code: callback.get('code') as string,
      redirect_uri: REDIRECT,
      code_verifier: verifier,
      resource: api,
    }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.token_type, 'DPoP');
  return body.access_token as string;
}
