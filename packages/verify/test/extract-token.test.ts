import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ErrorCode, JwtGateError } from '../src/errors.ts';
import {
  compileTokenExtractor,
  DEFAULT_TOKEN_SOURCES,
  type RequestLike,
  type TokenSource,
} from '../src/extract-token.ts';

const TOKEN = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLWJ5dGVz';
const OTHER = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.b3RoZXItc2lnbmF0dXJl';

function req(headers: RequestLike['headers'] = {}, url = '/resource'): RequestLike {
  return { headers, url };
}

function throwsCode(fn: () => unknown, code: ErrorCode, status?: number): JwtGateError {
  let caught: unknown;
  assert.throws(fn, (err: unknown) => {
    caught = err;
    return true;
  });
  assert.ok(caught instanceof JwtGateError, `expected a JwtGateError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  if (status !== undefined) assert.equal(caught.status, status);
  return caught;
}

describe('default sources: Authorization: Bearer', () => {
  const extract = compileTokenExtractor();

  test('the default is the bearer source only, frozen', () => {
    assert.deepEqual(DEFAULT_TOKEN_SOURCES, [{ bearer: true }]);
    assert.ok(Object.isFrozen(DEFAULT_TOKEN_SOURCES));
  });

  test('reads the token after "Bearer "', () => {
    assert.equal(extract(req({ authorization: `Bearer ${TOKEN}` })), TOKEN);
  });

  test('the scheme is case-insensitive', () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer', 'bEaReR']) {
      assert.equal(extract(req({ authorization: `${scheme} ${TOKEN}` })), TOKEN, scheme);
    }
  });

  test('several spaces after the scheme and trailing spaces are accepted', () => {
    assert.equal(extract(req({ authorization: `Bearer    ${TOKEN}` })), TOKEN);
    assert.equal(extract(req({ authorization: `Bearer ${TOKEN}   ` })), TOKEN);
  });

  test('b64token characters and trailing "=" padding are kept as sent', () => {
    assert.equal(extract(req({ authorization: 'Bearer a-b_c.d~e+f/g==' })), 'a-b_c.d~e+f/g==');
  });

  test('a malformed bearer value is ERR_INVALID_REQUEST (400)', () => {
    const malformed = [
      'Bearer',
      'Bearer ',
      'Bearer    ',
      `Bearer ${TOKEN} extra`,
      `Bearer ${TOKEN},${OTHER}`,
      `Bearer ${TOKEN}, Bearer ${OTHER}`,
      'Bearer abc!def',
      'Bearer "quoted"',
      'Bearer =abc',
      'Bearer abc=def',
      `Bearer ${TOKEN}\u00e9`,
    ];
    for (const value of malformed) {
      throwsCode(() => extract(req({ authorization: value })), 'ERR_INVALID_REQUEST', 400);
    }
  });

  test('a malformed bearer error does not echo the header value', () => {
    const err = throwsCode(
      () => extract(req({ authorization: 'Bearer secret!token' })),
      'ERR_INVALID_REQUEST',
    );
    assert.ok(!err.message.includes('secret!token'));
    assert.ok(!String(err.detail).includes('secret!token'));
  });

  test('other schemes are not bearer tokens: treated as absent (ERR_TOKEN_MISSING, 401)', () => {
    for (const value of [
      'Basic dXNlcjpwYXNz',
      `DPoP ${TOKEN}`,
      `Token ${TOKEN}`,
      `Bearer${TOKEN}`,
      TOKEN,
      '',
    ]) {
      throwsCode(() => extract(req({ authorization: value })), 'ERR_TOKEN_MISSING', 401);
    }
  });

  test('no Authorization header is ERR_TOKEN_MISSING', () => {
    throwsCode(() => extract(req({})), 'ERR_TOKEN_MISSING', 401);
    throwsCode(() => extract({ headers: { authorization: undefined } }), 'ERR_TOKEN_MISSING');
  });

  test('a query parameter is ignored with the default sources', () => {
    throwsCode(() => extract(req({}, `/resource?access_token=${TOKEN}`)), 'ERR_TOKEN_MISSING');
  });

  test('a cookie or a Token header is ignored with the default sources', () => {
    throwsCode(() => extract(req({ cookie: `access_token=${TOKEN}`, token: TOKEN })), 'ERR_TOKEN_MISSING');
  });

  test('a repeated Authorization header (array) is ERR_INVALID_REQUEST', () => {
    throwsCode(
      () => extract(req({ authorization: [`Bearer ${TOKEN}`, `Bearer ${OTHER}`] })),
      'ERR_INVALID_REQUEST',
    );
    // Even the same value twice: a client must send one token, once.
    throwsCode(
      () => extract(req({ authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`] })),
      'ERR_INVALID_REQUEST',
    );
  });

  test('a one-element header array is read like a single header; an empty array is absent', () => {
    assert.equal(extract(req({ authorization: [`Bearer ${TOKEN}`] })), TOKEN);
    throwsCode(() => extract(req({ authorization: [] })), 'ERR_TOKEN_MISSING');
  });
});

