import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ClaimPolicy, checkClaims, normalizeType } from '../src/check-claims.ts';
import type { JwtClaims, JwtHeader } from '../src/parse-token.ts';
import { throwsWith } from './helpers/forge.ts';

const NOW = 1_800_000_000;
const ISS = 'https://issuer.test';

function policy(overrides: Partial<ClaimPolicy> = {}): ClaimPolicy {
  return {
    issuer: ISS,
    audiences: ['api'],
    audienceMode: 'any',
    tokenTypes: [],
    leewaySeconds: 0,
    maxTokenAgeSeconds: undefined,
    requireExp: true,
    requireSub: false,
    requiredClaims: [],
    ...overrides,
  };
}

const HEADER: JwtHeader = { alg: 'HS256' };
const base = (claims: Record<string, unknown> = {}): JwtClaims => ({
  iss: ISS,
  aud: 'api',
  exp: NOW + 60,
  ...claims,
});
const check = (claims: JwtClaims, p: ClaimPolicy = policy(), header: JwtHeader = HEADER, now = NOW) =>
  checkClaims(p, header, claims, now);
const fails = (code: string, claims: JwtClaims, p?: ClaimPolicy, header?: JwtHeader, now?: number) =>
  throwsWith(() => check(claims, p, header, now), code, JSON.stringify(claims));

describe('checkClaims: issuer', () => {
  test('the exact issuer passes', () => {
    assert.equal(check(base()), NOW + 60);
  });

  test('anything else is ERR_ISSUER_MISMATCH: missing, case, prefix, suffix, substring, slash, array', () => {
    for (const iss of [
      undefined,
      null,
      '',
      'https://ISSUER.test',
      'HTTPS://issuer.test',
      'https://issuer.tes',
      'https://issuer.test/',
      'https://issuer.test.evil',
      'https://evil/https://issuer.test',
      ' https://issuer.test',
      'https://issuer.test\u0000',
      [ISS],
      { iss: ISS },
      1,
    ]) {
      fails('ERR_ISSUER_MISMATCH', base({ iss }));
    }
  });
});

describe('checkClaims: exp', () => {
  test('a token is expired on and after exp (RFC 7519 4.1.4)', () => {
    fails('ERR_TOKEN_EXPIRED', base({ exp: NOW }));
    fails('ERR_TOKEN_EXPIRED', base({ exp: NOW - 1 }));
    fails('ERR_TOKEN_EXPIRED', base({ exp: 0 }));
    fails('ERR_TOKEN_EXPIRED', base({ exp: -1e300 }));
    assert.equal(check(base({ exp: NOW + 1 })), NOW + 1);
  });

  test('fractional exp: NOW + 0.5 is valid, NOW - 0.5 is expired', () => {
    assert.equal(check(base({ exp: NOW + 0.5 })), NOW + 0.5);
    fails('ERR_TOKEN_EXPIRED', base({ exp: NOW - 0.5 }));
  });

  test('leeway extends exp, and the returned validity includes it', () => {
    const p = policy({ leewaySeconds: 30 });
    assert.equal(check(base({ exp: NOW - 29 }), p), NOW + 1);
    fails('ERR_TOKEN_EXPIRED', base({ exp: NOW - 30 }), p);
  });

  test('missing exp is ERR_CLAIM_MISSING unless requireExp is false', () => {
    const claims = { iss: ISS, aud: 'api' };
    const err = fails('ERR_CLAIM_MISSING', claims);
    assert.equal(err.detail, 'exp');
    assert.equal(check(claims, policy({ requireExp: false })), Number.POSITIVE_INFINITY);
  });

  test('exp that is not a finite JSON number is ERR_CLAIM_INVALID, even with requireExp false', () => {
    for (const exp of [
      '9999999999',
      '1800000060',
      null,
      true,
      [NOW + 60],
      { n: 1 },
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      Number.NaN,
    ]) {
      const err = fails('ERR_CLAIM_INVALID', base({ exp }));
      assert.equal(err.detail, 'exp');
      fails('ERR_CLAIM_INVALID', base({ exp }), policy({ requireExp: false }));
    }
  });

  test('exp 1e400 parsed from JSON text is Infinity and is refused', () => {
    const claims = JSON.parse(`{"iss":"${ISS}","aud":"api","exp":1e400}`) as JwtClaims;
    assert.equal(claims.exp, Number.POSITIVE_INFINITY);
    fails('ERR_CLAIM_INVALID', claims);
  });
});

