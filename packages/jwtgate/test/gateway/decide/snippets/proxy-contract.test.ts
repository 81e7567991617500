// Traefik and Envoy are not installed here (no Debian package): their generated configurations are
// checked by a request-level test of the header contract instead. Each proxy's documented
// behaviour is played against a real decision listener over HTTP: what it sends to the decision
// (Traefik ForwardAuth: X-Forwarded-Method/-Uri/-Host/-Proto and the client's headers; Envoy
// ext_authz: the original request under path_prefix with the allowed headers), and what it does
// with the answer (Traefik: delete each authResponseHeaders name and every request header the
// regex matches, then copy the answer's; Envoy: header_mutation's removals first, then copy
// allowed_upstream_headers; on denial pass allowed_client_headers to the client).
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import pino from 'pino';
import { parse, stringify } from 'yaml';
import { readConfig } from '../../../../src/gateway/config/read-config.ts';
import { createGateway, type Gateway } from '../../../../src/gateway/create-gateway.ts';
import { integrationSpec } from '../../../../src/gateway/decide/integration-spec.ts';
import { PROXY_SNIPPETS } from '../../../../src/gateway/decide/snippets/proxy-snippets.ts';
import { STRIPPED_CLIENT_HEADERS } from '../../../../src/gateway/headers/header-policy.ts';
import { config, route, SECRET_A, tempDir } from '../../helpers/config.ts';

type Headers = Record<string, string>;

function ask(port: number, method: string, path: string, headers: Headers) {
  return new Promise<{ status: number; headers: Headers }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

const token = (roles: string[]) =>
  new SignJWT({ sub: 'alice', roles })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('https://a.test')
    .setAudience('api')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET_A));

const IDENTITY = { 'X-Jwtgate-Sub': 'sub', 'X-Jwtgate-Roles': 'roles' };
const SPOOFED: Headers = {
  'x-jwtgate-sub': 'mallory',
  'x-jwtgate-roles': 'admin',
  'x-jwtgate-extra': 'x',
  'x-forwarded-user': 'mallory',
  'remote-user': 'mallory',
};

/** What Traefik does with a client request under the generated middlewares: clear, ask, copy. */
async function playTraefik(text: string, method: string, uri: string, client: Headers) {
  const doc = parse(text) as {
    http: {
      middlewares: Record<string, { forwardAuth?: unknown; headers?: { customRequestHeaders: Headers } }>;
    };
  };
  const auth = doc.http.middlewares.jwtgate?.forwardAuth as {
    address: string;
    authResponseHeaders: string[];
    authResponseHeadersRegex: string;
  };
  const clear = doc.http.middlewares['jwtgate-clear']?.headers?.customRequestHeaders ?? {};
  const req: Headers = {};
  for (const [k, v] of Object.entries(client)) req[k.toLowerCase()] = v;
  // The headers middleware runs first: an empty value deletes the header.
  for (const [k, v] of Object.entries(clear)) if (v === '') delete req[k.toLowerCase()];
  const u = new URL(auth.address);
  // trustForwardHeader: false, so Traefik sets these itself, over any the client sent.
  const answer = await ask(Number(u.port), 'GET', u.pathname, {
    ...req,
    'x-forwarded-method': method,
    'x-forwarded-uri': uri,
    'x-forwarded-host': 'app.example',
    'x-forwarded-proto': 'https',
  });
  if (answer.status < 200 || answer.status > 299) return { denied: answer, upstream: null };
  const regex = new RegExp(auth.authResponseHeadersRegex, 'i');
  for (const name of auth.authResponseHeaders) delete req[name.toLowerCase()];
  for (const name of Object.keys(req)) if (regex.test(name)) delete req[name];
  for (const name of auth.authResponseHeaders) {
    const v = answer.headers[name.toLowerCase()];
    if (v !== undefined) req[name.toLowerCase()] = v;
  }
  for (const [name, v] of Object.entries(answer.headers)) if (regex.test(name)) req[name] = v;
  return { denied: null, upstream: req };
}

interface Patterns {
  patterns: { exact: string }[];
}

