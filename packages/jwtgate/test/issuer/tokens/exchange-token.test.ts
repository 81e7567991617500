// Token exchange (RFC 8693) against an in-process issuer over HTTP: a user signs in to the web
// app, service `orders` exchanges the user's access token for one to `ledger`, which exchanges
// it on to `audit` (a nested act). The refusals the RFC names, and a subject token of a foreign
// issuer (a small issuer served by the test: discovery document and JWKS) accepted by policy only.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { createVerifier } from '@jwtgate/verify';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { addClient } from '../../../src/issuer/admin/manage-clients.ts';
import { revokeJti } from '../../../src/issuer/revocation/revoke-jti.ts';
import { AUDIENCE, decodePart, getToken, postForm } from '../helpers.ts';
import { type LoginIssuer, loginAndRedeem, startLoginIssuer } from '../login/login-helpers.ts';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';
const LEDGER = 'https://ledger.example';
const AUDIT = 'https://audit.example';
const REPORTS = 'https://reports.example';

interface ForeignIssuer {
  readonly url: string;
  sign(claims: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

/** An issuer of the test's own: discovery, a JWKS, and tokens signed with its key. */
async function startForeignIssuer(): Promise<ForeignIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'foreign-1', alg: 'ES256', use: 'sig' };
  let url = '';
  const server: Server = createServer((req, res) => {
    const body =
      req.url === '/.well-known/openid-configuration'
        ? { issuer: url, jwks_uri: `${url}/jwks` }
        : req.url === '/jwks'
          ? { keys: [jwk] }
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    sign: (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'foreign-1', typ: 'at+jwt' })
        .setIssuer(url)
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti(crypto.randomUUID())
        .sign(privateKey),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('token exchange (RFC 8693)', () => {
  let t: LoginIssuer;
  let foreign: ForeignIssuer;
  /** The issuer's clock: real time (oidc-provider reads it too), moved ahead to let a token expire. */
  let ahead = 0;
  const clock = () => Date.now() + ahead;
  const secrets: Record<string, string> = {};
  /** Alice's access token for the web app's API (the subject token). */
  let userToken = '';

  const exchange = (client: string, params: Record<string, string>) =>
    postForm(
      `${t.url}/token`,
      { grant_type: GRANT, subject_token_type: ACCESS_TOKEN, ...params },
      { id: client, secret: secrets[client] as string, method: 'basic' },
    );
  const assertError = (
    r: { status: number; body: Record<string, unknown> },
    error: string,
    description?: RegExp,
  ) => {
    assert.equal(r.body.error, error, JSON.stringify(r.body));
    assert.equal(r.status, 400);
    if (description) assert.match(String(r.body.error_description), description);
    assert.doesNotMatch(JSON.stringify(r.body), /eyJ/, 'no token in an error');
  };

  before(async () => {
    t = await startLoginIssuer({}, clock);
    foreign = await startForeignIssuer();
    const service = async (id: string, audiences: string[], issuers: string[] = []) => {
      const { secret } = await addClient(
        t.store,
        {
          id,
          audiences: [`https://${id}.internal`],
          grantTypes: ['client_credentials', 'token_exchange'],
          tokenExchange: { audiences, issuers },
        },
        'test',
      );
      secrets[id] = secret as string;
    };
    await service('orders', [LEDGER, REPORTS]);
    await service('ledger', [AUDIT]);
    await service('partner', [LEDGER], [foreign.url]);
    const plain = await addClient(t.store, { id: 'plain', audiences: [LEDGER] }, 'test');
    secrets.plain = plain.secret as string;
    userToken = (await loginAndRedeem(t, 'openid profile invoices:read')).tokens.access_token as string;
  });
  after(async () => {
    await t.close();
    await foreign.close();
  });

  test('a token for the downstream audience: the user stays sub, act names the service', async () => {
    const r = await exchange('orders', { subject_token: userToken, resource: LEDGER });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.issued_token_type, ACCESS_TOKEN);
    assert.equal(r.body.token_type, 'Bearer');
    assert.equal(r.body.refresh_token, undefined);
    const subject = decodePart(userToken, 1);
    const claims = decodePart(r.body.access_token as string, 1);
    assert.equal(decodePart(r.body.access_token as string, 0).typ, 'at+jwt');
    assert.equal(claims.iss, t.url);
    assert.equal(claims.sub, subject.sub, 'the user');
    assert.equal(claims.aud, LEDGER);
    assert.equal(claims.client_id, 'orders');
    assert.deepEqual(claims.act, { sub: 'orders' });
    assert.deepEqual(claims.roles, subject.roles, 'the subject token’s roles, no more');
    assert.equal(claims.scope, subject.scope);
    assert.ok((claims.exp as number) <= (subject.exp as number), 'never outlives its subject token');
    assert.notEqual(claims.jti, subject.jti);

    // A service requiring a delegated token from orders accepts it (@jwtgate/verify, delegation).
    const jwks = (await (await fetch(`${t.url}/.well-known/jwks.json`)).json()) as {
      keys: Record<string, unknown>[];
    };
    const ledger = createVerifier({
      providers: {
        issuer: {
          issuer: t.url,
          audiences: [LEDGER],
          algorithms: ['ES256'],
          keys: { jwks },
          delegation: { required: true, actors: ['orders'] },
        },
      },
      now: clock,
    });
    assert.equal((await ledger.verify(r.body.access_token as string)).claims.sub, subject.sub);
    await assert.rejects(ledger.verify(userToken), { code: 'ERR_AUDIENCE_MISMATCH' });
  });

  test('a longer chain nests act: ledger exchanges the exchanged token on to audit', async () => {
    const first = await exchange('orders', { subject_token: userToken, audience: LEDGER });
    const second = await exchange('ledger', { subject_token: first.body.access_token as string });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const claims = decodePart(second.body.access_token as string, 1);
    assert.equal(claims.aud, AUDIT, 'its one policy audience is the default');
    assert.equal(claims.sub, decodePart(userToken, 1).sub);
    assert.deepEqual(claims.act, { sub: 'ledger', act: { sub: 'orders' } });
  });

  test('scopes only narrow: a subset is granted, a wider scope is invalid_scope', async () => {
    const narrow = await exchange('orders', {
      subject_token: userToken,
      resource: LEDGER,
      scope: 'invoices:read',
    });
    assert.equal(narrow.status, 200, JSON.stringify(narrow.body));
    assert.equal(narrow.body.scope, 'invoices:read');
    assert.equal(decodePart(narrow.body.access_token as string, 1).scope, 'invoices:read');
    assertError(
      await exchange('orders', {
        subject_token: userToken,
        resource: LEDGER,
        scope: 'invoices:read invoices:write',
      }),
      'invalid_scope',
    );
  });

  test('an audience outside the policy, or two at once, is invalid_target', async () => {
    assertError(await exchange('orders', { subject_token: userToken, resource: AUDIT }), 'invalid_target');
    assertError(
      await exchange('orders', { subject_token: userToken, audience: 'https://evil.example' }),
      'invalid_target',
    );
    assertError(await exchange('orders', { subject_token: userToken }), 'invalid_target', /name one/);
    const both = await fetch(`${t.url}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`orders:${secrets.orders}`).toString('base64')}`,
      },
      body: `grant_type=${encodeURIComponent(GRANT)}&subject_token_type=${encodeURIComponent(ACCESS_TOKEN)}&subject_token=${userToken}&resource=${encodeURIComponent(LEDGER)}&resource=${encodeURIComponent(REPORTS)}`,
    });
    assert.equal(((await both.json()) as { error: string }).error, 'invalid_target');
  });

