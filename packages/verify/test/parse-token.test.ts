import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeaderCache, parseToken } from '../src/parse-token.ts';
import { enc, forge, setTrailingBits, signSegments, throwsWith } from './helpers/forge.ts';
import { SECRET } from './helpers/keys.ts';

const HEADER = { alg: 'HS256', typ: 'JWT', kid: 'k1' };
const CLAIMS = { iss: 'https://issuer.test', sub: 'alice', aud: 'api', exp: 1_800_000_300 };
const MAX = 8192;

const parse = (token: string, max = MAX, cache = new HeaderCache()) => parseToken(token, max, cache);
const malformed = (token: string, detail?: string) => {
  const err = throwsWith(() => parse(token), 'ERR_TOKEN_MALFORMED', token);
  if (detail !== undefined) assert.equal(err.detail, detail);
  return err;
};

describe('parseToken: a well-formed token', () => {
  test('splits, decodes and keeps the signing input and raw signature', () => {
    const token = forge(HEADER, CLAIMS, SECRET);
    const parsed = parse(token);
    assert.deepEqual({ ...parsed.header }, HEADER);
    assert.deepEqual(parsed.claims, CLAIMS);
    const [h, p, s] = token.split('.');
    assert.equal(parsed.signingInput, `${h}.${p}`);
    assert.equal(parsed.signature, s);
    assert.equal(Buffer.from(parsed.signature, 'base64url').length, 32);
  });

  test('unknown header members (jku, x5u, x5c, jwk, custom) are kept but do not fail parsing', () => {
    const header = {
      alg: 'RS256',
      jku: 'http://x',
      x5u: 'http://y',
      x5c: ['AAAA'],
      jwk: { kty: 'oct' },
      foo: 1,
    };
    const parsed = parse(`${enc(JSON.stringify(header))}.${enc('{}')}.`);
    assert.deepEqual({ ...parsed.header }, header);
  });

  test('an empty signature segment parses to zero bytes (the signature check fails it later)', () => {
    const parsed = parse(`${enc(JSON.stringify(HEADER))}.${enc('{}')}.`);
    assert.equal(parsed.signature, '');
  });

  test('non-ASCII claim values in valid UTF-8 are decoded', () => {
    const parsed = parse(forge(HEADER, { name: 'Zoë 😀 日本' }, SECRET));
    assert.equal(parsed.claims.name, 'Zoë 😀 日本');
  });
});

describe('parseToken: size', () => {
  test('a token longer than maxBytes is refused before any decoding', () => {
    const garbage = '!'.repeat(101);
    throwsWith(() => parse(garbage, 100), 'ERR_TOKEN_TOO_LARGE');
    throwsWith(() => parse('x'.repeat(MAX + 1)), 'ERR_TOKEN_TOO_LARGE');
  });

  test('exactly maxBytes is allowed', () => {
    const token = forge(HEADER, CLAIMS, SECRET);
    assert.ok(parse(token, token.length));
    throwsWith(() => parse(token, token.length - 1), 'ERR_TOKEN_TOO_LARGE');
  });
});

describe('parseToken: structure', () => {
  const good = forge(HEADER, CLAIMS, SECRET);
  const [h, p, s] = good.split('.') as [string, string, string];
  // Encodes to text with '+' and '/' in standard base64 ('-' and '_' in base64url).
  const STD_PAYLOAD = '{"x":"??>>??~~"}';

  test('anything but exactly three segments is malformed', () => {
    for (const token of [
      '',
      '.',
      h,
      `${h}.${p}`,
      `${h}.${p}.${s}.`,
      `${h}.${p}.${s}.${s}`,
      `${h}..${p}.${s}`,
      '....',
    ]) {
      malformed(token, 'not a compact JWS');
    }
  });

  test('empty header or payload segments are malformed', () => {
    malformed(`.${p}.${s}`, 'header');
    malformed(`${h}..${s}`, 'payload');
    malformed('..', 'header');
  });

  test('non-canonical base64url in any segment is malformed', () => {
    const variants: [string, string][] = [
      [`${h}=.${p}.${s}`, 'header'],
      [`${h}.${p}=.${s}`, 'payload'],
      [`${h}.${p}.${s}=`, 'signature encoding'],
      [` ${h}.${p}.${s}`, 'header'],
      [`${h}.${p}.${s} `, 'signature encoding'],
      [`${h}.${p.slice(0, 5)} ${p.slice(5)}.${s}`, 'payload'],
      [`${h}.${p.slice(0, 5)}\n${p.slice(5)}.${s}`, 'payload'],
      [`${h}.${Buffer.from(STD_PAYLOAD).toString('base64')}.${s}`, 'payload'],
      [`${h}.${p}.${s}AA`, 'signature encoding'], // 45 characters: 1 mod 4
    ];
    for (const [token, detail] of variants) malformed(token, detail);
    // The standard-alphabet case really uses '+' and '/': the base64url form parses.
    assert.match(Buffer.from(STD_PAYLOAD).toString('base64'), /[+/]/);
    assert.ok(parse(`${h}.${enc(STD_PAYLOAD)}.${s}`));
  });

  test('non-zero trailing bits: each segment, re-signed so only the encoding is wrong', () => {
    // 43-char HS256 signature: 2 spare bits. Pick header/payload lengths with spare bits too.
    const header = enc(JSON.stringify({ alg: 'HS256', x: 'a' }));
    const payload = enc(JSON.stringify({ sub: 'abc' }));
    assert.notEqual(header.length % 4, 0);
    assert.notEqual(payload.length % 4, 0);
    malformed(signSegments(setTrailingBits(header), payload, 'HS256', SECRET), 'header');
    malformed(signSegments(header, setTrailingBits(payload), 'HS256', SECRET), 'payload');
    const token = signSegments(header, payload, 'HS256', SECRET);
    const [th, tp, ts] = token.split('.') as [string, string, string];
    assert.ok(parse(token));
    malformed(`${th}.${tp}.${setTrailingBits(ts)}`, 'signature encoding');
  });
});

