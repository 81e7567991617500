import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { JwtGateError } from '@jwtgate/verify';
import { NOW_MS, secretBytes, signToken } from '../../../../verify/test/helpers/keys.ts';
import {
  type CompiledGateway,
  compileGateway,
  parseHostPort,
} from '../../../src/gateway/config/compile-gateway.ts';
import { configFromObject, readConfig } from '../../../src/gateway/config/read-config.ts';
import type { GatewayConfigInput, RouteInput } from '../../../src/gateway/config/types.ts';
import { ConfigError } from '../../../src/gateway/errors.ts';
import { RevocationList } from '../../../src/gateway/state/revocation-list.ts';
import { config, EXAMPLE_CONFIG, hsProvider, route, SECRET_A } from '../helpers/config.ts';

const FILE = '/etc/jwtgate/test.yaml';
const SECRET_KEY = 'a-long-enough-tutorial-secret-0123456789abcdef';
const compiled: CompiledGateway[] = [];
after(() => Promise.all(compiled.map((g) => g.pools.close())));

function compile(c: GatewayConfigInput, revocations = new RevocationList(() => NOW_MS)): CompiledGateway {
  const g = compileGateway(configFromObject(c, FILE), { revocations, now: () => NOW_MS, env: {} });
  compiled.push(g);
  return g;
}

