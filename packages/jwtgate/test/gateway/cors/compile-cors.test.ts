import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigProblems, sourceWithoutLines } from '../../../src/gateway/config/config-source.ts';
import type { CorsConfig } from '../../../src/gateway/config/types.ts';
import { type CorsPolicy, compileCors } from '../../../src/gateway/cors/compile-cors.ts';

function compile(
  config: Omit<CorsConfig, 'allow_credentials'> & { allow_credentials?: boolean },
  routeMethods?: string[],
  tokenHeaders: string[] = [],
) {
  const found = new ConfigProblems(sourceWithoutLines('/etc/jwtgate/test.yaml'));
  const policy = compileCors(
    { config: { allow_credentials: false, ...config }, routeMethods, tokenHeaders },
    ['gateway', 'cors'],
    found,
  );
  return { policy, problems: found.toError().problems };
}

const APP = 'https://app.example.com';

describe('compileCors: load errors', () => {
  test('* with credentials is refused (origins, headers, exposed headers), naming the path', () => {
    const { policy, problems } = compile({
      allow_origins: ['*'],
      allow_headers: ['*'],
      expose_headers: ['*'],
      allow_credentials: true,
    });
    assert.equal(policy, null);
    assert.equal(problems.length, 3);
    assert.match(
      problems[0] as string,
      /^gateway\.cors\.allow_origins: "\*" cannot be combined with allow_credentials/,
    );
  });

  test('a bad origin or header name is named with its index', () => {
    const { problems } = compile({
      allow_origins: [APP, 'https://app.example.com/'],
      allow_headers: ['X Bad'],
    });
    assert.match(problems[0] as string, /^gateway\.cors\.allow_origins\[1\]: .* is not an origin/);
    assert.match(
      problems[1] as string,
      /^gateway\.cors\.allow_headers\[0\]: "X Bad" is not a valid header name/,
    );
  });
});

describe('compileCors: preflight', () => {
  const policy = compile(
    { allow_origins: [APP], allow_credentials: true, max_age: '10m', expose_headers: ['X-Request-Id'] },
    ['GET', 'POST'],
    ['Token'],
  ).policy as CorsPolicy;

  test('an allowed origin, method and headers: the origin echoed, credentials, methods, headers, max age, Vary', () => {
    const a = policy.preflight(APP, 'POST', 'Authorization, Content-Type, token');
    assert.equal(a.ok, true);
    assert.deepEqual(a.headers, {
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'authorization, content-type, token',
      'access-control-max-age': '600',
    });
  });

  test('another origin, method or header: refused with its code and no CORS header but Vary', () => {
    for (const [origin, method, headers, code] of [
      ['https://evil.example.com', 'GET', undefined, 'ERR_CORS_ORIGIN_NOT_ALLOWED'],
      [APP, 'DELETE', undefined, 'ERR_CORS_METHOD_NOT_ALLOWED'],
      [APP, 'GET', 'authorization, x-debug', 'ERR_CORS_HEADER_NOT_ALLOWED'],
    ] as const) {
      const a = policy.preflight(origin, method, headers);
      assert.equal(a.ok, false);
      assert.equal(a.ok === false && a.code, code);
      assert.deepEqual(Object.keys(a.headers), ['vary'], code);
    }
  });

  test('allow_headers * covers any header but Authorization (as in Fetch)', () => {
    const p = compile({ allow_origins: ['*'], allow_headers: ['*'] }).policy as CorsPolicy;
    assert.equal(p.preflight(APP, 'GET', 'x-anything').ok, true);
    assert.equal(p.preflight(APP, 'GET', 'authorization').ok, false);
    const withAuth = compile({ allow_origins: ['*'], allow_headers: ['*', 'Authorization'] })
      .policy as CorsPolicy;
    assert.equal(withAuth.preflight(APP, 'GET', 'authorization, x-anything').ok, true);
  });
});

describe('compileCors: other answers', () => {
  test('an allowed origin gets its CORS headers; another only Vary: Origin', () => {
    const p = compile({ allow_origins: [APP], expose_headers: ['X-Request-Id'] }).policy as CorsPolicy;
    assert.deepEqual(p.responseHeaders(APP), {
      vary: 'Origin',
      'access-control-allow-origin': APP,
      'access-control-expose-headers': 'X-Request-Id',
    });
    assert.deepEqual(p.responseHeaders('https://evil.example.com'), { vary: 'Origin' });
    assert.deepEqual(p.responseHeaders(undefined), { vary: 'Origin' });
  });

  test('any origin without credentials is answered * (the same for everyone: no Vary)', () => {
    const p = compile({ allow_origins: ['*'] }).policy as CorsPolicy;
    assert.deepEqual(p.responseHeaders(APP), { 'access-control-allow-origin': '*' });
  });
});