describe('checkClaims: nbf and iat', () => {
  test('nbf in the future is ERR_TOKEN_NOT_YET_VALID; now or past is fine', () => {
    fails('ERR_TOKEN_NOT_YET_VALID', base({ nbf: NOW + 1 }));
    fails('ERR_TOKEN_NOT_YET_VALID', base({ nbf: NOW + 0.5 }));
    assert.ok(check(base({ nbf: NOW })));
    assert.ok(check(base({ nbf: NOW - 100 })));
  });

  test('leeway tolerates nbf slightly in the future', () => {
    const p = policy({ leewaySeconds: 10 });
    assert.ok(check(base({ nbf: NOW + 10 }), p));
    fails('ERR_TOKEN_NOT_YET_VALID', base({ nbf: NOW + 11 }), p);
  });

  test('iat in the future is ERR_TOKEN_ISSUED_IN_FUTURE; leeway tolerates it', () => {
    fails('ERR_TOKEN_ISSUED_IN_FUTURE', base({ iat: NOW + 1 }));
    assert.ok(check(base({ iat: NOW })));
    assert.ok(check(base({ iat: NOW + 5 }), policy({ leewaySeconds: 5 })));
    fails('ERR_TOKEN_ISSUED_IN_FUTURE', base({ iat: NOW + 6 }), policy({ leewaySeconds: 5 }));
  });

  test('nbf and iat must be finite numbers', () => {
    for (const value of ['1', null, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, []]) {
      assert.equal(fails('ERR_CLAIM_INVALID', base({ nbf: value })).detail, 'nbf');
      assert.equal(fails('ERR_CLAIM_INVALID', base({ iat: value })).detail, 'iat');
    }
  });

  test('maxTokenAgeSeconds needs iat and bounds the validity', () => {
    const p = policy({ maxTokenAgeSeconds: 100 });
    assert.equal(fails('ERR_CLAIM_MISSING', base(), p).detail, 'iat');
    assert.equal(check(base({ iat: NOW - 100 }), p), NOW + 1);
    fails('ERR_TOKEN_TOO_OLD', base({ iat: NOW - 101 }), p);
    // exp sooner than the age limit wins.
    assert.equal(check(base({ iat: NOW, exp: NOW + 10 }), p), NOW + 10);
    // Leeway applies to the age limit too.
    assert.ok(check(base({ iat: NOW - 105 }), policy({ maxTokenAgeSeconds: 100, leewaySeconds: 5 })));
  });
});

describe('checkClaims: audience', () => {
  test('a string or an array holding an accepted audience passes', () => {
    assert.ok(check(base({ aud: 'api' })));
    assert.ok(check(base({ aud: ['other', 'api'] })));
    assert.ok(check(base({ aud: ['api'] }), policy({ audiences: ['x', 'api'] })));
  });

  test('missing, wrong or lookalike audiences are ERR_AUDIENCE_MISMATCH', () => {
    for (const aud of [
      undefined,
      null,
      '',
      'API',
      'ap',
      'apii',
      'api ',
      ' api',
      'api/',
      'xapi',
      'api.evil',
      [],
      ['API'],
      ['ap', 'pi'],
      [['api']],
      1,
      { api: true },
      true,
    ]) {
      fails('ERR_AUDIENCE_MISMATCH', base({ aud }));
    }
  });

  test('audienceMode all requires every configured audience', () => {
    const p = policy({ audiences: ['a', 'b'], audienceMode: 'all' });
    assert.ok(check(base({ aud: ['b', 'x', 'a'] }), p));
    fails('ERR_AUDIENCE_MISMATCH', base({ aud: ['a'] }), p);
    fails('ERR_AUDIENCE_MISMATCH', base({ aud: 'a' }), p);
    assert.ok(check(base({ aud: ['a'] }), policy({ audiences: ['a', 'b'], audienceMode: 'any' })));
  });
});

