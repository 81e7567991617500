// End to end: requests an attacker would send, against a real `jwtgate gateway` process and a
// real upstream. Method override in every form, spaces around claims, client headers upstream
// code trusts, tokens on public routes, and request framing node's parser lets through.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  type CorpKeys,
  corpToken,
  exampleConfig,
  freePort,
  type GatewayProcess,
  makeCorpKeys,
  type Running,
  rawRequest,
  rawStatus,
  send,
  startGateway,
  startJwks,
  startUpstream,
  tempDir,
  tutorialToken,
  type Upstream,
  waitForStatus,
} from './harness.ts';

type ErrorBody = { error: string; request_id: string };

/** Every client header an upstream framework trusts to say who or where the client is. */
const TRUSTED_BY_UPSTREAMS = [
  'X-Client-IP',
  'True-Client-IP',
  'CF-Connecting-IP',
  'Fastly-Client-IP',
  'X-Cluster-Client-IP',
  'X-Forwarded',
  'Forwarded-For',
  'X-Forwarded-Scheme',
  'X-Forwarded-Ssl',
  'Front-End-Https',
  'X-Url-Scheme',
  'X-Original-Host',
  'X-Host',
  'X-Forwarded-Server',
  'X-Forwarded-Uri',
  'X-Original-Method',
  'Remote-User',
  'X-Remote-User',
  'X-Forwarded-User',
  'X-Auth-Request-User',
  'X-Auth-Request-Email',
  'X-Auth-Request-Groups',
  // and those stripped before
  'Forwarded',
  'X-Real-IP',
  'X-Forwarded-For',
  'X-Forwarded-Host',
  'X-Forwarded-Proto',
  'X-Forwarded-Port',
  'X-Forwarded-Prefix',
  'X-Original-URL',
  'X-Rewrite-URL',
];

function routes(up: number): string {
  const u = `http://127.0.0.1:${up}`;
  return `    - name: docs
      match: { path: /docs/**, methods: [GET, POST] }
      public: true
      upstream: ${u}
    - name: docs-delete
      match: { path: /docs/**, methods: [DELETE] }
      requires: { provider: corp, roles_any: [admin] }
      upstream: ${u}
    - name: trace
      match: { path: /trace/**, methods: [TRACE] }
      public: true
      upstream: ${u}
`;
}

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

function multipart(fields: Record<string, string>): { body: string; type: string } {
  const boundary = 'jwtgate-test-boundary';
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return { body: `${parts.join('')}--${boundary}--\r\n`, type: `multipart/form-data; boundary=${boundary}` };
}