describe('parseToken: header', () => {
  const payload = enc(JSON.stringify(CLAIMS));
  const withHeader = (headerText: string) => `${enc(headerText)}.${payload}.`;

  test('a header that is not a JSON object is malformed', () => {
    for (const text of [
      '',
      'null',
      '[]',
      '"HS256"',
      '1',
      '{',
      '{"alg":"HS256"',
      "{'alg':'HS256'}",
      '\ufeff{"alg":"HS256"}',
    ]) {
      malformed(withHeader(text), 'header');
    }
  });

  test('duplicate member names in the header are malformed, however spelled', () => {
    malformed(withHeader('{"alg":"HS256","alg":"HS256"}'), 'header');
    malformed(withHeader('{"alg":"none","alg":"HS256"}'), 'header');
    malformed(withHeader('{"alg":"HS256","\\u0061lg":"none"}'), 'header');
    malformed(withHeader('{"alg":"HS256","kid":"a","kid":"b"}'), 'header');
  });

  test('invalid UTF-8 in the header is malformed', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"alg":"HS256","kid":"'),
      Buffer.from([0xff]),
      Buffer.from('"}'),
    ]);
    malformed(`${bytes.toString('base64url')}.${payload}.`, 'header');
  });

  test('alg none in any casing, missing, or not implemented is ERR_ALG_NOT_ALLOWED', () => {
    const algs: unknown[] = [
      'none',
      'None',
      'NONE',
      'nOnE',
      '',
      'hs256',
      'HS256 ',
      ' HS256',
      'HS1',
      'RS1',
      'ES256K',
      'Ed25519',
      'RSA-OAEP',
      'dir',
      'toString',
      '__proto__',
      'constructor',
      null,
      0,
      true,
      ['HS256'],
      { HS256: 1 },
    ];
    for (const alg of algs) {
      throwsWith(
        () => parse(withHeader(JSON.stringify({ alg }))),
        'ERR_ALG_NOT_ALLOWED',
        JSON.stringify(alg),
      );
    }
    throwsWith(() => parse(withHeader('{}')), 'ERR_ALG_NOT_ALLOWED');
    throwsWith(() => parse(withHeader('{"typ":"JWT"}')), 'ERR_ALG_NOT_ALLOWED');
  });

  test('the header is judged before the payload: alg none with a broken payload is ERR_ALG_NOT_ALLOWED', () => {
    throwsWith(() => parse(`${enc('{"alg":"none"}')}.!!!.`), 'ERR_ALG_NOT_ALLOWED');
  });

  test('a kid or typ that is not a string is malformed', () => {
    for (const kid of [1, null, true, [], ['k'], {}]) {
      malformed(withHeader(JSON.stringify({ alg: 'HS256', kid })), 'kid');
    }
    for (const typ of [1, null, false, ['JWT'], {}]) {
      malformed(withHeader(JSON.stringify({ alg: 'HS256', typ })), 'typ');
    }
  });

  test('crit, b64, zip and enc are ERR_HEADER_UNSUPPORTED, whatever their value', () => {
    const headers: [Record<string, unknown>, string][] = [
      [{ alg: 'HS256', crit: ['exp'], exp: 1 }, 'crit'],
      [{ alg: 'HS256', crit: [] }, 'crit'],
      [{ alg: 'HS256', crit: ['b64'], b64: true }, 'crit'],
      [{ alg: 'HS256', crit: null }, 'crit'],
      [{ alg: 'HS256', b64: false }, 'b64'],
      [{ alg: 'HS256', b64: true }, 'b64'],
      [{ alg: 'HS256', zip: 'DEF' }, 'zip/enc'],
      [{ alg: 'HS256', enc: 'A128GCM' }, 'zip/enc'],
    ];
    for (const [header, detail] of headers) {
      const err = throwsWith(() => parse(withHeader(JSON.stringify(header))), 'ERR_HEADER_UNSUPPORTED');
      assert.equal(err.detail, detail);
    }
  });
});

