// The decision listener over real HTTP: the request a proxy describes (nginx, Traefik/Caddy,
// Envoy, ingress-nginx conventions) goes through the gateway's own pipeline; the answer is 200 with
// the identity headers, or the denial the gateway would give. Asked from an address outside
// trusted_proxies (127.0.0.2 on loopback), it is refused.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type IncomingHttpHeaders, request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import pino from 'pino';
import { stringify } from 'yaml';
import { createGateway, type Gateway } from '../../../src/gateway/create-gateway.ts';
import { answerHeaders, DECISION_PIPELINE } from '../../../src/gateway/decide/handle-decision.ts';
import { PIPELINE } from '../../../src/gateway/pipeline/run-pipeline.ts';
import { upstreamHeaders } from '../../../src/gateway/pipeline/upstream-headers.ts';
import { config, route, SECRET_A, tempDir } from '../helpers/config.ts';

const log = pino({ level: 'silent' });

async function token(claims: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ sub: 'alice', jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://a.test')
    .setAudience('api')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET_A));
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function ask(
  port: number,
  path: string,
  headers: Record<string, string>,
  options: { method?: string; localAddress?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        headers,
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      async (res) => {
        let body = '';
        for await (const c of res) body += c;
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

test("a decision runs the gateway's own steps, in order; what the upstream would see is the answer's headers", () => {
  assert.ok(PIPELINE.includes(upstreamHeaders));
  assert.deepEqual(
    DECISION_PIPELINE,
    PIPELINE.map((step) => (step === upstreamHeaders ? answerHeaders : step)),
  );
});

describe('decision listener', () => {
  const dir = tempDir('decide');
  let gateway: Gateway;
  let port = 0;
  let adminPort = 0;
  let proxyPort = 0;
  const identity = { 'X-Jwtgate-Sub': 'sub', 'X-Jwtgate-Roles': 'roles' };

  before(async () => {
    const file = dir.write(
      'jwtgate.yaml',
      stringify(
        config(
          [
            route('api', '/api/**', { identity_headers: identity }),
            route('admin', '/admin/**', {
              requires: { provider: 'a', roles_any: ['admin'] },
              identity_headers: identity,
            }),
            route('limited', '/limited', { rate_limit: { requests_per_second: 0.01, burst: 2 } }),
            { name: 'docs', match: { path: '/docs/**' }, public: true, upstream: 'http://127.0.0.1:7001' },
          ],
          { decisions: { listen: '127.0.0.1:0', trusted_proxies: ['127.0.0.1/32', '::1/128'] } },
        ),
      ),
    );
    gateway = createGateway({ configFile: file, logger: log, port: 0, adminPort: 0, decisionsPort: 0 });
    const ports = await gateway.start();
    port = ports.decisionsPort as number;
    adminPort = ports.adminPort as number;
    proxyPort = ports.port;
  });
  after(async () => {
    await gateway.close(100);
    dir.remove();
  });

  const nginx = (uri: string, extra: Record<string, string> = {}, method = 'GET') => ({
    'x-original-uri': uri,
    'x-original-method': method,
    'x-forwarded-host': 'app.example',
    ...extra,
  });

  test('nginx auth_request: 200 with the identity headers of the route', async () => {
    const t = await token({ roles: ['billing', 'admin'] });
    const a = await ask(port, '/nginx', nginx('/api/orders?x=1', { authorization: `Bearer ${t}` }));
    assert.equal(a.status, 200);
    assert.equal(a.headers['x-jwtgate-sub'], 'alice');
    assert.equal(a.headers['x-jwtgate-roles'], 'billing,admin');
    assert.equal(a.headers['cache-control'], 'no-store');
    // nginx keeps the connection to the next decision only when the answer's end is known.
    assert.equal(a.headers['content-length'], '0');
    assert.equal(a.headers['transfer-encoding'], undefined);
    assert.match(String(a.headers['x-request-id']), /./);
    assert.equal(a.body, '');
  });

  test('no token: 401 with the RFC 6750 WWW-Authenticate', async () => {
    const a = await ask(port, '/nginx', nginx('/api/orders'));
    assert.equal(a.status, 401);
    assert.match(String(a.headers['www-authenticate']), /^Bearer/);
    assert.equal(JSON.parse(a.body).error, 'ERR_TOKEN_MISSING');
    assert.equal(a.headers['content-length'], String(Buffer.byteLength(a.body)));
    assert.equal(a.headers['x-jwtgate-sub'], undefined);
  });

  test('a bad token: 401 invalid_token', async () => {
    const t = `${await token()}x`;
    const a = await ask(port, '/nginx', nginx('/api/orders', { authorization: `Bearer ${t}` }));
    assert.equal(a.status, 401);
    assert.match(String(a.headers['www-authenticate']), /error="invalid_token"/);
  });

  test('a missing role: 403 insufficient_scope', async () => {
    const t = await token({ roles: ['billing'] });
    const a = await ask(port, '/nginx', nginx('/admin/users', { authorization: `Bearer ${t}` }));
    assert.equal(a.status, 403);
    assert.match(String(a.headers['www-authenticate']), /error="insufficient_scope"/);
  });

  test('the described method is the one decided: 405 for a method the route does not take', async () => {
    const t = await token();
    const a = await ask(port, '/nginx', nginx('/api/x', { authorization: `Bearer ${t}` }, 'TRACE'));
    assert.equal(a.status, 405);
  });

  test('Traefik ForwardAuth / Caddy forward_auth: X-Forwarded-Method, -Uri, -Host, -Proto', async () => {
    const t = await token({ roles: ['admin'] });
    const headers = {
      'x-forwarded-method': 'POST',
      'x-forwarded-uri': '/admin/users',
      'x-forwarded-host': 'app.example',
      'x-forwarded-proto': 'https',
      authorization: `Bearer ${t}`,
    };
    const a = await ask(port, '/forward-auth', headers);
    assert.equal(a.status, 200);
    assert.equal(a.headers['x-jwtgate-roles'], 'admin');
    const b = await ask(port, '/forward-auth', { ...headers, 'x-forwarded-uri': '/nowhere' });
    assert.equal(b.status, 404);
    assert.equal(JSON.parse(b.body).error, 'ERR_ROUTE_NOT_FOUND');
  });

  test('Envoy ext_authz: the original request under /envoy', async () => {
    const t = await token({ roles: ['admin'] });
    const a = await ask(
      port,
      '/envoy/admin/users?page=2',
      { authorization: `Bearer ${t}` },
      { method: 'DELETE' },
    );
    assert.equal(a.status, 200);
    assert.equal(a.headers['x-jwtgate-sub'], 'alice');
    const b = await ask(port, '/envoy/admin/users', {});
    assert.equal(b.status, 401);
  });

  test('ingress-nginx auth-url: X-Original-URL and X-Original-Method', async () => {
    const t = await token();
    const a = await ask(port, '/ingress-nginx', {
      'x-original-url': 'https://app.example/api/orders?id=3',
      'x-original-method': 'GET',
      authorization: `Bearer ${t}`,
    });
    assert.equal(a.status, 200);
    assert.equal(a.headers['x-jwtgate-sub'], 'alice');
  });

  test('path safety runs on the described URI', async () => {
    const t = await token();
    for (const uri of ['/docs/../api/x', '/api/%2e%2e/admin/x', '/api/a;b']) {
      const a = await ask(port, '/nginx', nginx(uri, { authorization: `Bearer ${t}` }));
      assert.equal(a.status, 400, uri);
      assert.equal(JSON.parse(a.body).error, 'ERR_PATH_INVALID', uri);
    }
  });

  test('a public route passes without a token and sets no identity', async () => {
    const a = await ask(port, '/nginx', nginx('/docs/intro', { 'x-jwtgate-sub': 'mallory' }));
    assert.equal(a.status, 200);
    assert.equal(a.headers['x-jwtgate-sub'], undefined);
  });

  test('the rate limit is the route’s: 429 with Retry-After past the burst', async () => {
    const t = await token({ sub: `rl-${randomUUID()}` });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++)
      statuses.push((await ask(port, '/nginx', nginx('/limited', { authorization: `Bearer ${t}` }))).status);
    assert.deepEqual(statuses, [200, 200, 429]);
  });

  test('a revoked token is denied', async () => {
    const jti = randomUUID();
    const t = await token({ jti });
    assert.equal((await ask(port, '/nginx', nginx('/api/x', { authorization: `Bearer ${t}` }))).status, 200);
    const exp = Math.floor(Date.now() / 1000) + 600;
    const r = await fetch(`http://127.0.0.1:${adminPort}/revocations`, {
      method: 'POST',
      body: JSON.stringify({ jti, exp }),
    });
    assert.equal(r.status, 204);
    const a = await ask(port, '/nginx', nginx('/api/x', { authorization: `Bearer ${t}` }));
    assert.equal(a.status, 401);
    assert.equal(JSON.parse(a.body).error, 'ERR_TOKEN_REVOKED');
  });

  test('a request that describes nothing is 400 ERR_DECISION_UNDESCRIBED', async () => {
    const t = await token();
    for (const [path, headers] of [
      ['/api/x', {}],
      ['/nginx', { 'x-original-uri': '/api/x' }],
      ['/ingress-nginx', { 'x-original-url': '/api/x', 'x-original-method': 'GET' }],
    ] as const) {
      const a = await ask(port, path, { ...headers, authorization: `Bearer ${t}` });
      assert.equal(a.status, 400, path);
      assert.equal(JSON.parse(a.body).error, 'ERR_DECISION_UNDESCRIBED', path);
    }
  });

  test("only the path's convention is read: another proxy's header a client sends is ignored", async () => {
    // nginx passes X-Forwarded-Uri from the client unchanged; on /nginx it must not choose the route.
    const a = await ask(
      port,
      '/nginx',
      nginx('/api/x', { 'x-forwarded-uri': '/docs/x', 'x-forwarded-method': 'GET' }),
    );
    assert.equal(a.status, 401);
  });

  test('from an address outside trusted_proxies: 403 ERR_DECISION_UNTRUSTED, nothing decided', async () => {
    const t = await token();
    const a = await ask(port, '/nginx', nginx('/api/x', { authorization: `Bearer ${t}` }), {
      localAddress: '127.0.0.2',
    });
    assert.equal(a.status, 403);
    assert.equal(JSON.parse(a.body).error, 'ERR_DECISION_UNTRUSTED');
    assert.equal(a.headers['x-jwtgate-sub'], undefined);
  });

  test('a decision counts in the mode="decision" series of /metrics, a proxied request in mode="proxy"', async () => {
    const count = async (series: string) => {
      const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
    const decided = 'jwtgate_requests_total{route="docs",status="200",mode="decision"}';
    const proxied = 'jwtgate_requests_total{route="docs",status="502",mode="proxy"}';
    const decidedDuration = 'jwtgate_request_duration_seconds_count{route="docs",mode="decision"}';
    const proxiedDuration = 'jwtgate_request_duration_seconds_count{route="docs",mode="proxy"}';
    const before = await Promise.all([decided, proxied, decidedDuration, proxiedDuration].map(count));
    // The public route's decision: 200 from the decision listener.
    assert.equal((await ask(port, '/nginx', nginx('/docs/a'))).status, 200);
    assert.equal((await ask(port, '/nginx', nginx('/docs/b'))).status, 200);
    // The same route through the gateway's own listener: proxied (nothing listens upstream: 502).
    assert.equal((await ask(proxyPort, '/docs/a', {})).status, 502);
    const after = await Promise.all([decided, proxied, decidedDuration, proxiedDuration].map(count));
    assert.deepEqual(
      after.map((n, i) => n - (before[i] as number)),
      [2, 1, 2, 1],
    );
    assert.equal(await count('jwtgate_requests_total{route="docs",status="200",mode="proxy"}'), 0);
    assert.equal(await count('jwtgate_requests_total{route="docs",status="502",mode="decision"}'), 0);
  });
});