describe('jwtgate gateway: hostile requests', { timeout: 120_000 }, () => {
  const tmp = tempDir();
  let keys: CorpKeys;
  let jwks: Running;
  let up: Upstream;
  let gw: GatewayProcess;
  let base: string;
  let port: number;
  const seenPath = (path: string) => up.seen.filter((r) => r.url.startsWith(path));

  before(async () => {
    keys = await makeCorpKeys();
    [jwks, up] = await Promise.all([startJwks(keys), startUpstream('up')]);
    port = await freePort();
    const admin = await freePort();
    const file = tmp.write(
      'jwtgate.yaml',
      exampleConfig(
        { gateway: port, admin, upstream1: up.port, upstream2: up.port, jwks: jwks.port },
        routes(up.port),
      ),
    );
    gw = await startGateway(file);
    base = `http://127.0.0.1:${port}`;
    await waitForStatus(`http://127.0.0.1:${admin}/readyz`, 200);
  });

  after(async () => {
    assert.equal(await gw?.stop(), 0);
    await Promise.all([jwks?.close(), up?.close()]);
    tmp.cleanup();
  });

  describe('method override', () => {
    it('a public POST with _method=DELETE in the query is refused: it would be a DELETE upstream', async () => {
      for (const query of ['_method=DELETE', 'a=1&_method=DELETE', '_METHOD=delete', '%5Fmethod=DELETE']) {
        const path = `/docs/q-${encodeURIComponent(query)}`;
        const res = await send(`${base}${path}?${query}`, { method: 'POST', body: '' });
        assert.equal(res.status, 400, query);
        assert.equal(res.json<ErrorBody>().error, 'ERR_METHOD_OVERRIDE', query);
        assert.deepEqual(seenPath(path), [], `${query} reached the upstream`);
      }
    });

    it('a _method field in an urlencoded or a multipart body is refused, and nothing goes upstream', async () => {
      const urlencoded = await send(`${base}/docs/form`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form({ title: 'x', _method: 'DELETE' }),
      });
      assert.equal(urlencoded.status, 400);
      assert.equal(urlencoded.json<ErrorBody>().error, 'ERR_METHOD_OVERRIDE');
      const mp = multipart({ title: 'x', _method: 'DELETE' });
      const multi = await send(`${base}/docs/multipart`, {
        method: 'POST',
        headers: { 'content-type': mp.type },
        body: mp.body,
      });
      assert.equal(multi.status, 400);
      assert.equal(multi.json<ErrorBody>().error, 'ERR_METHOD_OVERRIDE');
      // Rack reads a POST without Content-Type as a form too.
      const untyped = await send(`${base}/docs/untyped`, { method: 'POST', body: '_method=DELETE' });
      assert.equal(untyped.status, 400);
      assert.deepEqual(
        [...seenPath('/docs/form'), ...seenPath('/docs/multipart'), ...seenPath('/docs/untyped')],
        [],
      );
    });

    it('the header forms are refused as well', async () => {
      for (const header of ['X-HTTP-Method-Override', 'X-HTTP-Method', 'X-Method-Override']) {
        const res = await send(`${base}/docs/h`, {
          method: 'POST',
          headers: { [header]: 'DELETE' },
          body: '',
        });
        assert.equal(res.status, 400, header);
        assert.equal(res.json<ErrorBody>().error, 'ERR_METHOD_OVERRIDE');
      }
    });

    it('forms without _method, and other bodies naming it, go through untouched', async () => {
      const body = form({ title: 'a method', note: '_method=DELETE' });
      const res = await send(`${base}/docs/ok`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      assert.equal(res.status, 200);
      assert.equal(res.json<{ body: string }>().body, body);
      const json = await send(`${base}/docs/json`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"_method":"DELETE"}',
      });
      assert.equal(json.status, 200);
    });
  });

  describe('identity headers', () => {
    it('spaces around a claim reach the upstream encoded, not trimmed into another value', async () => {
      const token = await corpToken(keys.rs, { sub: ' admin', roles: ['billing', ' admin '] });
      const res = await send(`${base}/billing/ws`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      const seen = res.json<{ headers: Record<string, string> }>().headers;
      assert.equal(seen['x-user-id'], '%20admin');
      assert.equal(seen['x-user-roles'], 'billing,%20admin%20');
      // The upstream, splitting the list, never finds a role "admin".
      assert.ok(!seen['x-user-roles']?.split(',').some((r) => r.trim() === 'admin'));
    });
  });

  describe('client headers upstream code trusts', () => {
    for (const header of TRUSTED_BY_UPSTREAMS) {
      it(`${header} from a client never reaches the upstream (public and protected routes)`, async () => {
        const pub = await send(`${base}/docs/hdr`, { headers: { [header]: 'spoofed-by-client' } });
        assert.equal(pub.status, 200);
        const token = await corpToken(keys.es, { roles: ['billing'] });
        const prot = await send(`${base}/billing/hdr`, {
          headers: { [header]: 'spoofed-by-client', authorization: `Bearer ${token}` },
        });
        assert.equal(prot.status, 200);
        for (const res of [pub, prot]) {
          const seen = res.json<{ headers: Record<string, string> }>().headers;
          assert.notEqual(seen[header.toLowerCase()], 'spoofed-by-client', `${header} was forwarded`);
        }
      });
    }
  });

  describe('tokens on public routes', () => {
    it('Authorization and the token header and cookie are not forwarded on a public route', async () => {
      const token = await tutorialToken();
      const res = await send(`${base}/docs/token`, {
        headers: { authorization: `Bearer ${token}`, token, cookie: 'theme=dark' },
      });
      assert.equal(res.status, 200);
      const seen = res.json<{ headers: Record<string, string> }>().headers;
      assert.equal(seen.authorization, undefined);
      assert.equal(seen.token, undefined);
      assert.equal(seen.cookie, 'theme=dark');
    });
  });

  describe('framing', () => {
    const rawPaths = () => up.seen.map((r) => r.url);

    it('two Host headers are refused with 400 (RFC 9112 3.2), and nothing goes upstream', async () => {
      const r = await rawRequest(
        port,
        'GET /docs/two-hosts HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n',
      );
      assert.equal(rawStatus(r.text), 400);
      assert.match(r.text, /ERR_REQUEST_MALFORMED/);
      assert.ok(!rawPaths().includes('/docs/two-hosts'));
    });

    it('an HTTP/0.9-style request line is refused', async () => {
      const r = await rawRequest(port, 'GET /docs/old\r\n\r\n');
      assert.equal(rawStatus(r.text), 400);
      assert.ok(!rawPaths().includes('/docs/old'));
    });

    it('a #fragment in the target is refused, in the path or after the query', async () => {
      for (const target of ['/docs/frag#x', '/docs/frag?a=1#x']) {
        const r = await rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n`);
        assert.equal(rawStatus(r.text), 400, target);
      }
      assert.ok(!rawPaths().some((p) => p.startsWith('/docs/frag')));
    });

    it('HTTP/1.0 with Transfer-Encoding is refused before anything runs upstream (RFC 9112 6.1)', async () => {
      const r = await rawRequest(
        port,
        'POST /docs/te10 HTTP/1.0\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n',
      );
      assert.equal(rawStatus(r.text), 400);
      assert.ok(!rawPaths().includes('/docs/te10'));
    });

    it('TRACE reaches only a route that lists it', async () => {
      const r = await rawRequest(port, 'TRACE /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n');
      assert.equal(rawStatus(r.text), 405);
      assert.ok(!up.seen.some((s) => s.method === 'TRACE' && s.url === '/healthz'));
      const listed = await rawRequest(
        port,
        'TRACE /trace/x HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n',
      );
      assert.equal(rawStatus(listed.text), 200);
    });

    it('CONNECT is answered (no tunnel), not forwarded', async () => {
      const r = await rawRequest(port, 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n');
      assert.equal(rawStatus(r.text), 400);
      assert.match(r.text, /ERR_PATH_INVALID/);
    });
  });
});

describe('jwtgate gateway: per-route header and override settings', { timeout: 60_000 }, () => {
  const tmp = tempDir();
  let keys: CorpKeys;
  let jwks: Running;
  let up: Upstream;
  let gw: GatewayProcess;
  let base: string;

  before(async () => {
    keys = await makeCorpKeys();
    [jwks, up] = await Promise.all([startJwks(keys), startUpstream('up')]);
    const port = await freePort();
    const u = `http://127.0.0.1:${up.port}`;
    const file = tmp.write(
      'jwtgate.yaml',
      exampleConfig(
        { gateway: port, upstream1: up.port, upstream2: up.port, jwks: jwks.port },
        `    - name: lenient
      match: { path: /lenient/** }
      public: true
      upstream: ${u}
      method_override: strip
      strip_headers: [X-Debug]
    - name: rails
      match: { path: /rails/** }
      public: true
      upstream: ${u}
      method_override: allow
    - name: passthrough
      match: { path: /passthrough/** }
      public: true
      upstream: ${u}
      forward_token: true
`,
      ),
    );
    gw = await startGateway(file);
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    assert.equal(await gw?.stop(), 0);
    await Promise.all([jwks?.close(), up?.close()]);
    tmp.cleanup();
  });

  it('method_override: strip removes the header and the query parameter', async () => {
    const res = await send(`${base}/lenient/x?a=1&_method=DELETE`, {
      method: 'POST',
      headers: { 'x-http-method-override': 'DELETE' },
      body: '',
    });
    assert.equal(res.status, 200);
    const seen = res.json<{ method: string; url: string; headers: Record<string, string> }>();
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/lenient/x?a=1');
    assert.equal(seen.headers['x-http-method-override'], undefined);
  });

  it('method_override: strip still refuses a _method form field (a body is never rewritten)', async () => {
    const res = await send(`${base}/lenient/form`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '_method=DELETE',
    });
    assert.equal(res.status, 400);
    assert.equal(res.json<ErrorBody>().error, 'ERR_METHOD_OVERRIDE');
  });

  it('method_override: allow forwards them (a route that takes every method)', async () => {
    const res = await send(`${base}/rails/posts/1?_method=DELETE`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-http-method-override': 'DELETE' },
      body: '_method=delete',
    });
    assert.equal(res.status, 200);
    const seen = res.json<{ url: string; body: string; headers: Record<string, string> }>();
    assert.equal(seen.url, '/rails/posts/1?_method=DELETE');
    assert.equal(seen.body, '_method=delete');
    assert.equal(seen.headers['x-http-method-override'], 'DELETE');
  });

  it('strip_headers removes the route’s own headers', async () => {
    const res = await send(`${base}/lenient/h`, { headers: { 'x-debug': '1', 'x-kept': '1' } });
    const seen = res.json<{ headers: Record<string, string> }>().headers;
    assert.equal(seen['x-debug'], undefined);
    assert.equal(seen['x-kept'], '1');
  });

  it('forward_token: true on a public route forwards Authorization and the token header', async () => {
    const token = await corpToken(keys.rs);
    const res = await send(`${base}/passthrough/x`, { headers: { authorization: `Bearer ${token}`, token } });
    const seen = res.json<{ headers: Record<string, string> }>().headers;
    assert.equal(seen.authorization, `Bearer ${token}`);
    assert.equal(seen.token, token);
  });
});