describe('parseToken: payload', () => {
  const header = enc(JSON.stringify(HEADER));
  const withPayload = (bytes: string | Buffer) =>
    `${header}.${(typeof bytes === 'string' ? Buffer.from(bytes) : bytes).toString('base64url')}.`;

  test('a payload that is not a JSON object is malformed', () => {
    for (const text of ['', 'null', '[]', '[{}]', '"x"', '123', 'true', '{"a":1', '{"a":1}x']) {
      malformed(withPayload(text), 'payload');
    }
  });

  test('duplicate claims are malformed, also written with escapes or nested', () => {
    malformed(withPayload('{"iss":"evil","iss":"good"}'), 'payload');
    malformed(withPayload('{"iss":"evil","\\u0069ss":"good"}'), 'payload');
    malformed(withPayload('{"aud":"a","sub":"x","aud":"b"}'), 'payload');
    malformed(withPayload('{"realm_access":{"roles":["a"],"roles":["admin"]}}'), 'payload');
  });

  test('invalid UTF-8 in the payload is malformed, not silently replaced', () => {
    const cases = [
      [0xff],
      [0xc0, 0xaf], // overlong '/'
      [0xed, 0xa0, 0x80], // UTF-16 surrogate
      [0xe2, 0x82], // truncated sequence
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    ];
    for (const bad of cases) {
      const bytes = Buffer.concat([Buffer.from('{"sub":"'), Buffer.from(bad), Buffer.from('"}')]);
      malformed(withPayload(bytes), 'payload');
    }
  });
});

describe('HeaderCache', () => {
  const segment = enc(JSON.stringify(HEADER));

  test('parses a segment once and returns the same frozen header after', () => {
    const cache = new HeaderCache();
    const first = cache.get(segment);
    assert.ok(Object.isFrozen(first));
    assert.equal(cache.get(segment), first);
    assert.throws(() => {
      (first as { alg: string }).alg = 'none';
    }, TypeError);
    assert.equal(cache.get(segment).alg, 'HS256');
  });

  test('an invalid header is never cached: it fails every time', () => {
    const cache = new HeaderCache();
    const bad = enc('{"alg":"none"}');
    throwsWith(() => cache.get(bad), 'ERR_ALG_NOT_ALLOWED');
    throwsWith(() => cache.get(bad), 'ERR_ALG_NOT_ALLOWED');
    const crit = enc('{"alg":"HS256","crit":["x"]}');
    throwsWith(() => cache.get(crit), 'ERR_HEADER_UNSUPPORTED');
    throwsWith(() => cache.get(crit), 'ERR_HEADER_UNSUPPORTED');
  });

  test('stays bounded and correct when full', () => {
    const cache = new HeaderCache(2);
    const segments = ['a', 'b', 'c', 'd', 'e'].map((kid) => enc(JSON.stringify({ alg: 'HS256', kid })));
    for (let round = 0; round < 3; round++) {
      for (const [i, s] of segments.entries()) assert.equal(cache.get(s).kid, 'abcde'[i]);
    }
  });

  test('the header of the token before is reused only for exactly the same segment', () => {
    const cache = new HeaderCache();
    const other = enc(JSON.stringify({ alg: 'HS256', kid: 'k2' }));
    const good = forge(HEADER, CLAIMS, SECRET);
    const [, p, s] = good.split('.') as [string, string, string];
    assert.equal(parse(`${segment}.${p}.${s}`, MAX, cache).header.kid, 'k1');
    // Longer, starting with the last segment: decoded on its own (and here not JSON).
    const longer = throwsWith(() => parse(`${segment}AAAA.${p}.${s}`, MAX, cache), 'ERR_TOKEN_MALFORMED');
    assert.equal(longer.detail, 'header');
    assert.equal(parse(`${other}.${p}.${s}`, MAX, cache).header.kid, 'k2');
    assert.equal(parse(`${segment}.${p}.${s}`, MAX, cache).header.kid, 'k1');
    throwsWith(() => parse(`${segment.slice(0, -4)}.${p}.${s}`, MAX, cache), 'ERR_TOKEN_MALFORMED');
  });

  test('parseToken with a shared cache still checks the payload and signature of every token', () => {
    const cache = new HeaderCache();
    const good = forge(HEADER, CLAIMS, SECRET);
    assert.ok(parse(good, MAX, cache));
    const [h] = good.split('.') as [string];
    throwsWith(() => parse(`${h}.${enc('[]')}.`, MAX, cache), 'ERR_TOKEN_MALFORMED');
    throwsWith(() => parse(`${h}.${enc('{}')}.A`, MAX, cache), 'ERR_TOKEN_MALFORMED');
  });
});