/** What Envoy does under the generated filters: header_mutation, then ext_authz, then copy. */
async function playEnvoy(text: string, method: string, path: string, client: Headers) {
  const doc = parse(text) as {
    static_resources: {
      listeners: { filter_chains: { filters: { typed_config: { http_filters: unknown[] } }[] }[] }[];
    };
  };
  const filters = doc.static_resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config
    .http_filters as {
    name: string;
    typed_config: Record<string, unknown>;
  }[];
  assert.deepEqual(
    filters.map((f) => f.name),
    ['envoy.filters.http.header_mutation', 'envoy.filters.http.ext_authz', 'envoy.filters.http.router'],
  );
  const mutation = filters[0]?.typed_config as { mutations: { request_mutations: { remove: string }[] } };
  const authz = filters[1]?.typed_config as {
    failure_mode_allow: boolean;
    http_service: {
      server_uri: { uri: string };
      path_prefix: string;
      authorization_request: { allowed_headers: Patterns };
      authorization_response: { allowed_upstream_headers: Patterns; allowed_client_headers: Patterns };
    };
  };
  assert.equal(authz.failure_mode_allow, false);
  const svc = authz.http_service;
  const req: Headers = {};
  for (const [k, v] of Object.entries(client)) req[k.toLowerCase()] = v;
  for (const m of mutation.mutations.request_mutations) delete req[m.remove];
  // The check request: the original method and path (under path_prefix), Host, and the allowed headers.
  const allowed = new Set(svc.authorization_request.allowed_headers.patterns.map((p) => p.exact));
  const check: Headers = { host: 'app.example' };
  for (const [k, v] of Object.entries(req)) if (allowed.has(k)) check[k] = v;
  const u = new URL(svc.server_uri.uri);
  const answer = await ask(Number(u.port), method, svc.path_prefix + path, check);
  if (answer.status !== 200) {
    const passed = new Set(svc.authorization_response.allowed_client_headers.patterns.map((p) => p.exact));
    const toClient: Headers = {};
    for (const [k, v] of Object.entries(answer.headers)) if (passed.has(k)) toClient[k] = v;
    return { denied: { status: answer.status, headers: toClient }, upstream: null };
  }
  for (const p of svc.authorization_response.allowed_upstream_headers.patterns) {
    const v = answer.headers[p.exact];
    if (v !== undefined) req[p.exact] = v;
  }
  return { denied: null, upstream: req };
}

describe('Traefik and Envoy configurations: the header contract, request by request', () => {
  const dir = tempDir('contract');
  let gateway: Gateway;
  let port = 0;
  let file = '';

  before(async () => {
    file = dir.write(
      'jwtgate.yaml',
      stringify(
        config(
          [
            route('admin', '/admin/**', {
              requires: { provider: 'a', roles_any: ['admin'] },
              identity_headers: IDENTITY,
            }),
            { name: 'docs', match: { path: '/docs/**' }, public: true, upstream: 'http://127.0.0.1:7001' },
          ],
          { decisions: { listen: '127.0.0.1:0', trusted_proxies: ['127.0.0.1/32'] } },
        ),
      ),
    );
    gateway = createGateway({
      configFile: file,
      logger: pino({ level: 'silent' }),
      port: 0,
      decisionsPort: 0,
    });
    port = (await gateway.start()).decisionsPort as number;
  });
  after(async () => {
    await gateway.close(100);
    dir.remove();
  });

  // The configuration listens on port 0: the snippets name the port the listener was given.
  const snippet = (proxy: 'traefik' | 'envoy') => {
    const spec = integrationSpec(readConfig(file).config, file, {
      upstream: 'http://127.0.0.1:8000',
      listenPort: 8080,
    });
    const make = PROXY_SNIPPETS[proxy] as (s: typeof spec) => string;
    return make({ ...spec, decisionUrl: `http://127.0.0.1:${port}`, decisionAddress: `127.0.0.1:${port}` });
  };

  for (const [proxy, play] of [
    ['traefik', playTraefik],
    ['envoy', playEnvoy],
  ] as const) {
    test(`${proxy}: allowed, identity at the upstream; the client's copies and asserted headers gone`, async () => {
      const r = await play(snippet(proxy), 'POST', '/admin/users', {
        authorization: `Bearer ${await token(['admin'])}`,
        ...SPOOFED,
      });
      assert.equal(r.denied, null);
      assert.equal(r.upstream?.['x-jwtgate-sub'], 'alice');
      assert.equal(r.upstream?.['x-jwtgate-roles'], 'admin');
      assert.match(String(r.upstream?.['x-request-id']), /./);
      assert.equal(r.upstream?.['x-forwarded-user'], undefined);
      assert.equal(r.upstream?.['remote-user'], undefined);
      if (proxy === 'traefik') assert.equal(r.upstream?.['x-jwtgate-extra'], undefined);
    });

    test(`${proxy}: a public route, no identity and no spoofed copy at the upstream`, async () => {
      const r = await play(snippet(proxy), 'GET', '/docs/a', SPOOFED);
      assert.equal(r.denied, null);
      assert.equal(r.upstream?.['x-jwtgate-sub'], undefined);
      assert.equal(r.upstream?.['x-jwtgate-roles'], undefined);
    });

    test(`${proxy}: denied, the client gets 401/403 with WWW-Authenticate`, async () => {
      const none = await play(snippet(proxy), 'GET', '/admin/users', {});
      assert.equal(none.denied?.status, 401);
      assert.match(String(none.denied?.headers['www-authenticate']), /^Bearer/);
      const weak = await play(snippet(proxy), 'GET', '/admin/users', {
        authorization: `Bearer ${await token(['billing'])}`,
      });
      assert.equal(weak.denied?.status, 403);
      assert.match(String(weak.denied?.headers['www-authenticate']), /insufficient_scope/);
    });
  }

  test('every header the gateway strips from clients is cleared in each snippet', () => {
    const traefik = parse(snippet('traefik')).http.middlewares['jwtgate-clear'].headers.customRequestHeaders;
    const envoyText = snippet('envoy');
    for (const h of STRIPPED_CLIENT_HEADERS) {
      assert.ok(
        Object.keys(traefik).some((k) => k.toLowerCase() === h),
        `traefik ${h}`,
      );
      assert.ok(envoyText.includes(`remove: ${h}\n`), `envoy ${h}`);
    }
  });
});
