// Properties of token extraction (extract-token.ts): requests as node builds them from the wire
// (`headers` keeps the first Authorization line, `rawHeaders` every line).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JwtGateError } from '../../src/errors.ts';
import { compileTokenExtractor, type RequestLike, type TokenSource } from '../../src/extract-token.ts';
import { defineProperty, expectOnly, type PropertySuite } from './property-suite.ts';

/** RFC 6750 2.1 b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
const B64TOKEN_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/';
const b64token = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...B64TOKEN_CHARS), minLength: 1, maxLength: 60 }),
    fc.string({ unit: fc.constant('='), maxLength: 2 }),
  )
  .map(([body, pad]) => body + pad);
/** A cookie value or query value token: JWT characters. */
const jwtChars = fc.string({
  unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'),
  minLength: 1,
  maxLength: 60,
});
/** Header values as node can deliver them: visible ASCII, spaces, tabs, obs-text (latin1). */
const headerText = fc.string({
  unit: fc.oneof(
    fc.constantFrom('Bearer ', 'bearer', 'Basic ', ',', ';', '=', ' ', '\t', 'access_token', '"'),
    fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
  ),
  maxLength: 40,
});

const SOURCES: readonly (readonly TokenSource[])[] = [
  [{ bearer: true }],
  [{ bearer: true }, { cookie: 'access_token' }],
  [{ header: 'X-Token' }, { query: 'access_token' }],
  [{ header: 'X-Api-Key', prefix: 'Key' }, { bearer: true }],
  [{ cookie: 'toString' }, { query: 'constructor' }, { header: '__proto__' }],
];
const extractors = SOURCES.map((s) => compileTokenExtractor(s));
const isExtractionError = (err: unknown) =>
  err instanceof JwtGateError && (err.code === 'ERR_TOKEN_MISSING' || err.code === 'ERR_INVALID_REQUEST');

/** A request from header lines as sent: node's `headers` view of them, and the raw list. */
function requestOf(lines: readonly [string, string][], url: string): RequestLike {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of lines) {
    const key = name.toLowerCase();
    const old = headers[key];
    // node: set-cookie is a list, cookie joins with '; ', authorization keeps the first, others join with ', '.
    if (old === undefined) headers[key] = value;
    else if (key === 'cookie') headers[key] = `${old}; ${value}`;
    else if (key !== 'authorization' && key !== 'host') headers[key] = `${old}, ${value}`;
  }
  return { headers, url, rawHeaders: lines.flat() };
}

const anyLines = fc.array(
  fc.tuple(
    fc.constantFrom('Authorization', 'authorization', 'Cookie', 'X-Token', 'X-Api-Key', '__proto__', 'x'),
    headerText,
  ),
  { maxLength: 5 },
);
const anyUrl = fc
  .tuple(
    fc.webPath(),
    fc.array(fc.tuple(fc.constantFrom('access_token', 'constructor', 'a'), headerText), { maxLength: 3 }),
  )
  .map(([path, params]) =>
    params.length === 0
      ? path || '/'
      : `${path || '/'}?${params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')}`,
  );

export const extractTokenSuite: PropertySuite = {
  name: 'token extraction',
  properties: [
    defineProperty({
      name: 'any request: a token, ERR_TOKEN_MISSING or ERR_INVALID_REQUEST, never another exception',
      arbitrary: fc.tuple(anyLines, anyUrl, fc.nat({ max: SOURCES.length - 1 })),
      testRuns: 800,
      check([lines, url, which]) {
        const r = expectOnly(
          () => (extractors[which] as (r: RequestLike) => string)(requestOf(lines, url)),
          isExtractionError,
        );
        if ('value' in r) {
          assert.equal(typeof r.value, 'string');
          assert.notEqual(r.value, '');
          // Whatever was extracted was sent: it is part of a header line or of the URL.
          assert.ok(
            lines.some(([, v]) => v.includes(r.value)) || decodeURIComponent(url).includes(r.value),
            r.value,
          );
        }
      },
    }),
    defineProperty({
      name: 'Authorization: Bearer <b64token> gives the token exactly, in any case of the scheme',
      arbitrary: fc.tuple(
        b64token,
        fc.mixedCase(fc.constant('bearer')),
        fc.integer({ min: 1, max: 3 }),
        anyLines,
      ),
      check([token, scheme, spaces, others]) {
        const lines: [string, string][] = [
          ...others.filter(([n]) => n.toLowerCase() !== 'authorization' && n.toLowerCase() !== 'cookie'),
          ['Authorization', `${scheme}${' '.repeat(spaces)}${token}`],
        ];
        const extract = extractors[0] as (r: RequestLike) => string;
        assert.equal(extract(requestOf(lines, '/')), token);
      },
    }),
    defineProperty({
      name: 'a token in its cookie or query parameter is found exactly; in two places it is refused',
      arbitrary: fc.tuple(
        jwtChars,
        fc.array(fc.tuple(fc.constantFrom('theme', 'sid', 'access', 'token'), jwtChars), { maxLength: 3 }),
        b64token,
      ),
      check([token, cookies, other]) {
        const jar = [...cookies.map(([n, v]) => `${n}=${v}`), `access_token=${token}`].join('; ');
        const cookieOnly = extractors[1] as (r: RequestLike) => string;
        assert.equal(cookieOnly(requestOf([['Cookie', jar]], '/')), token);
        const both = requestOf(
          [
            ['Cookie', jar],
            ['Authorization', `Bearer ${other}`],
          ],
          '/',
        );
        assert.throws(() => cookieOnly(both), isExtractionError);
        const query = extractors[2] as (r: RequestLike) => string;
        assert.equal(query(requestOf([], `/x?a=1&access_token=${token}`)), token);
        assert.throws(
          () => query(requestOf([['X-Token', other]], `/x?access_token=${token}`)),
          isExtractionError,
        );
      },
    }),
    defineProperty({
      name: 'a repeated Authorization line is refused, whatever the first one holds',
      arbitrary: fc.tuple(
        b64token,
        fc.oneof(
          b64token.map((t) => `Bearer ${t}`),
          headerText,
        ),
        fc.boolean(),
      ),
      check([token, second, secondFirst]) {
        const lines: [string, string][] = [
          ['Authorization', `Bearer ${token}`],
          ['authorization', second],
        ];
        if (secondFirst) lines.reverse();
        const r = expectOnly(
          () => (extractors[0] as (r: RequestLike) => string)(requestOf(lines, '/')),
          isExtractionError,
        );
        // Another scheme first: no bearer token is read, so nothing can be taken from the second.
        if ('value' in r) assert.fail(`extracted ${r.value} from two Authorization lines`);
      },
    }),
  ],
};
