import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { JwtGateError } from '../src/errors.ts';
import type { FetchFunction } from '../src/keys/fetch-json.ts';
import { REMOTE_DEFAULTS } from '../src/keys/remote-jwks.ts';
import { compileProvider } from '../src/provider.ts';
import { makeKeyPair, NOW_MS, SECRET, type TestKeyPair } from './helpers/keys.ts';

const noFetch: FetchFunction = async () => {
  throw new Error('no network in this test');
};
const context = { now: () => NOW_MS, fetch: noFetch, env: {} };
const PATH = 'options.providers.p';
const base = { issuer: 'https://id.example', audiences: ['api'], algorithms: ['ES256'] };

let key: TestKeyPair;
before(async () => {
  key = await makeKeyPair('ES256', 'p-1');
});

const compile = (raw: unknown) => compileProvider('p', raw, PATH, context);

function invalid(raw: unknown, message: RegExp): void {
  assert.throws(
    () => compile(raw),
    (err: unknown) => {
      assert.ok(err instanceof JwtGateError, String(err));
      assert.equal(err.code, 'ERR_OPTIONS_INVALID');
      assert.match(err.message, message);
      return true;
    },
  );
}

describe('compileProvider', () => {
  test('defaults: any audience, exp required, no leeway, no typ check, roles claim "roles"', () => {
    const p = compile({ ...base, jwksUri: 'https://id.example/jwks' });
    assert.equal(p.name, 'p');
    assert.deepEqual(p.policy, {
      issuer: 'https://id.example',
      audiences: ['api'],
      audienceMode: 'any',
      tokenTypes: [],
      leewaySeconds: 0,
      maxTokenAgeSeconds: undefined,
      requireExp: true,
      requireSub: false,
      requiredClaims: [],
    });
    assert.ok(Object.isFrozen(p));
    assert.ok(Object.isFrozen(p.policy));
    assert.ok(Object.isFrozen(p.policy.audiences));
    assert.deepEqual([...p.algorithms], ['ES256']);
    assert.equal(p.rolesClaim, 'roles');
    assert.deepEqual(p.readRoles({ roles: ['r'] }), ['r']);
  });

  test('the key source kind follows the option given', () => {
    assert.equal(
      compile({ ...base, algorithms: ['HS256'], secret: SECRET }).source.describe().kind,
      'secret',
    );
    assert.equal(
      compile({ ...base, keys: { jwks: { keys: [key.publicJwk] } } }).source.describe().kind,
      'static',
    );
    assert.equal(compile({ ...base, jwksUri: 'https://id.example/jwks' }).source.describe().kind, 'jwks_uri');
    assert.equal(compile(base).source.describe().kind, 'discovery');
  });

  test('creating a remote or discovery provider fetches nothing', () => {
    let calls = 0;
    const counting: FetchFunction = async () => {
      calls++;
      throw new Error('unexpected');
    };
    compileProvider('p', base, PATH, { ...context, fetch: counting });
    compileProvider('p', { ...base, jwksUri: 'https://id.example/jwks' }, PATH, {
      ...context,
      fetch: counting,
    });
    assert.equal(calls, 0);
  });

  test('tokenTypes are normalized: lower case, application/ dropped', () => {
    const p = compile({
      ...base,
      jwksUri: 'https://id.example/jwks',
      tokenTypes: ['application/AT+JWT', 'JWT'],
    });
    assert.deepEqual(p.policy.tokenTypes, ['at+jwt', 'jwt']);
  });

  test('claim policy options are read and checked', () => {
    const p = compile({
      ...base,
      jwksUri: 'https://id.example/jwks',
      audienceMode: 'all',
      leewaySeconds: 30,
      maxTokenAgeSeconds: 3600,
      requireExp: false,
      requireSub: true,
      requiredClaims: ['tenant'],
      rolesClaim: 'realm_access.roles',
    });
    assert.equal(p.policy.audienceMode, 'all');
    assert.equal(p.policy.leewaySeconds, 30);
    assert.equal(p.policy.maxTokenAgeSeconds, 3600);
    assert.equal(p.policy.requireExp, false);
    assert.equal(p.policy.requireSub, true);
    assert.deepEqual(p.policy.requiredClaims, ['tenant']);
    assert.deepEqual(p.readRoles({ realm_access: { roles: ['admin'] } }), ['admin']);
    invalid(
      { ...base, maxTokenAgeSeconds: 0 },
      /options\.providers\.p\.maxTokenAgeSeconds: expected a number >= 1/,
    );
    invalid(
      { ...base, requiredClaims: 'tenant' },
      /options\.providers\.p\.requiredClaims: expected a list of strings/,
    );
    invalid(
      { ...base, tokenTypes: [''] },
      /options\.providers\.p\.tokenTypes\[0\]: expected a non-empty string/,
    );
  });

  test('remote options: known names only, numbers in range, allowHttp boolean', () => {
    invalid({ ...base, remote: 'fast' }, /options\.providers\.p\.remote: expected an object, got "fast"/);
    invalid(
      { ...base, remote: { cooldown: 1 } },
      /remote\.cooldown: unknown option \(expected one of timeoutMs, /,
    );
    invalid({ ...base, remote: { maxBytes: 0 } }, /remote\.maxBytes: expected a number >= 1/);
    invalid({ ...base, remote: { cooldownMs: -1 } }, /remote\.cooldownMs: expected a number >= 0/);
    invalid(
      { ...base, remote: { cacheMaxAgeMs: '600' } },
      /remote\.cacheMaxAgeMs: expected a number >= 0, got "600"/,
    );
    invalid({ ...base, remote: { failureBackoffMs: Number.POSITIVE_INFINITY } }, /remote\.failureBackoffMs/);
    invalid({ ...base, remote: { allowHttp: 1 } }, /remote\.allowHttp: expected true or false, got number/);
    assert.doesNotThrow(() => compile({ ...base, remote: { cooldownMs: 0, failureBackoffMs: 0 } }));
  });

  test('REMOTE_DEFAULTS are frozen and sensible', () => {
    assert.ok(Object.isFrozen(REMOTE_DEFAULTS));
    assert.equal(REMOTE_DEFAULTS.allowHttp, false);
    assert.ok(REMOTE_DEFAULTS.minAgeMs <= REMOTE_DEFAULTS.cacheMaxAgeMs);
    assert.ok(REMOTE_DEFAULTS.cacheMaxAgeMs <= REMOTE_DEFAULTS.maxAgeMs);
    assert.ok(REMOTE_DEFAULTS.timeoutMs > 0 && REMOTE_DEFAULTS.maxBytes > 0);
  });

  test('static keys: problems are named under .keys', () => {
    invalid({ ...base, keys: {} }, /options\.providers\.p\.keys: no keys configured/);
    invalid(
      { ...base, keys: { jwks: { keys: [{ ...key.publicJwk, use: 'enc' }] } } },
      /\.keys: jwks key 0: use is not "sig"/,
    );
    invalid({ ...base, keys: { files: ['/nonexistent/jwtgate-key.pem'] } }, /\.keys: cannot read .*ENOENT/);
  });

  test('a secret provider verifies only with HS algorithms and a long enough secret', () => {
    invalid(
      { ...base, algorithms: ['HS384'], secret: 'x'.repeat(47) },
      /\.secret: .*has 47 bytes; HS384 needs at least 48/,
    );
    assert.doesNotThrow(() => compile({ ...base, algorithms: ['HS384'], secret: 'x'.repeat(48) }));
    const fromEnv = compileProvider('p', { ...base, algorithms: ['HS256'], secret: { env: 'S' } }, PATH, {
      ...context,
      env: { S: SECRET },
    });
    assert.deepEqual(fromEnv.source.describe(), { kind: 'secret', ready: true, keys: 1 });
  });

  test('an invalid rolesClaim is named', () => {
    invalid({ ...base, rolesClaim: '' }, /options\.providers\.p\.rolesClaim: invalid claim path/);
    invalid({ ...base, rolesClaim: 'a..b' }, /options\.providers\.p\.rolesClaim: invalid claim path/);
  });
});
