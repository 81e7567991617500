import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createVerifier } from '../src/create-verifier.ts';
import { ERROR_CODES, type ErrorCode, JwtGateError } from '../src/errors.ts';
import { compileTokenExtractor } from '../src/extract-token.ts';
import { toErrorResponse } from '../src/http-response.ts';
import { b64, NOW_MS, SECRET, secretBytes, signToken } from './helpers/keys.ts';

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];
const err = (code: ErrorCode, detail?: string) => new JwtGateError(code, detail);

describe('toErrorResponse: 401 missing token', () => {
  test('challenge is a bare "Bearer" without error attribute; body has the tutorial message', () => {
    const r = toErrorResponse(err('ERR_TOKEN_MISSING'));
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Bearer');
    assert.deepEqual(r.body, { error: 'ERR_TOKEN_MISSING', message: 'No Authorization Token provided' });
  });

  test('with a realm the challenge carries only the realm', () => {
    const r = toErrorResponse(err('ERR_TOKEN_MISSING'), { realm: 'billing' });
    assert.equal(r.headers['www-authenticate'], 'Bearer realm="billing"');
    assert.doesNotMatch(r.headers['www-authenticate'] ?? '', /error/);
  });

  test('a scope option is not sent for a missing token', () => {
    const r = toErrorResponse(err('ERR_TOKEN_MISSING'), { scope: 'read' });
    assert.equal(r.headers['www-authenticate'], 'Bearer');
  });

  test('JSON content type and no-store caching', () => {
    const r = toErrorResponse(err('ERR_TOKEN_MISSING'));
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['retry-after'], undefined);
  });
});

describe('toErrorResponse: 401 invalid token', () => {
  test('error="invalid_token" with the generic description', () => {
    const r = toErrorResponse(err('ERR_TOKEN_EXPIRED'));
    assert.equal(r.status, 401);
    assert.equal(
      r.headers['www-authenticate'],
      'Bearer error="invalid_token", error_description="The token has expired"',
    );
    assert.deepEqual(r.body, { error: 'ERR_TOKEN_EXPIRED', message: 'The token has expired' });
  });

  test('realm comes first', () => {
    const r = toErrorResponse(err('ERR_SIGNATURE_INVALID'), { realm: 'api' });
    assert.equal(
      r.headers['www-authenticate'],
      'Bearer realm="api", error="invalid_token", error_description="The token signature is invalid"',
    );
  });

  test('every invalid_token code is a 401 with error="invalid_token" and no scope attribute', () => {
    const codes = CODES.filter((c) => ERROR_CODES[c].bearer === 'invalid_token');
    assert.ok(codes.length >= 15);
    for (const code of codes) {
      const r = toErrorResponse(err(code), { scope: 'read' });
      assert.equal(r.status, 401, code);
      // RFC 9449 7.1: a bound token sent as Bearer, or a Bearer token where only DPoP is taken,
      // is answered with the DPoP challenge.
      const scheme = 'dpop' in ERROR_CODES[code] ? 'DPoP' : 'Bearer';
      assert.match(
        r.headers['www-authenticate'] ?? '',
        new RegExp(`^${scheme} error="invalid_token", error_description="`),
        code,
      );
      assert.doesNotMatch(r.headers['www-authenticate'] ?? '', /scope=/, code);
      assert.equal(r.body.error, code);
    }
  });

  test('the detail is for logs only: never in the body or the header', () => {
    const r = toErrorResponse(err('ERR_CLAIM_MISSING', 'internal-detail-xyz'));
    assert.equal(r.body.message, 'A required claim is missing');
    assert.ok(!JSON.stringify(r).includes('internal-detail-xyz'));
  });
});

