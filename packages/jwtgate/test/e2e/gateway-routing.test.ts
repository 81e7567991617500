// End to end: `jwtgate gateway` routing by host and by specificity, as real processes on real
// ports: echo upstreams behind it, tokens of the HS256 tutorial provider.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SECRET, secretBytes, signToken } from '../../../verify/test/helpers/keys.ts';
import {
  type EchoRequest,
  freePort,
  type GatewayProcess,
  nowSeconds,
  send,
  spawnGateway,
  startGateway,
  startUpstream,
  tempDir,
  type Upstream,
} from './harness.ts';

/** A tutorial-provider token (HS256) with these claims. */
function token(claims: Record<string, unknown>): Promise<string> {
  const now = nowSeconds();
  return signToken(secretBytes(SECRET), {
    alg: 'HS256',
    iss: 'jwtgo.io',
    aud: 'billing.jwtgo.io',
    exp: now + 300,
    claims: { iat: now, sub: 'user-1', ...claims },
  });
}

const PROVIDERS = `  providers:
    tutorial:
      issuer: jwtgo.io
      secret: \${SECRET_KEY}
      algorithms: [HS256]
      audiences: [billing.jwtgo.io]
      roles_claim: roles
`;

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

describe('jwtgate gateway: hosts and route precedence', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  const up: Upstream[] = [];
  let gw: GatewayProcess;
  let base: string;

  before(async () => {
    up.push(...(await Promise.all(['api', 'admin', 'tenant', 'shop', 'site'].map((n) => startUpstream(n)))));
    const [api, admin, tenant, shop, site] = up.map((u) => `http://127.0.0.1:${u.port}`);
    const port = await freePort();
    const file = tmp.write(
      'routing.yaml',
      `gateway:
  listen: 127.0.0.1:${port}
${PROVIDERS}  routes:
    - name: api
      match: { path: /api/** }
      requires: { provider: tutorial }
      upstream: ${api}
    - name: api-admin
      match: { path: /api/admin/** }
      requires: { provider: tutorial, roles_any: [admin] }
      upstream: ${admin}
    - name: tenants
      match: { path: /**, host: '*.tenants.example' }
      public: true
      upstream: ${tenant}
    - name: shop
      match: { path: /**, host: shop.tenants.example }
      public: true
      upstream: ${shop}
    - name: site
      match: { path: /** }
      public: true
      upstream: ${site}
`,
    );
    gw = await startGateway(file);
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    assert.equal(await gw?.stop(), 0);
    await Promise.all(up.map((u) => u.close()));
    tmp.cleanup();
  });

  it('/api/** for any signed-in user and /api/admin/** for admins load together and each takes its own', async () => {
    const user = await token({ roles: ['user'] });
    const admin = await token({ roles: ['admin'] });
    const asUser = await send(`${base}/api/orders/7`, { headers: bearer(user) });
    assert.equal(asUser.status, 200, asUser.body);
    assert.equal(asUser.headers['x-upstream'], 'api');
    // The more specific route decides: a user without the role is refused, not sent to /api/**.
    const refused = await send(`${base}/api/admin/users`, { headers: bearer(user) });
    assert.equal(refused.status, 403, refused.body);
    assert.equal(refused.json<{ error: string }>().error, 'ERR_INSUFFICIENT_ROLE');
    const allowed = await send(`${base}/api/admin/users`, { headers: bearer(admin) });
    assert.equal(allowed.status, 200, allowed.body);
    assert.equal(allowed.headers['x-upstream'], 'admin');
    assert.equal((await send(`${base}/api/admin`, { headers: bearer(user) })).status, 403);
    assert.equal((await send(`${base}/api/adminx`, { headers: bearer(user) })).headers['x-upstream'], 'api');
    assert.equal((await send(`${base}/api/orders`)).status, 401);
  });

  it('routes by host: exact before wildcard before any host, case and port ignored', async () => {
    const at = async (host: string, path = '/x') =>
      (await send(`${base}${path}`, { headers: { host } })).headers['x-upstream'];
    assert.equal(await at('shop.tenants.example'), 'shop');
    assert.equal(await at('SHOP.Tenants.Example:8443'), 'shop');
    assert.equal(await at('acme.tenants.example'), 'tenant');
    assert.equal(await at('a.b.tenants.example'), 'tenant');
    assert.equal(await at('tenants.example'), 'site');
    assert.equal(await at('elsewhere.example'), 'site');
    // A host's route is more specific than a path of any host: /api on a tenant host is the tenant's.
    assert.equal(await at('acme.tenants.example', '/api/orders'), 'tenant');
    const echo = (await send(`${base}/y`, { headers: { host: 'acme.tenants.example' } })).json<EchoRequest>();
    assert.equal(echo.headers['x-forwarded-host'], 'acme.tenants.example');
  });

  it('refuses a host that is not a host name with 400 ERR_HOST_INVALID before any route', async () => {
    for (const host of ['bad host', 'a@b.example', 'x.example:99x', '[::1']) {
      const res = await send(`${base}/x`, { headers: { host } });
      assert.equal(res.status, 400, `${host}: ${res.body}`);
      assert.equal(res.json<{ error: string }>().error, 'ERR_HOST_INVALID');
    }
    assert.ok(
      up.every((u) => !u.seen.some((s) => /bad host|a@b/.test(String(s.headers['x-forwarded-host'])))),
    );
  });

  it('refuses at start two routes equally specific for some request, naming both and the request', async () => {
    const file = tmp.write(
      'ambiguous.yaml',
      `gateway:
  listen: 127.0.0.1:0
${PROVIDERS}  routes:
    - name: one
      match: { path: /v1/*/items, host: '*.example.com' }
      public: true
      upstream: http://127.0.0.1:1
    - name: two
      match: { path: /v1/*/items, host: '*.EXAMPLE.com', methods: [POST] }
      public: true
      upstream: http://127.0.0.1:1
`,
    );
    const g = spawnGateway(file);
    const code = await g.exited;
    assert.equal(code, 78, g.output());
    assert.match(
      g.output(),
      /gateway\.routes\[0\] \(line 11\): routes "one" \(\*\.example\.com\/v1\/\*\/items\) and "two" \(\*\.EXAMPLE\.com\/v1\/\*\/items\) are equally specific for POST x\.example\.com\/v1\/x\/items: make one more specific, or give one a higher priority \(the other is gateway\.routes\[1\], line 15\)/,
    );
    assert.doesNotMatch(g.output(), /\n\s+at /, 'no stack trace');
  });
});