  test('a revoked subject token is invalid_grant', async () => {
    const fresh = (await loginAndRedeem(t, 'openid invoices:read')).tokens.access_token as string;
    const claims = decodePart(fresh, 1);
    await revokeJti(t.store, { jti: claims.jti as string, exp: claims.exp as number, actor: 'test' });
    assertError(
      await exchange('orders', { subject_token: fresh, resource: LEDGER }),
      'invalid_grant',
      /revoked/,
    );
  });

  test('an expired subject token is invalid_grant', async () => {
    const fresh = (await loginAndRedeem(t, 'openid invoices:read')).tokens.access_token as string;
    const exp = decodePart(fresh, 1).exp as number;
    ahead = exp * 1000 + 1000 - Date.now();
    try {
      assertError(
        await exchange('orders', { subject_token: fresh, resource: LEDGER }),
        'invalid_grant',
        /expired/,
      );
    } finally {
      ahead = 0;
    }
  });

  test('a foreign, forged or non-user subject token is invalid_grant', async () => {
    const foreignToken = await foreign.sign({ sub: 'someone', aud: 'https://orders.internal', scope: 'x' });
    assertError(
      await exchange('orders', { subject_token: foreignToken, resource: LEDGER }),
      'invalid_grant',
      /issuer/,
    );
    // Our issuer's name, another key.
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ ...decodePart(userToken, 1) })
      .setProtectedHeader({ alg: 'ES256', kid: decodePart(userToken, 0).kid as string, typ: 'at+jwt' })
      .sign(privateKey);
    assertError(
      await exchange('orders', { subject_token: forged, resource: LEDGER }),
      'invalid_grant',
      /not valid/,
    );
    assertError(await exchange('orders', { subject_token: 'not.a.jwt', resource: LEDGER }), 'invalid_grant');
    // A service's own client-credentials token names no user to act for.
    const serviceToken = await getToken(t.url, 'plain', secrets.plain as string);
    assertError(
      await exchange('orders', { subject_token: serviceToken, resource: LEDGER }),
      'invalid_grant',
      /user/,
    );
  });

  test('a foreign issuer the policy names is accepted, and its may_act is honoured', async () => {
    const accepted = await exchange('partner', {
      subject_token: await foreign.sign({
        sub: 'ext-user-1',
        aud: 'https://partner.internal',
        scope: 'read write',
      }),
      resource: LEDGER,
      scope: 'read',
    });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const claims = decodePart(accepted.body.access_token as string, 1);
    assert.equal(claims.iss, t.url, 'issued by this issuer');
    assert.equal(claims.sub, 'ext-user-1');
    assert.deepEqual(claims.act, { sub: 'partner' });
    const notMe = await foreign.sign({
      sub: 'ext-user-1',
      aud: 'https://partner.internal',
      may_act: { sub: 'orders' },
    });
    assertError(
      await exchange('partner', { subject_token: notMe, resource: LEDGER }),
      'invalid_grant',
      /may_act/,
    );
    const me = await foreign.sign({
      sub: 'ext-user-1',
      aud: 'https://partner.internal',
      may_act: { sub: 'partner' },
    });
    assert.equal((await exchange('partner', { subject_token: me, resource: LEDGER })).status, 200);
    // ... but not this issuer's own tokens: the policy names only the foreign one.
    assertError(
      await exchange('partner', { subject_token: userToken, resource: LEDGER }),
      'invalid_grant',
      /issuer/,
    );
  });

  test('malformed requests are invalid_request; no policy, no exchange', async () => {
    assertError(await exchange('orders', { resource: LEDGER }), 'invalid_request', /subject_token/);
    assertError(
      await exchange('orders', { subject_token: userToken, resource: LEDGER, subject_token_type: 'urn:x' }),
      'invalid_request',
      /subject_token_type/,
    );
    assertError(
      await exchange('orders', {
        subject_token: userToken,
        resource: LEDGER,
        requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
      }),
      'invalid_request',
    );
    assertError(
      await exchange('orders', {
        subject_token: userToken,
        resource: LEDGER,
        actor_token: userToken,
        actor_token_type: ACCESS_TOKEN,
      }),
      'invalid_request',
      /actor_token/,
    );
    const plain = await exchange('plain', { subject_token: userToken, resource: LEDGER });
    assert.equal(plain.status, 400);
    assert.match(String(plain.body.error), /unauthorized_client|invalid_request/);
    const unauthenticated = await postForm(`${t.url}/token`, {
      grant_type: GRANT,
      subject_token_type: ACCESS_TOKEN,
      subject_token: userToken,
      client_id: 'orders',
    });
    assert.equal(unauthenticated.status, 401);
    assert.equal(unauthenticated.body.error, 'invalid_client');
  });

  test('the metadata lists the grant type', async () => {
    const m = (await (await fetch(`${t.url}/.well-known/oauth-authorization-server`)).json()) as {
      grant_types_supported: string[];
    };
    assert.ok(m.grant_types_supported.includes(GRANT));
    assert.equal(AUDIENCE, 'https://billing.example');
  });
});