describe('toErrorResponse: 403', () => {
  test('insufficient scope: error="insufficient_scope" with the scope attribute', () => {
    const r = toErrorResponse(err('ERR_INSUFFICIENT_SCOPE', 'read write'), {
      scope: 'read write',
      realm: 'api',
    });
    assert.equal(r.status, 403);
    assert.equal(
      r.headers['www-authenticate'],
      'Bearer realm="api", error="insufficient_scope", error_description="The token does not carry a required scope", scope="read write"',
    );
    assert.deepEqual(r.body, {
      error: 'ERR_INSUFFICIENT_SCOPE',
      message: 'The token does not carry a required scope',
    });
  });

  test('insufficient role is also insufficient_scope in the challenge', () => {
    const r = toErrorResponse(err('ERR_INSUFFICIENT_ROLE'));
    assert.equal(r.status, 403);
    assert.equal(
      r.headers['www-authenticate'],
      'Bearer error="insufficient_scope", error_description="The token does not carry a required role"',
    );
    assert.equal(r.body.error, 'ERR_INSUFFICIENT_ROLE');
  });

  test('without a scope option there is no scope attribute', () => {
    const r = toErrorResponse(err('ERR_INSUFFICIENT_SCOPE'));
    assert.doesNotMatch(r.headers['www-authenticate'] ?? '', /scope="/);
  });
});

describe('toErrorResponse: 400, 503, 500', () => {
  test('400 invalid_request', () => {
    const r = toErrorResponse(err('ERR_INVALID_REQUEST', 'more than one token in the request'), {
      realm: 'r',
    });
    assert.equal(r.status, 400);
    assert.equal(
      r.headers['www-authenticate'],
      'Bearer realm="r", error="invalid_request", error_description="The request is malformed"',
    );
    assert.deepEqual(r.body, { error: 'ERR_INVALID_REQUEST', message: 'The request is malformed' });
  });

  test('503 key source unavailable: retry-after, no challenge, no internal detail', () => {
    const r = toErrorResponse(
      new JwtGateError('ERR_KEY_SOURCE_UNAVAILABLE', 'GET https://idp.internal/jwks: ECONNREFUSED', {
        cause: new Error('connect ECONNREFUSED 10.0.0.7:443'),
      }),
      { realm: 'api' },
    );
    assert.equal(r.status, 503);
    assert.equal(r.headers['retry-after'], '5');
    assert.equal(r.headers['www-authenticate'], undefined);
    assert.deepEqual(r.body, {
      error: 'ERR_KEY_SOURCE_UNAVAILABLE',
      message: 'The keys needed to verify the token are unavailable',
    });
    const text = JSON.stringify(r);
    assert.ok(!text.includes('idp.internal') && !text.includes('10.0.0.7'));
  });

  test('an unknown thrown Error is 500 ERR_INTERNAL with no message or stack leaked', () => {
    const thrown = new TypeError('Cannot read properties of undefined (reading "secretThing")');
    const r = toErrorResponse(thrown, { realm: 'api' });
    assert.equal(r.status, 500);
    assert.deepEqual(r.body, { error: 'ERR_INTERNAL', message: 'Internal error' });
    assert.equal(r.headers['www-authenticate'], undefined);
    assert.equal(r.headers['retry-after'], undefined);
    const text = JSON.stringify(r);
    assert.ok(!text.includes('secretThing'));
    assert.ok(!text.includes('TypeError'));
    assert.ok(!text.includes('at '), 'no stack frames');
    assert.ok(!text.includes('.ts:'), 'no file names');
  });

  test('non-Error thrown values are 500 ERR_INTERNAL too', () => {
    for (const thrown of ['a string with a secret', 42, null, undefined, { error: 'ERR_TOKEN_MISSING' }]) {
      const r = toErrorResponse(thrown);
      assert.equal(r.status, 500);
      assert.deepEqual(r.body, { error: 'ERR_INTERNAL', message: 'Internal error' });
    }
  });

  test('ERR_OPTIONS_INVALID is a 500 whose option path stays in the logs', () => {
    const r = toErrorResponse(err('ERR_OPTIONS_INVALID', 'options.providers.x.secret: the secret is empty'));
    assert.equal(r.status, 500);
    assert.deepEqual(r.body, { error: 'ERR_OPTIONS_INVALID', message: 'The verifier is misconfigured' });
    assert.equal(r.headers['www-authenticate'], undefined);
  });
});

describe('toErrorResponse: every code', () => {
  test('status and challenge follow the code table', () => {
    for (const code of CODES) {
      const spec = ERROR_CODES[code];
      const r = toErrorResponse(err(code), { realm: 'x', scope: 's' });
      assert.equal(r.status, spec.status, code);
      assert.deepEqual(r.body, { error: code, message: spec.message }, code);
      const challenge = r.headers['www-authenticate'];
      if (spec.status >= 500) {
        assert.equal(challenge, undefined, code);
      } else if (spec.bearer === null) {
        assert.equal(challenge, 'Bearer realm="x"', code);
      } else {
        assert.ok(challenge?.includes(`error="${spec.bearer}"`), code);
        assert.equal(challenge?.includes('scope="s"'), spec.bearer === 'insufficient_scope', code);
      }
      assert.equal(r.headers['retry-after'], spec.status === 503 ? '5' : undefined, code);
    }
  });
});

describe('toErrorResponse: options', () => {
  test('requestId is added to the body as request_id, and absent otherwise', () => {
    const withId = toErrorResponse(err('ERR_TOKEN_EXPIRED'), { requestId: 'req-42' });
    assert.equal(withId.body.request_id, 'req-42');
    const without = toErrorResponse(err('ERR_TOKEN_EXPIRED'));
    assert.ok(!Object.hasOwn(without.body, 'request_id'));
  });

  test('quotes and backslashes cannot break out of the realm or scope quoted-string', () => {
    const r = toErrorResponse(err('ERR_INSUFFICIENT_SCOPE'), {
      realm: 'a"b\\c", error="x',
      scope: 'read" write',
    });
    const challenge = r.headers['www-authenticate'] ?? '';
    assert.equal(
      challenge,
      'Bearer realm="abc, error=x", error="insufficient_scope", error_description="The token does not carry a required scope", scope="read write"',
    );
    assert.equal((challenge.match(/"/g) ?? []).length % 2, 0);
  });

  test('the header object is a fresh object per call', () => {
    const a = toErrorResponse(err('ERR_TOKEN_MISSING'));
    const b = toErrorResponse(err('ERR_TOKEN_MISSING'), { realm: 'x' });
    assert.notEqual(a.headers, b.headers);
    assert.equal(a.headers['www-authenticate'], 'Bearer');
  });
});

describe('a token never leaks into messages, details or the response', () => {
  const verifier = createVerifier({
    providers: {
      test: {
        issuer: 'https://issuer.test',
        audiences: ['api://test'],
        algorithms: ['HS256'],
        secret: SECRET,
      },
    },
    maxTokenBytes: 2048,
    now: () => NOW_MS,
  });

  function assertNoLeak(token: string, error: unknown): void {
    assert.ok(error instanceof JwtGateError, `expected a JwtGateError, got ${String(error)}`);
    const response = toErrorResponse(error, { realm: 'api' });
    const places = {
      message: error.message,
      detail: String(error.detail),
      stack: String(error.stack),
      body: JSON.stringify(response.body),
      headers: JSON.stringify(response.headers),
    };
    // The whole token, and every segment of it long enough to be meaningful.
    const needles = [token, ...token.split('.').filter((s) => s.length >= 8)];
    for (const [where, text] of Object.entries(places)) {
      for (const needle of needles) {
        assert.ok(!text.includes(needle), `${error.code}: token text found in ${where}: ${text}`);
      }
    }
  }

  async function rejection(token: string): Promise<unknown> {
    try {
      await verifier.verify(token);
    } catch (e) {
      return e;
    }
    assert.fail(`token was accepted: ${token}`);
  }

  test('malformed and invalid tokens of every kind', async () => {
    const good = await signToken(secretBytes(), { alg: 'HS256', claims: { sub: 'alice' } });
    const [h, p, s] = good.split('.') as [string, string, string];
    const cases: [string, ErrorCode][] = [
      [`${h}.${p}`, 'ERR_TOKEN_MALFORMED'],
      [`${h}.${p}.${s}.${s}`, 'ERR_TOKEN_MALFORMED'],
      [`${b64('not json at all')}.${p}.${s}`, 'ERR_TOKEN_MALFORMED'],
      [`${h}.${b64('{"sub": "secret-payload-text"')}.${s}`, 'ERR_TOKEN_MALFORMED'],
      [`${h}.${p}.${s}+/=`, 'ERR_TOKEN_MALFORMED'],
      [`${b64({ alg: 'none' })}.${p}.`, 'ERR_ALG_NOT_ALLOWED'],
      [`${b64({ alg: 'HS256', crit: ['exp'] })}.${p}.${s}`, 'ERR_HEADER_UNSUPPORTED'],
      [
        `${h}.${p}.${Buffer.from('wrong-signature-bytes-0123456789').toString('base64url')}`,
        'ERR_SIGNATURE_INVALID',
      ],
      [`${h}.${p}.${s}${'A'.repeat(3000)}`, 'ERR_TOKEN_TOO_LARGE'],
      [
        await signToken(secretBytes(), { alg: 'HS256', iss: 'https://evil.test', claims: { sub: 'alice' } }),
        'ERR_ISSUER_MISMATCH',
      ],
      [
        await signToken(secretBytes(), { alg: 'HS256', exp: 1000, claims: { sub: 'alice' } }),
        'ERR_TOKEN_EXPIRED',
      ],
      [
        await signToken(secretBytes(), {
          alg: 'HS256',
          claims: { sub: { nested: 'object' } as unknown as string },
        }),
        'ERR_CLAIM_INVALID',
      ],
    ];
    for (const [token, code] of cases) {
      const e = await rejection(token);
      assert.ok(e instanceof JwtGateError);
      assert.equal(e.code, code, token.slice(0, 40));
      assertNoLeak(token, e);
    }
  });

  test('a malformed Authorization header does not echo the token', () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.sig!nature';
    let caught: unknown;
    try {
      compileTokenExtractor()({ headers: { authorization: `Bearer ${token}` } });
    } catch (e) {
      caught = e;
    }
    assert.ok(caught instanceof JwtGateError);
    assert.equal(caught.code, 'ERR_INVALID_REQUEST');
    assertNoLeak(token, caught);
  });

  test('two tokens in one request: neither is echoed', () => {
    const a = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    const b = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.b3RoZXJzaWc';
    let caught: unknown;
    try {
      compileTokenExtractor([{ header: 'Token' }, { bearer: true }])({
        headers: { token: a, authorization: `Bearer ${b}` },
      });
    } catch (e) {
      caught = e;
    }
    assertNoLeak(a, caught);
    assertNoLeak(b, caught);
  });
});