describe('checkClaims: typ', () => {
  const p = policy({ tokenTypes: ['at+jwt'] });
  test('normalizeType lower-cases and strips application/', () => {
    assert.equal(normalizeType('application/at+jwt'), 'at+jwt');
    assert.equal(normalizeType('AT+JWT'), 'at+jwt');
    assert.equal(normalizeType('Application/AT+JWT'), 'at+jwt');
    assert.equal(normalizeType('JWT'), 'jwt');
    assert.equal(normalizeType('text/at+jwt'), 'text/at+jwt');
  });

  test('accepted: at+jwt, application/at+jwt, AT+JWT', () => {
    for (const typ of ['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt']) {
      assert.ok(check(base(), p, { alg: 'HS256', typ }), typ);
    }
  });

  test('refused with ERR_TOKEN_TYPE_MISMATCH: JWT, missing, lookalikes', () => {
    for (const typ of [
      undefined,
      'JWT',
      'jwt',
      '',
      'at+jwt ',
      'at+jwtx',
      'xat+jwt',
      'text/at+jwt',
      'application/jwt',
      'at-jwt',
    ]) {
      const header: JwtHeader = typ === undefined ? { alg: 'HS256' } : { alg: 'HS256', typ };
      fails('ERR_TOKEN_TYPE_MISMATCH', base(), p, header);
    }
  });

  test('without tokenTypes any typ passes', () => {
    assert.ok(check(base(), policy(), { alg: 'HS256', typ: 'whatever' }));
  });
});

describe('checkClaims: sub, jti and required claims', () => {
  test('requireSub wants a non-empty string', () => {
    const p = policy({ requireSub: true });
    assert.ok(check(base({ sub: 'alice' }), p));
    for (const sub of [undefined, '', 1, null, ['alice']]) {
      assert.equal(fails('ERR_CLAIM_MISSING', base({ sub }), p).detail, 'sub');
    }
  });

  test('sub and jti, when present, must be strings', () => {
    assert.equal(fails('ERR_CLAIM_INVALID', base({ sub: 1 })).detail, 'sub');
    assert.equal(fails('ERR_CLAIM_INVALID', base({ jti: 1 })).detail, 'jti');
    assert.equal(fails('ERR_CLAIM_INVALID', base({ jti: null })).detail, 'jti');
    assert.ok(check(base({ sub: 'a', jti: 'b' })));
  });

  test('requiredClaims must be own members; inherited names do not count', () => {
    const p = policy({ requiredClaims: ['tenant', 'constructor'] });
    assert.equal(fails('ERR_CLAIM_MISSING', base({ tenant: 't' }), p).detail, 'constructor');
    assert.equal(fails('ERR_CLAIM_MISSING', base({ constructor: 1 }), p).detail, 'tenant');
    assert.ok(check(base({ tenant: null, constructor: 0 }), p));
  });
});

describe('checkClaims: order of checks', () => {
  test('iss before exp, exp before aud', () => {
    fails('ERR_ISSUER_MISMATCH', { iss: 'x', aud: 'nope', exp: NOW - 10 });
    fails('ERR_TOKEN_EXPIRED', { iss: ISS, aud: 'nope', exp: NOW - 10 });
  });
});

describe('checkClaims: the returned validity bound', () => {
  test('at whole seconds t the claims pass exactly when t < the returned bound (fractional times too)', () => {
    const times = [0, 0.25, 0.5, 0.999];
    let checked = 0;
    for (const leewaySeconds of [0, 1, 30]) {
      for (const maxTokenAgeSeconds of [undefined, 10, 100]) {
        for (const expFrac of times) {
          for (const iatFrac of times) {
            const claims = base({ exp: NOW + 50 + expFrac, iat: NOW - 60 + iatFrac });
            const p = policy({ leewaySeconds, maxTokenAgeSeconds });
            // The bound computed while the token is still valid (the first second after iat).
            const bound = check(claims, p, HEADER, NOW - 60 + Math.ceil(iatFrac));
            for (let t = NOW - 60 + Math.ceil(iatFrac); t < NOW + 120; t++) {
              let valid = true;
              try {
                check(claims, p, HEADER, t);
              } catch {
                valid = false;
              }
              assert.equal(
                valid,
                t < bound,
                `t=${t - NOW} bound=${bound - NOW} exp=+50${expFrac} iat=-60${iatFrac} leeway=${leewaySeconds} maxAge=${maxTokenAgeSeconds}`,
              );
              checked++;
            }
          }
        }
      }
    }
    assert.ok(checked > 1000);
  });
});