describe('named header source', () => {
  test('the tutorial header "Token" carries the bare token', () => {
    const extract = compileTokenExtractor([{ header: 'Token' }]);
    // node lowercases incoming header names.
    assert.equal(extract(req({ token: TOKEN })), TOKEN);
  });

  test('the configured header name may use any case', () => {
    for (const header of ['Token', 'TOKEN', 'token', 'tOkEn']) {
      const extract = compileTokenExtractor([{ header }]);
      assert.equal(extract(req({ token: TOKEN })), TOKEN, header);
    }
  });

  test('surrounding whitespace is trimmed', () => {
    const extract = compileTokenExtractor([{ header: 'Token' }]);
    assert.equal(extract(req({ token: `  ${TOKEN}  ` })), TOKEN);
  });

  test('absent header is ERR_TOKEN_MISSING; the Authorization header does not count', () => {
    const extract = compileTokenExtractor([{ header: 'Token' }]);
    throwsCode(() => extract(req({})), 'ERR_TOKEN_MISSING', 401);
    throwsCode(() => extract(req({ authorization: `Bearer ${TOKEN}` })), 'ERR_TOKEN_MISSING');
  });

  test('an empty or blank header value is ERR_INVALID_REQUEST', () => {
    const extract = compileTokenExtractor([{ header: 'Token' }]);
    throwsCode(() => extract(req({ token: '' })), 'ERR_INVALID_REQUEST', 400);
    throwsCode(() => extract(req({ token: '   ' })), 'ERR_INVALID_REQUEST', 400);
  });

  test('a repeated named header (array) is ERR_INVALID_REQUEST; one element is read', () => {
    const extract = compileTokenExtractor([{ header: 'Token' }]);
    throwsCode(() => extract(req({ token: [TOKEN, OTHER] })), 'ERR_INVALID_REQUEST');
    assert.equal(extract(req({ token: [TOKEN] })), TOKEN);
    throwsCode(() => extract(req({ token: [] })), 'ERR_TOKEN_MISSING');
  });

  test('a repeated named header joined by node (", ") is ERR_INVALID_REQUEST, not a token', () => {
    const extract = compileTokenExtractor([{ header: 'Token' }]);
    throwsCode(() => extract(req({ token: `${TOKEN}, ${OTHER}` })), 'ERR_INVALID_REQUEST', 400);
    throwsCode(() => extract(req({ token: `${TOKEN},${TOKEN}` })), 'ERR_INVALID_REQUEST', 400);
    const prefixed = compileTokenExtractor([{ header: 'X-Api-Token', prefix: 'JWT ' }]);
    throwsCode(() => prefixed(req({ 'x-api-token': `JWT ${TOKEN}, JWT ${OTHER}` })), 'ERR_INVALID_REQUEST');
  });

  test('with a prefix, the prefix is required and stripped', () => {
    const extract = compileTokenExtractor([{ header: 'X-Api-Token', prefix: 'JWT ' }]);
    assert.equal(extract(req({ 'x-api-token': `JWT ${TOKEN}` })), TOKEN);
    assert.equal(extract(req({ 'x-api-token': `JWT    ${TOKEN}` })), TOKEN);
    throwsCode(() => extract(req({ 'x-api-token': TOKEN })), 'ERR_INVALID_REQUEST', 400);
    throwsCode(() => extract(req({ 'x-api-token': `Bearer ${TOKEN}` })), 'ERR_INVALID_REQUEST');
    throwsCode(() => extract(req({ 'x-api-token': 'JWT ' })), 'ERR_INVALID_REQUEST');
    throwsCode(() => extract(req({})), 'ERR_TOKEN_MISSING');
  });

  test('an Authorization header source with a custom prefix reads that scheme', () => {
    const extract = compileTokenExtractor([{ header: 'Authorization', prefix: 'JWT ' }]);
    assert.equal(extract(req({ authorization: `JWT ${TOKEN}` })), TOKEN);
    throwsCode(() => extract(req({ authorization: `Bearer ${TOKEN}` })), 'ERR_INVALID_REQUEST');
  });

  test('an Authorization header source without prefix behaves like the bearer source', () => {
    const extract = compileTokenExtractor([{ header: 'Authorization' }]);
    assert.equal(extract(req({ authorization: `bearer ${TOKEN}` })), TOKEN);
    throwsCode(() => extract(req({ authorization: 'Basic dXNlcjpwYXNz' })), 'ERR_TOKEN_MISSING');
    throwsCode(() => extract(req({ authorization: 'Bearer a b' })), 'ERR_INVALID_REQUEST');
  });
});

