// A two-service chain through a `jwtgate gateway` process: alice signs in at a jwtgate issuer
// (in process, on a real port, SQLite store) and calls service A through the gateway; A
// exchanges her token (RFC 8693) for one to service B's audience and calls B through the same
// gateway, whose route to B requires a delegated token from A (requires.delegation). B sees alice
// as sub and service-a as act, in its identity headers and in the gateway's signed identity
// token. A's own token (no act), or alice's token straight to B, is refused. (The issuer runs in
// this process, as the issuer tests start it; the gateway is its own process.)
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { addClient } from '../../src/issuer/admin/manage-clients.ts';
import { decodePart, getToken, postForm } from '../issuer/helpers.ts';
import { type LoginIssuer, loginAndRedeem, startLoginIssuer } from '../issuer/login/login-helpers.ts';
import { freePort, type GatewayProcess, spawnGateway, tempDir } from './harness.ts';

const B_AUDIENCE = 'https://b.internal';
const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN = 'urn:ietf:params:oauth:token-type:access_token';

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

/** Waits for the gateway's ready line, generously: the machine running the suite may be busy. */
async function ready(g: GatewayProcess): Promise<GatewayProcess> {
  try {
    await g.waitFor(/"msg":"gateway ready"/, 60_000);
  } catch (err) {
    await g.stop();
    throw err;
  }
  return g;
}

describe('service A exchanges the token and calls service B through the gateway (act)', {
  timeout: 60_000,
}, () => {
  const tmp = tempDir();
  let issuer: LoginIssuer;
  let gateway: GatewayProcess | undefined;
  let gatewayUrl = '';
  let secretA = '';
  let userToken = '';
  const seenByB: IncomingHttpHeaders[] = [];
  const servers: Server[] = [];

  before(async () => {
    issuer = await startLoginIssuer();
    secretA = (
      await addClient(
        issuer.store,
        {
          id: 'service-a',
          audiences: [B_AUDIENCE],
          grantTypes: ['client_credentials', 'token_exchange'],
          tokenExchange: { audiences: [B_AUDIENCE] },
        },
        'test',
      )
    ).secret as string;
    userToken = (await loginAndRedeem(issuer, 'openid invoices:read')).tokens.access_token as string;

    const b = createServer((req, res) => {
      seenByB.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ b: 'ok' }));
    });
    // Service A: its incoming token (forwarded by the gateway) exchanged for one to B, then B
    // called through the gateway with it.
    const a = createServer(async (req, res) => {
      const incoming = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const exchanged = await postForm(
        `${issuer.url}/token`,
        {
          grant_type: GRANT,
          subject_token: incoming,
          subject_token_type: ACCESS_TOKEN,
          audience: B_AUDIENCE,
        },
        { id: 'service-a', secret: secretA, method: 'basic' },
      );
      if (exchanged.status !== 200) return void res.writeHead(502).end(JSON.stringify(exchanged.body));
      const fromB = await fetch(`${gatewayUrl}/b/ledger`, {
        headers: { authorization: `Bearer ${exchanged.body.access_token as string}` },
      });
      res.writeHead(fromB.status, { 'content-type': 'application/json' }).end(await fromB.text());
    });
    servers.push(a, b);
    const [aUrl, bUrl] = [await listen(a), await listen(b)];
    const port = await freePort();
    gatewayUrl = `http://127.0.0.1:${port}`;
    const jwks = `${issuer.url}/.well-known/jwks.json`;
    const file = tmp.write(
      'gateway.yaml',
      `gateway:
  listen: 127.0.0.1:${port}
  signed_identity: { state_dir: ${join(tmp.dir, 'state')}, issuer: https://gateway.test }
  providers:
    corp:
      issuer: ${issuer.url}
      jwks_uri: ${jwks}
      algorithms: [ES256]
      audiences: [https://billing.example, ${B_AUDIENCE}]
  routes:
    - name: a
      match: { path: /a/** }
      requires: { provider: corp }
      upstream: ${aUrl}
      forward_token: true
    - name: b
      match: { path: /b/** }
      requires:
        provider: corp
        delegation: { required: true, max_depth: 1, actors: [service-a] }
      upstream: ${bUrl}
      identity_headers: { X-User-Id: sub, X-Actor: act.sub }
      signed_identity: {}
`,
    );
    gateway = await ready(spawnGateway(file));
  });

  after(async () => {
    await gateway?.stop();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await issuer.close();
    tmp.cleanup();
  });

  test('alice -> gateway -> A -> exchange -> gateway -> B: B sees alice as sub and service-a as act', async () => {
    const res = await fetch(`${gatewayUrl}/a/orders`, { headers: { authorization: `Bearer ${userToken}` } });
    assert.equal(res.status, 200, await res.clone().text());
    assert.deepEqual(await res.json(), { b: 'ok' });
    const h = seenByB.at(-1) as IncomingHttpHeaders;
    assert.equal(h['x-user-id'], issuer.user.id);
    assert.equal(h['x-actor'], 'service-a');
    const signed = decodePart(h['x-jwtgate-identity'] as string, 1);
    assert.equal(signed.sub, issuer.user.id);
    assert.deepEqual(signed.act, { sub: 'service-a' });
    assert.equal(signed.aud, 'b');
  });

  test("A's own token for B (no act) is refused: ERR_DELEGATION_REQUIRED", async () => {
    const own = await getToken(issuer.url, 'service-a', secretA, { resource: B_AUDIENCE });
    assert.equal(decodePart(own, 1).act, undefined);
    const res = await fetch(`${gatewayUrl}/b/ledger`, { headers: { authorization: `Bearer ${own}` } });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'ERR_DELEGATION_REQUIRED');
  });

  test("alice's own token straight to B is refused: B takes only what A obtained on her behalf", async () => {
    const res = await fetch(`${gatewayUrl}/b/ledger`, { headers: { authorization: `Bearer ${userToken}` } });
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as { error: string }).error, 'ERR_DELEGATION_REQUIRED');
  });
});