describe('jwtgate gateway: claim conditions and optional authentication', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  let tenants: Upstream;
  let feed: Upstream;
  let gw: GatewayProcess;
  let base: string;

  before(async () => {
    [tenants, feed] = await Promise.all([startUpstream('tenants'), startUpstream('feed')]);
    const port = await freePort();
    const file = tmp.write(
      'claims.yaml',
      `gateway:
  listen: 127.0.0.1:${port}
${PROVIDERS}  routes:
    - name: tenants
      match: { path: '/tenants/{tenant}/**' }
      requires:
        provider: tutorial
        claims: { tenant: '{tenant}', plan: [pro, enterprise] }
      identity_headers: { X-Tenant: tenant }
      upstream: http://127.0.0.1:${tenants.port}
    - name: feed
      match: { path: /feed/** }
      requires: { provider: tutorial, optional: true }
      identity_headers: { X-User-Id: sub }
      upstream: http://127.0.0.1:${feed.port}
`,
    );
    gw = await startGateway(file);
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    assert.equal(await gw?.stop(), 0);
    await Promise.all([tenants?.close(), feed?.close()]);
    tmp.cleanup();
  });

  it('a tenant claim equal to the path parameter passes; another tenant is 403 ERR_CLAIM_CONDITION', async () => {
    const acme = await token({ tenant: 'acme', plan: 'pro' });
    const ok = await send(`${base}/tenants/acme/invoices`, { headers: bearer(acme) });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.json<EchoRequest>().headers['x-tenant'], 'acme');
    const other = await send(`${base}/tenants/globex/invoices`, { headers: bearer(acme) });
    assert.equal(other.status, 403, other.body);
    assert.equal(other.json<{ error: string }>().error, 'ERR_CLAIM_CONDITION');
    assert.equal(other.headers['www-authenticate'], 'Bearer error="insufficient_scope"');
    // Decoded once: %61cme is acme; a slash or a second layer of encoding is never the tenant.
    assert.equal((await send(`${base}/tenants/%61cme/x`, { headers: bearer(acme) })).status, 200);
    assert.equal((await send(`${base}/tenants/%2561cme/x`, { headers: bearer(acme) })).status, 403);
    assert.equal((await send(`${base}/tenants/acme%2fx/x`, { headers: bearer(acme) })).status, 400);
    // One of a list: a free plan is refused even for its own tenant; a number is not the string.
    const free = await token({ tenant: 'acme', plan: 'free' });
    assert.equal((await send(`${base}/tenants/acme/x`, { headers: bearer(free) })).status, 403);
    const numeric = await token({ tenant: 7, plan: 'pro' });
    assert.equal((await send(`${base}/tenants/7/x`, { headers: bearer(numeric) })).status, 403);
    assert.equal(tenants.seen.filter((s) => s.url.includes('globex')).length, 0);
  });

  it('optional: no token is forwarded without identity (client copies removed), a valid token with it', async () => {
    const anon = await send(`${base}/feed/latest`, {
      headers: { 'x-user-id': 'forged', 'x-jwtgate-sub': 'forged' },
    });
    assert.equal(anon.status, 200, anon.body);
    const seen = anon.json<EchoRequest>();
    assert.equal(seen.headers['x-user-id'], undefined);
    assert.equal(seen.headers['x-jwtgate-sub'], undefined);
    const signedIn = await send(`${base}/feed/latest`, {
      headers: { ...bearer(await token({ sub: 'alice' })), 'x-user-id': 'forged' },
    });
    assert.equal(signedIn.status, 200, signedIn.body);
    assert.equal(signedIn.json<EchoRequest>().headers['x-user-id'], 'alice');
    assert.equal(signedIn.json<EchoRequest>().headers.authorization, undefined);
  });

  it('optional: a token that is present but invalid is 401, never anonymous', async () => {
    const expired = await signToken(secretBytes(SECRET), {
      alg: 'HS256',
      iss: 'jwtgo.io',
      aud: 'billing.jwtgo.io',
      exp: nowSeconds() - 600,
      claims: { sub: 'alice' },
    });
    for (const t of [expired, 'not-a-token', `${await token({ sub: 'a' })}x`]) {
      const res = await send(`${base}/feed/latest`, { headers: bearer(t) });
      assert.equal(res.status, 401, res.body);
      assert.match(String(res.headers['www-authenticate']), /^Bearer error="invalid_token"/);
    }
    const before = feed.seen.length;
    await send(`${base}/feed/latest`, { headers: bearer('not-a-token') });
    assert.equal(feed.seen.length, before, 'nothing forwarded');
  });
});