describe('cookie source', () => {
  const extract = compileTokenExtractor([{ cookie: 'access_token' }]);

  test('reads the named cookie among others', () => {
    assert.equal(extract(req({ cookie: `theme=dark; access_token=${TOKEN}; lang=en` })), TOKEN);
    assert.equal(extract(req({ cookie: `access_token=${TOKEN}` })), TOKEN);
    assert.equal(extract(req({ cookie: `theme=dark;access_token= ${TOKEN} ` })), TOKEN);
  });

  test('cookie names match exactly, not by suffix or prefix', () => {
    throwsCode(() => extract(req({ cookie: `my_access_token=${TOKEN}` })), 'ERR_TOKEN_MISSING');
    throwsCode(() => extract(req({ cookie: `access_token_2=${TOKEN}` })), 'ERR_TOKEN_MISSING');
    throwsCode(() => extract(req({ cookie: `Access_Token=${TOKEN}` })), 'ERR_TOKEN_MISSING');
  });

  test('no cookie header, or a cookie without "=", is ERR_TOKEN_MISSING', () => {
    throwsCode(() => extract(req({})), 'ERR_TOKEN_MISSING');
    throwsCode(() => extract(req({ cookie: 'access_token' })), 'ERR_TOKEN_MISSING');
  });

  test('an empty cookie value is absent', () => {
    throwsCode(() => extract(req({ cookie: 'access_token=; theme=dark' })), 'ERR_TOKEN_MISSING');
  });

  test('the cookie twice is ERR_INVALID_REQUEST, also across cookie header lines', () => {
    throwsCode(
      () => extract(req({ cookie: `access_token=${TOKEN}; access_token=${OTHER}` })),
      'ERR_INVALID_REQUEST',
      400,
    );
    throwsCode(
      () => extract(req({ cookie: [`access_token=${TOKEN}`, `access_token=${OTHER}`] })),
      'ERR_INVALID_REQUEST',
    );
  });

  test('several cookie header lines (array) are all searched', () => {
    assert.equal(extract(req({ cookie: ['theme=dark', `access_token=${TOKEN}`] })), TOKEN);
  });

  test('the cookie error detail names the cookie, not its value', () => {
    const err = throwsCode(
      () => extract(req({ cookie: `access_token=${TOKEN}; access_token=${OTHER}` })),
      'ERR_INVALID_REQUEST',
    );
    assert.ok(!err.message.includes(TOKEN) && !err.message.includes(OTHER));
  });
});

