// Signed identity with real processes: a `jwtgate gateway` process sends its upstream a token of
// its own, which `@jwtgate/verify` accepts with the keys from the gateway's admin JWKS; a client's
// copy of the header never arrives; the same client token gets the same identity token back (the
// cache); and a restarted gateway signs with the key it kept in its state directory.
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createVerifier } from '@jwtgate/verify';
import { secretBytes, signToken } from '../../../verify/test/helpers/keys.ts';
import {
  freePort,
  type GatewayProcess,
  SECRET,
  spawnGateway,
  startUpstream,
  tempDir,
  type Upstream,
} from './harness.ts';

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

describe('signed identity for upstreams (gateway process)', { timeout: 180_000 }, () => {
  const tmp = tempDir();
  let gateway: GatewayProcess | undefined;
  let upstream: Upstream;
  let file = '';
  let base = '';
  let jwksUrl = '';
  let token = '';

  before(async () => {
    upstream = await startUpstream('orders');
    const [port, admin] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    jwksUrl = `http://127.0.0.1:${admin}/.well-known/jwks.json`;
    file = tmp.write(
      'gateway.yaml',
      `gateway:
  listen: 127.0.0.1:${port}
  admin: { listen: 127.0.0.1:${admin} }
  signed_identity: { state_dir: ${join(tmp.dir, 'state')}, issuer: https://gateway.test, algorithm: EdDSA }
  providers:
    corp: { issuer: https://issuer.test, secret: "\${SECRET_KEY}", algorithms: [HS256], audiences: [api] }
  routes:
    - name: orders
      match: { path: /orders/** }
      requires: { provider: corp }
      upstream: ${upstream.origin}
      signed_identity: { audience: "${upstream.origin}", lifetime: 30s }
    - name: plain
      match: { path: /plain/** }
      requires: { provider: corp }
      upstream: ${upstream.origin}
`,
    );
    gateway = await ready(spawnGateway(file));
    const now = Math.floor(Date.now() / 1000);
    token = await signToken(secretBytes(SECRET), {
      alg: 'HS256',
      iss: 'https://issuer.test',
      aud: 'api',
      exp: now + 300,
      claims: { iat: now, sub: 'alice', roles: ['orders'], client_id: 'web' },
    });
  });

  after(async () => {
    await gateway?.stop();
    await upstream.close();
    tmp.cleanup();
  });

  const call = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(base + path, { headers: { authorization: `Bearer ${token}`, ...headers } });
    assert.equal(res.status, 200);
    return (await res.json()) as { headers: Record<string, string | undefined> };
  };

  test("the upstream's token verifies with @jwtgate/verify against the gateway's JWKS; a client copy never arrives", async () => {
    const echo = await call('/orders/1', { 'x-jwtgate-identity': 'forged' });
    const jwt = echo.headers['x-jwtgate-identity'] as string;
    assert.notEqual(jwt, 'forged');
    const verifier = createVerifier({
      providers: {
        gateway: {
          issuer: 'https://gateway.test',
          audiences: [upstream.origin],
          algorithms: ['EdDSA'],
          jwksUri: jwksUrl,
          tokenTypes: ['jwtgate-identity+jwt'],
        },
      },
    });
    const { claims } = await verifier.verify(jwt);
    assert.equal(claims.sub, 'alice');
    assert.deepEqual(claims.roles, ['orders']);
    assert.equal(claims.client_id, 'web');
    assert.equal(claims.orig_iss, 'https://issuer.test');
    assert.equal((claims.exp as number) - (claims.iat as number), 30);
    const plain = await call('/plain/1', { 'x-jwtgate-identity': 'forged' });
    assert.equal(plain.headers['x-jwtgate-identity'], undefined, 'removed on a route without it too');
  });

  test('the same client token gets the same identity token (minted once per token and route)', async () => {
    const a = (await call('/orders/2')).headers['x-jwtgate-identity'];
    const b = (await call('/orders/3')).headers['x-jwtgate-identity'];
    assert.equal(a, b);
  });

  test('the key is kept in the state directory (0600) and signs again after a restart', async () => {
    const before = (await (await fetch(jwksUrl)).json()) as { keys: { kid: string }[] };
    assert.equal(before.keys.length, 1);
    const kid = before.keys[0]?.kid as string;
    const keyFile = join(tmp.dir, 'state', 'signing-keys');
    const [name] = readdirSync(keyFile);
    assert.equal(statSync(join(keyFile, name as string)).mode & 0o777, 0o600);
    await gateway?.stop();
    gateway = await ready(spawnGateway(file));
    const jwt = (await call('/orders/4')).headers['x-jwtgate-identity'] as string;
    const header = JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString()) as {
      kid: string;
    };
    assert.equal(header.kid, kid);
  });
});