/** The problems of a configuration compileGateway refuses (asserting a ConfigError naming the file). */
function problems(c: GatewayConfigInput): readonly string[] {
  let caught: unknown;
  try {
    compile(c);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
  assert.equal(caught.code, 'ERR_CONFIG_INVALID');
  assert.ok(caught.message.startsWith(`invalid configuration ${FILE}:`), caught.message);
  return caught.problems;
}

const tokenA = (claims: Record<string, unknown> = {}) =>
  signToken(secretBytes(SECRET_A), { alg: 'HS256', iss: 'https://a.test', aud: 'api', claims });

describe('compileGateway: the example', () => {
  test('examples/gateway/jwtgate.yaml compiles into its routes, listen address and matcher', async () => {
    const g = compileGateway(readConfig(EXAMPLE_CONFIG, { SECRET_KEY }), {
      revocations: new RevocationList(),
    });
    compiled.push(g);
    assert.deepEqual(g.listen, { host: '127.0.0.1', port: 9001 });
    assert.equal(g.admin, null);
    assert.deepEqual(
      g.routes.map((r) => [r.name, r.public, r.authenticate !== null]),
      [
        ['health', true, false],
        ['billing', false, true],
        ['tutorial', false, true],
      ],
    );
    const [health, billing, tutorial] = g.routes as [
      CompiledGateway['routes'][0],
      CompiledGateway['routes'][0],
      CompiledGateway['routes'][0],
    ];
    assert.deepEqual(billing.methods && [...billing.methods], ['GET', 'POST']);
    assert.equal(health.methods, null);
    assert.equal(billing.stripPrefix, '/billing');
    assert.equal(tutorial.stripPrefix, null);
    // A DPoP proof is a credential too: never forwarded unless the token is.
    assert.deepEqual([...billing.headers.dropHeaders].sort(), ['authorization', 'dpop']);
    assert.deepEqual([...tutorial.headers.dropHeaders].sort(), ['authorization', 'dpop', 'token']);
    // A public route reads no token, so none reaches its upstream: Authorization and every provider's.
    assert.deepEqual([...health.headers.dropHeaders].sort(), ['authorization', 'dpop', 'token']);
    assert.deepEqual([...g.reservedHeaders].sort(), ['x-user-id', 'x-user-roles']);
    assert.equal(g.reservedPrefix, 'x-jwtgate-');
    assert.equal(g.trustForwarded, false);
    assert.equal(billing.timeoutMs, 30_000);
    assert.equal(billing.maxBodyBytes, 10 * 1024 * 1024);
    assert.equal(billing.rateLimit, null);
    assert.equal(billing.websocket, false);
    assert.equal(billing.upstream.targets[0]?.origin, 'http://127.0.0.1:7001');
    assert.equal(g.match('GET', '/billing/invoices/7').route, billing);
    assert.equal(g.match('GET', '/healthz').route, health);
    assert.equal(g.match('GET', '/').route, tutorial);
    assert.deepEqual(g.match('DELETE', '/billing'), { route: null, allowed: ['GET', 'POST'] });
    assert.deepEqual(g.match('GET', '/elsewhere'), { route: null, allowed: null });
    assert.ok(Object.isFrozen(g) && Object.isFrozen(billing));
    assert.deepEqual(g.verifier.providers, ['corp', 'tutorial']);
  });
});

describe('compileGateway: a compiled route', () => {
  test('authenticates with its provider (token sources, audience, issuer) and the injected clock', async () => {
    const g = compile(config([route('api', '/api/**')]));
    const authenticate = g.routes[0]?.authenticate;
    assert.ok(authenticate);
    const verified = await authenticate({
      headers: { authorization: `Bearer ${await tokenA({ sub: 'u1' })}` },
    });
    assert.equal(verified.provider, 'a');
    assert.equal(verified.claims.sub, 'u1');
    await assert.rejects(authenticate({ headers: {} }), { code: 'ERR_TOKEN_MISSING' });
  });

  test('the revocation list given in the context is consulted', async () => {
    const revocations = new RevocationList(() => NOW_MS);
    const g = compile(config([route('api', '/api')]), revocations);
    const token = await tokenA({ jti: 'j-1' });
    const request = { headers: { authorization: `Bearer ${token}` } };
    await g.routes[0]?.authenticate?.(request);
    revocations.add('j-1', NOW_MS / 1000 + 60);
    await assert.rejects(g.routes[0]?.authenticate?.(request) ?? Promise.resolve(), {
      code: 'ERR_TOKEN_REVOKED',
    });
  });

  test('route settings: timeout, body limit, upstream list and base path, websocket, forward_token', () => {
    const g = compile(
      config(
        [
          route('a', '/a/**', {
            timeout: '5s',
            max_body_bytes: 1024,
            upstream: ['http://127.0.0.1:7001/base/', 'http://127.0.0.2:7002'],
            websocket: true,
            forward_token: true,
          }),
          route('b', '/b', { timeout: 250 }),
        ],
        { max_body_bytes: 2048 },
      ),
    );
    const [a, b] = g.routes;
    assert.equal(a?.timeoutMs, 5000);
    assert.equal(b?.timeoutMs, 250);
    assert.equal(a?.maxBodyBytes, 1024);
    assert.equal(b?.maxBodyBytes, 2048);
    assert.deepEqual(
      a?.upstream.targets.map((t) => [t.origin, t.basePath]),
      [
        ['http://127.0.0.1:7001', '/base'],
        ['http://127.0.0.2:7002', ''],
      ],
    );
    assert.equal(a?.websocket, true);
    assert.deepEqual([...(a?.headers.dropHeaders ?? [])], []);
    assert.deepEqual([...(b?.headers.dropHeaders ?? [])].sort(), ['authorization', 'dpop']);
  });

  test('listen and admin addresses, including IPv6, and the reserved identity prefix', () => {
    const g = compile(
      config([route('a', '/a')], {
        listen: '[::1]:8080',
        admin: { listen: '127.0.0.1:9901' },
        identity_header_prefix: 'X-Corp-',
        trust_forwarded: true,
      }),
    );
    assert.deepEqual(g.listen, { host: '::1', port: 8080 });
    assert.deepEqual(g.admin, { host: '127.0.0.1', port: 9901 });
    assert.equal(g.reservedPrefix, 'x-corp-');
    assert.equal(g.trustForwarded, true);
    assert.deepEqual(parseHostPort('0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
  });

  test('strip_prefix is kept without a trailing slash; whole leading segments and / are accepted', () => {
    const g = compile(
      config([
        route('a', '/billing/**', { strip_prefix: '/billing/' }),
        route('b', '/api/v1/users/*', { strip_prefix: '/api/v1' }),
        route('c', '/exact', { strip_prefix: '/exact' }),
        route('d', '/', { strip_prefix: '/' }),
      ]),
    );
    assert.deepEqual(
      g.routes.map((r) => r.stripPrefix),
      ['/billing', '/api/v1', '/exact', ''],
    );
  });

  test('a rate limit counts per sub by default with a burst of ceil(rate)', async () => {
    const g = compile(config([route('a', '/a', { rate_limit: { requests_per_second: 1.5 } })]));
    const rl = g.routes[0]?.rateLimit;
    assert.ok(rl);
    assert.equal(rl.per, 'sub');
    assert.equal(rl.limiter.take('u', 0), 0);
    assert.equal(rl.limiter.take('u', 0), 0);
    assert.ok((await rl.limiter.take('u', 0)) > 0, 'the third request at once exceeds a burst of 2');
  });

  test('a rate limit per client_id with an explicit burst', () => {
    const g = compile(
      config([route('a', '/a', { rate_limit: { per: 'client_id', requests_per_second: 1, burst: 3 } })]),
    );
    const rl = g.routes[0]?.rateLimit;
    assert.equal(rl?.per, 'client_id');
    assert.deepEqual(
      [0, 1, 2, 3].map(() => rl?.limiter.take('c', 0)).map((w) => w === 0),
      [true, true, true, false],
    );
  });
});

describe('compileGateway: refused configurations', () => {
  test('a route neither public nor with requires is refused', () => {
    const { requires: _, ...bare } = route('open', '/open');
    assert.deepEqual(problems(config([bare])), [
      'gateway.routes[0]: requires is missing (routes are protected unless public: true)',
    ]);
    assert.deepEqual(problems(config([{ ...bare, public: false }])), [
      'gateway.routes[0]: requires is missing (routes are protected unless public: true)',
    ]);
  });

  test('a public route with requires is refused', () => {
    assert.deepEqual(problems(config([route('x', '/x', { public: true })])), [
      'gateway.routes[0]: a public route cannot have requires',
    ]);
  });

  test('an unknown provider is refused, in provider, any and all', () => {
    assert.deepEqual(problems(config([route('x', '/x', { requires: { provider: 'nope' } })])), [
      'gateway.routes[0].requires.provider: unknown provider "nope" (providers: a, b)',
    ]);
    assert.deepEqual(problems(config([route('x', '/x', { requires: { any: ['a', 'zz', 'yy'] } })])), [
      'gateway.routes[0].requires.any[1]: unknown provider "zz" (providers: a, b)',
      'gateway.routes[0].requires.any[2]: unknown provider "yy" (providers: a, b)',
    ]);
    assert.deepEqual(problems(config([route('x', '/x', { requires: { all: ['b', 'q'] } })])), [
      'gateway.routes[0].requires.all[1]: unknown provider "q" (providers: a, b)',
    ]);
  });

  test('requires must name exactly one of provider, any, all', () => {
    assert.deepEqual(problems(config([route('x', '/x', { requires: { provider: 'a', any: ['b'] } })])), [
      'gateway.routes[0].requires: give exactly one of provider, any, all',
    ]);
    assert.deepEqual(problems(config([route('x', '/x', { requires: { roles_any: ['admin'] } })])), [
      'gateway.routes[0].requires: give exactly one of provider, any, all',
    ]);
  });

  test('the same literal path twice is refused', () => {
    assert.deepEqual(problems(config([route('one', '/a'), route('two', '/a')])), [
      'gateway.routes[0]: routes "one" (/a) and "two" (/a) overlap (the other is gateway.routes[1])',
    ]);
  });

  test('/a/** and /a/b overlap', () => {
    assert.deepEqual(problems(config([route('all', '/a/**'), route('b', '/a/b')])), [
      'gateway.routes[0]: routes "all" (/a/**) and "b" (/a/b) overlap (the other is gateway.routes[1])',
    ]);
  });

  test('* and a literal overlap', () => {
    assert.deepEqual(problems(config([route('any', '/users/*'), route('me', '/users/me')])), [
      'gateway.routes[0]: routes "any" (/users/*) and "me" (/users/me) overlap (the other is gateway.routes[1])',
    ]);
  });

  test('overlapping paths with a shared method are refused; without methods they overlap every method', () => {
    const get = (name: string, path: string, methods?: string[]): RouteInput =>
      route(name, path, { match: methods ? { path, methods } : { path } });
    assert.equal(
      problems(config([get('x', '/a/**', ['GET', 'POST']), get('y', '/a/b', ['POST'])])).length,
      1,
    );
    assert.equal(problems(config([get('x', '/a/**'), get('y', '/a/b', ['DELETE'])])).length, 1);
  });

  test('overlapping paths with disjoint methods are fine and dispatch by method', () => {
    const g = compile(
      config([
        route('read', '/a/**', { match: { path: '/a/**', methods: ['GET'] } }),
        route('write', '/a/b', { match: { path: '/a/b', methods: ['POST', 'PUT'] } }),
      ]),
    );
    assert.equal(g.match('GET', '/a/b').route?.name, 'read');
    assert.equal(g.match('PUT', '/a/b').route?.name, 'write');
    assert.deepEqual(g.match('DELETE', '/a/b'), { route: null, allowed: ['POST', 'PUT', 'GET'] });
  });

  test('duplicate route names are refused', () => {
    assert.deepEqual(problems(config([route('same', '/a'), route('same', '/b')])), [
      'gateway.routes[1].name: duplicate route name "same" (also gateway.routes[0])',
    ]);
  });

  test('a malformed path is refused with the reason', () => {
    assert.deepEqual(problems(config([route('x', '/a/**/b')])), [
      'gateway.routes[0].match.path: ** is only allowed as the last segment',
    ]);
  });

  test('strip_prefix that is not a prefix of the path is refused', () => {
    assert.deepEqual(problems(config([route('x', '/billing/**', { strip_prefix: '/other' })])), [
      'gateway.routes[0].strip_prefix: /other is not a prefix of /billing/**',
    ]);
  });

  test('strip_prefix must end on a segment boundary: /bill is not a prefix of /billing/**', () => {
    assert.deepEqual(problems(config([route('x', '/billing/**', { strip_prefix: '/bill' })])), [
      'gateway.routes[0].strip_prefix: /bill is not a prefix of /billing/**',
    ]);
  });

  test('strip_prefix longer than the path or over a wildcard is refused', () => {
    assert.equal(problems(config([route('x', '/billing', { strip_prefix: '/billing/v1' })])).length, 1);
    assert.equal(problems(config([route('x', '/t/*/x/**', { strip_prefix: '/t/*' })])).length, 1);
    assert.equal(problems(config([route('x', '/a/b/**', { strip_prefix: '/a//b' })])).length, 1);
  });

  test('rate_limit on a public route is refused', () => {
    const { requires: _, ...open } = route('open', '/open', {
      public: true,
      rate_limit: { requests_per_second: 5 },
    });
    assert.deepEqual(problems(config([open])), [
      'gateway.routes[0].rate_limit: needs an authenticated route (it counts per sub)',
    ]);
  });

  test('HS256 without a secret is reported under gateway.providers.<name>', () => {
    const { secret: _, ...noSecret } = hsProvider('a', { jwks_uri: 'http://127.0.0.1:7777/jwks' });
    const found = problems(config([route('x', '/x')], { providers: { a: noSecret } }));
    assert.equal(found.length, 1);
    assert.match(found[0] ?? '', /^gateway\.providers\.a\.algorithms: HS256 needs a shared secret/);
  });

  test('a short secret is reported under gateway.providers.<name>.secret without the secret', () => {
    const found = problems(
      config([route('x', '/x')], { providers: { a: hsProvider('a', { secret: 'short-secret' }) } }),
    );
    assert.equal(found.length, 1);
    assert.match(
      found[0] ?? '',
      /^gateway\.providers\.a\.secret: the secret from value has 12 bytes; HS256 needs at least 32/,
    );
    assert.ok(!(found[0] ?? '').includes('short-secret'), 'the secret itself is never in the message');
  });

  test('two providers with the same issuer are refused', () => {
    const found = problems(
      config([route('x', '/x')], {
        providers: { a: hsProvider('a'), b: hsProvider('b', { issuer: 'https://a.test' }) },
      }),
    );
    assert.match(found[0] ?? '', /^gateway\.providers\.b\.issuer: issuer already used by provider a/);
  });

  test('a bad identity header claim path is refused', () => {
    assert.deepEqual(problems(config([route('x', '/x', { identity_headers: { 'X-User': 'a..b' } })])), [
      'gateway.routes[0].identity_headers: invalid claim path a..b',
    ]);
  });

  test('every route problem is reported at once', () => {
    const found = problems(
      config([
        route('dup', '/d', { requires: { provider: 'missing' } }),
        route('dup', '/d2', { strip_prefix: '/x' }),
        route('over', '/d3'),
        route('over-too', '/d3'),
      ]),
    );
    assert.equal(found.length, 4, found.join('\n'));
    assert.ok(found.some((p) => p.includes('unknown provider "missing"')));
    assert.ok(found.some((p) => p.includes('duplicate route name')));
    assert.ok(found.some((p) => p.includes('strip_prefix')));
    assert.ok(found.some((p) => p.includes('overlap')));
  });
});

describe('compileGateway: token cache', () => {
  const request = async () => ({ headers: { authorization: `Bearer ${await tokenA({ sub: 'c' })}` } });

  test('on by default: the second verification of a token is a cache hit', async () => {
    const g = compile(config([route('x', '/x')]));
    const req = await request();
    await g.routes[0]?.authenticate?.(req);
    await g.routes[0]?.authenticate?.(req);
    assert.deepEqual(g.verifier.stats(), { hits: 1, misses: 1, entries: 1 });
  });

  test('max_entries 0 turns it off', async () => {
    const g = compile(config([route('x', '/x')], { token_cache: { max_entries: 0 } }));
    const req = await request();
    await g.routes[0]?.authenticate?.(req);
    const again = await g.routes[0]?.authenticate?.(req);
    assert.equal(again?.claims.sub, 'c');
    assert.deepEqual(g.verifier.stats(), { hits: 0, misses: 0, entries: 0 });
  });

  test('max_entries bounds the cache', async () => {
    const g = compile(config([route('x', '/x')], { token_cache: { max_entries: 1 } }));
    for (const sub of ['one', 'two', 'three']) {
      await g.routes[0]?.authenticate?.({ headers: { authorization: `Bearer ${await tokenA({ sub })}` } });
    }
    assert.equal(g.verifier.stats().entries, 1);
  });

  test('a max_bytes the verifier refuses is reported under gateway.token_cache', () => {
    const found = problems(config([route('x', '/x')], { token_cache: { max_bytes: 10 } }));
    assert.equal(found.length, 1);
    assert.match(found[0] ?? '', /^gateway\.token_cache\.max_bytes: /);
  });

  test('a verifier problem is a ConfigError, not a JwtGateError', () => {
    assert.throws(
      () => compile(config([route('x', '/x')], { providers: { a: hsProvider('a', { secret: '' }) } })),
      (err: unknown) => err instanceof ConfigError && !(err instanceof JwtGateError),
    );
  });
});

describe('compileGateway: revocation feed', () => {
  const routes = [route('r', '/a/**')];

  test('none by default; the issuer base URL becomes its stream URL', () => {
    assert.equal(compile(config(routes)).revocationFeed, null);
    for (const feed of ['http://127.0.0.1:8080', 'http://127.0.0.1:8080/', 'https://auth.example/tenant']) {
      const g = compile(config(routes, { revocation: { feed } }));
      assert.equal(g.revocationFeed, `${feed.replace(/\/$/, '')}/revocations/stream`);
    }
  });

  test('plain http only to a loopback address', () => {
    assert.deepEqual(problems(config(routes, { revocation: { feed: 'http://issuer.internal:8080' } })), [
      'gateway.revocation.feed: plain http is allowed only to a loopback address; use https',
    ]);
  });
});

describe('compileGateway: redis.jwks_cache', () => {
  const routes = [route('r', '/a/**')];
  const url = 'redis://127.0.0.1:6379';

  test('off by default; compiled into the Redis settings (a change is reported on reload)', () => {
    assert.equal(compile(config(routes, { redis: { url } })).redis?.jwksCache, false);
    assert.equal(compile(config(routes, { redis: { url, jwks_cache: true } })).redis?.jwksCache, true);
  });

  test("the context's fetch is the one the verifier's remote key sources use", async () => {
    const urls: string[] = [];
    const g = compileGateway(
      configFromObject(
        config(routes, {
          providers: {
            a: {
              issuer: 'https://remote.test',
              jwks_uri: 'http://127.0.0.1:9/jwks',
              algorithms: ['ES256'],
              audiences: ['api'],
            },
          },
        }),
        FILE,
      ),
      {
        revocations: new RevocationList(),
        env: {},
        fetch: async (input) => {
          urls.push(input);
          return new Response('{}', { status: 503 });
        },
      },
    );
    compiled.push(g);
    await g.verifier.load();
    assert.deepEqual(urls, ['http://127.0.0.1:9/jwks']);
  });
});

describe('compileGateway: identity header names and leeway', () => {
  test('identity headers may not take framing, credential or forwarding names, nor invalid ones', () => {
    const found = problems(
      config([
        route('r', '/r', {
          identity_headers: {
            Host: 'sub',
            Authorization: 'sub',
            'X-Forwarded-For': 'sub',
            X_User: 'sub',
            'X User': 'sub',
          },
        }),
      ]),
    );
    assert.equal(found.length, 5, found.join('\n'));
    assert.ok(found.some((p) => /"Host" is reserved/.test(p)));
    assert.ok(found.some((p) => /"X_User" is not a valid header name/.test(p)));
  });

  test('a leeway longer than the revocation grace is refused (a revoked token would come back)', () => {
    const found = problems(
      config([route('r', '/r')], { providers: { a: hsProvider('a', { leeway: '10m' }) } }),
    );
    assert.ok(
      found.some((p) => /gateway\.providers\.a\.leeway: at most 300s/.test(p)),
      found.join('\n'),
    );
  });
});

describe('compileGateway: limits and the new route settings', () => {
  test('limits default from the schema; a route takes route_max_concurrent unless it sets max_concurrent', () => {
    const g = compile(
      config([route('a', '/a'), route('b', '/b', { max_concurrent: 7 })], {
        limits: { route_max_concurrent: 9 },
      }),
    );
    assert.deepEqual(g.limits, {
      maxConnections: 20_000,
      maxConnectionsPerAddress: 256,
      firstByteTimeoutMs: 10_000,
      headersTimeoutMs: 30_000,
      idleTimeoutMs: 120_000,
      bodyTimeoutMs: 20_000,
      bodyMinRate: 500,
      bufferBodyBytes: 65_536,
      upstreamConnections: 256,
      routeMaxConcurrent: 9,
      upstreamQueueTimeoutMs: 5000,
    });
    assert.deepEqual(
      g.routes.map((r) => [r.gate.max, r.methodOverride]),
      [
        [9, 'refuse'],
        [7, 'refuse'],
      ],
    );
  });

  test('connections are fitted under the open-file limit given', () => {
    const c = config([route('a', '/a')]);
    const g = compileGateway(configFromObject(c, 't.yaml'), {
      revocations: new RevocationList(),
      openFileLimit: 1000,
    });
    compiled.push(g);
    assert.deepEqual(g.connections, { maxConnections: 436, upstreamConnections: 256, lowered: true });
  });

  test('strip_headers and the stripped list reach the header policy; public routes drop tokens', () => {
    const g = compile(
      config([
        route('a', '/a', { strip_headers: ['X-Debug'] }),
        route('p', '/p', { requires: undefined, public: true }),
      ]),
    );
    const [a, p] = g.routes as [CompiledGateway['routes'][0], CompiledGateway['routes'][0]];
    for (const name of [
      'x-debug',
      'x-client-ip',
      'true-client-ip',
      'remote-user',
      'x-auth-request-email',
      'x-original-method',
    ])
      assert.equal(a.headers.dropRequestHeader(name), true, name);
    assert.equal(p.headers.dropRequestHeader('x-debug'), false, 'strip_headers is per route');
    assert.equal(p.headers.dropRequestHeader('authorization'), true, 'a public route drops Authorization');
    assert.equal(a.headers.dropRequestHeader('accept'), false);
  });

  test('CONNECT, allow on a route with methods, and bad strip_headers names are refused at load', () => {
    const found = problems(
      config([
        route('c', '/c', { match: { path: '/c', methods: ['CONNECT'] } }),
        route('m', '/m', { match: { path: '/m', methods: ['POST'] }, method_override: 'allow' }),
        route('s', '/s', { strip_headers: ['Bad Header'] }),
        route('ok', '/ok', { method_override: 'allow' }),
      ]),
    );
    assert.equal(found.length, 3, found.join('\n'));
    assert.ok(found.some((p) => p.includes('CONNECT is not supported')));
    assert.ok(found.some((p) => p.includes('method_override: allow needs a route without methods')));
    assert.ok(found.some((p) => /strip_headers\[\d\]: "Bad Header"/.test(p)));
  });

  test('an identity header may not take a stripped name', () => {
    const found = problems(
      config([
        route('a', '/a', { identity_headers: { 'Remote-User': 'sub', 'X-Auth-Request-User': 'sub' } }),
      ]),
    );
    assert.equal(found.length, 2, found.join('\n'));
  });
});