describe('query parameter source', () => {
  test('is read only when a query source is configured', () => {
    const url = `/resource?access_token=${TOKEN}`;
    throwsCode(() => compileTokenExtractor()(req({}, url)), 'ERR_TOKEN_MISSING');
    throwsCode(() => compileTokenExtractor([{ header: 'Token' }])(req({}, url)), 'ERR_TOKEN_MISSING');
    throwsCode(
      () => compileTokenExtractor([{ cookie: 'access_token' }, { bearer: true }])(req({}, url)),
      'ERR_TOKEN_MISSING',
    );
    assert.equal(compileTokenExtractor([{ query: 'access_token' }])(req({}, url)), TOKEN);
  });

  test('reads the named parameter among others, by exact name', () => {
    const extract = compileTokenExtractor([{ query: 'access_token' }]);
    assert.equal(extract(req({}, `/r?a=1&access_token=${TOKEN}&b=2`)), TOKEN);
    throwsCode(() => extract(req({}, `/r?token=${TOKEN}`)), 'ERR_TOKEN_MISSING');
    throwsCode(() => extract(req({}, `/r?my_access_token=${TOKEN}`)), 'ERR_TOKEN_MISSING');
  });

  test('no query string, no url, or an empty value is ERR_TOKEN_MISSING', () => {
    const extract = compileTokenExtractor([{ query: 'access_token' }]);
    throwsCode(() => extract(req({}, '/r')), 'ERR_TOKEN_MISSING');
    throwsCode(() => extract({ headers: {} }), 'ERR_TOKEN_MISSING');
    throwsCode(() => extract(req({}, '/r?access_token=')), 'ERR_TOKEN_MISSING');
    throwsCode(() => extract(req({}, '/r?access_token')), 'ERR_TOKEN_MISSING');
  });

  test('a repeated parameter is ERR_INVALID_REQUEST', () => {
    const extract = compileTokenExtractor([{ query: 'access_token' }]);
    throwsCode(
      () => extract(req({}, `/r?access_token=${TOKEN}&access_token=${OTHER}`)),
      'ERR_INVALID_REQUEST',
      400,
    );
  });
});

describe('several sources', () => {
  const sources: TokenSource[] = [{ header: 'Token' }, { bearer: true }];
  const extract = compileTokenExtractor(sources);

  test('a token in any one of them is found', () => {
    assert.equal(extract(req({ token: TOKEN })), TOKEN);
    assert.equal(extract(req({ authorization: `Bearer ${OTHER}` })), OTHER);
  });

  test('a token in two places (Token header + Bearer) is ERR_INVALID_REQUEST, even the same token', () => {
    throwsCode(
      () => extract(req({ token: TOKEN, authorization: `Bearer ${OTHER}` })),
      'ERR_INVALID_REQUEST',
      400,
    );
    throwsCode(() => extract(req({ token: TOKEN, authorization: `Bearer ${TOKEN}` })), 'ERR_INVALID_REQUEST');
  });

  test('none of them is ERR_TOKEN_MISSING; another scheme still counts as absent', () => {
    throwsCode(() => extract(req({})), 'ERR_TOKEN_MISSING', 401);
    assert.equal(extract(req({ token: TOKEN, authorization: 'Basic dXNlcjpwYXNz' })), TOKEN);
  });

  test('header + cookie + query, all configured: two of them is ERR_INVALID_REQUEST', () => {
    const all = compileTokenExtractor([{ bearer: true }, { cookie: 'at' }, { query: 'at' }]);
    assert.equal(all(req({ cookie: `at=${TOKEN}` })), TOKEN);
    assert.equal(all(req({}, `/r?at=${TOKEN}`)), TOKEN);
    throwsCode(() => all(req({ cookie: `at=${TOKEN}` }, `/r?at=${TOKEN}`)), 'ERR_INVALID_REQUEST');
    throwsCode(
      () => all(req({ authorization: `Bearer ${TOKEN}`, cookie: `at=${OTHER}` })),
      'ERR_INVALID_REQUEST',
    );
  });

  test('a malformed value in one source fails even if another source has a token', () => {
    throwsCode(
      () => extract(req({ token: TOKEN, authorization: 'Bearer not valid' })),
      'ERR_INVALID_REQUEST',
    );
  });
});

describe('configuration', () => {
  test('an empty source list is refused at compile time', () => {
    assert.throws(() => compileTokenExtractor([]), /at least one token source/);
  });

  test('an unknown source shape is refused at compile time', () => {
    assert.throws(
      () => compileTokenExtractor([{ body: 'token' } as unknown as TokenSource]),
      /unknown token source/,
    );
  });
});

describe('repeated Authorization lines (node keeps only the first in headers)', () => {
  const extract = compileTokenExtractor();

  test('two Authorization lines in rawHeaders are invalid_request', () => {
    const request = {
      headers: { authorization: `Bearer ${TOKEN}` },
      rawHeaders: ['Host', 'x', 'Authorization', `Bearer ${TOKEN}`, 'authorization', `Bearer ${OTHER}`],
    };
    throwsCode(() => extract(request), 'ERR_INVALID_REQUEST', 400);
  });

  test('one Authorization line in rawHeaders is fine', () => {
    const request = {
      headers: { authorization: `Bearer ${TOKEN}` },
      rawHeaders: ['Authorization', `Bearer ${TOKEN}`],
    };
    assert.equal(extract(request), TOKEN);
  });
});
