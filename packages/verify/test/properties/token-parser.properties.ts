// Properties of the token parser (parse-token.ts with lib/base64url.ts and lib/strict-json.ts) and
// of the whole verifier against jose.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jwtVerify } from 'jose';
import { ALGORITHMS, type Algorithm } from '../../src/algorithms.ts';
import { createVerifier } from '../../src/create-verifier.ts';
import { JwtGateError } from '../../src/errors.ts';
import { decodeBase64url, isCanonicalBase64url } from '../../src/lib/base64url.ts';
import { parseJsonObject } from '../../src/lib/strict-json.ts';
import { HeaderCache, parseToken } from '../../src/parse-token.ts';
import { enc, forge } from '../helpers/forge.ts';
import { NOW_MS, NOW_SECONDS, SECRET, secretBytes } from '../helpers/keys.ts';
import { defineProperty, expectOnly, expectOnlyAsync, type PropertySuite } from './property-suite.ts';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const MAX_BYTES = 8192;
const ALGORITHM_NAMES = Object.keys(ALGORITHMS) as Algorithm[];
const isJwtGateError = (err: unknown) => err instanceof JwtGateError;

const b64urlText = fc.string({ unit: fc.constantFrom(...B64URL), maxLength: 40 });
/** base64url with the characters a careless encoder or an attacker adds. */
const noisyB64 = fc.string({ unit: fc.constantFrom(...`${B64URL}=+/. \n\t%\u00e9`), maxLength: 40 });
/** Member names that collide, escape, or are named like Object.prototype members. */
const memberName = fc.oneof(
  fc.constantFrom(
    'a',
    'b',
    'alg',
    'kid',
    'typ',
    '__proto__',
    'constructor',
    'toString',
    'é',
    '\u0000',
    '"',
    '\\',
  ),
  fc.string({ unit: 'binary', maxLength: 6 }),
);
const jsonObject = fc.dictionary(memberName, fc.jsonValue({ maxDepth: 3 }), {
  maxKeys: 6,
  noNullPrototype: true,
});

/** A JOSE header our parser accepts: a known alg, optional kid/typ, other members ignored. */
const header = fc
  .tuple(
    fc.constantFrom(...ALGORITHM_NAMES),
    fc.option(fc.string({ unit: 'binary', maxLength: 20 }), { nil: undefined }),
    fc.option(fc.constantFrom('JWT', 'at+jwt', 'x'), { nil: undefined }),
    fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), {
      maxKeys: 3,
      noNullPrototype: true,
    }),
  )
  .map(([alg, kid, typ, extra]) => {
    const h: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(extra))
      if (!['alg', 'kid', 'typ', 'crit', 'b64', 'zip', 'enc'].includes(k)) h[k] = v;
    h.alg = alg;
    if (kid !== undefined) h.kid = kid;
    if (typ !== undefined) h.typ = typ;
    return h;
  });

/** Strings shaped like tokens, and not: arbitrary text, segments of real and broken encodings. */
const tokenish = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc
    .array(
      fc.oneof(
        b64urlText,
        noisyB64,
        jsonObject.map((o) => enc(JSON.stringify(o))),
        header.map((h) => enc(JSON.stringify(h))),
        fc.uint8Array({ maxLength: 40 }).map((b) => enc(b)),
        fc.string({ unit: 'binary', maxLength: 30 }).map((s) => enc(s)),
      ),
      { minLength: 1, maxLength: 5 },
    )
    .map((segments) => segments.join('.')),
);

/** Members with duplicate names (plain or \u-escaped), and their expected verdict. */
const membersText = fc
  .tuple(
    fc.array(fc.tuple(memberName, fc.jsonValue({ maxDepth: 2 }), fc.boolean()), { maxLength: 6 }),
    fc.constantFrom('', ' ', '\n\t ', '\r\n'),
    fc.integer({ min: 0, max: 2 }),
  )
  .map(([members, ws, nesting]) => {
    const key = (name: string, escaped: boolean) =>
      escaped
        ? `"${Array.from({ length: name.length }, (_, i) => `\\u${name.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`
        : JSON.stringify(name);
    let text = `{${members.map(([n, v, e]) => `${ws}${key(n, e)}${ws}:${ws}${JSON.stringify(v)}`).join(',')}${ws}}`;
    // The value the text spells, built without JSON.parse (see the check).
    let expected: unknown = Object.fromEntries(members.map(([n, v]) => [n, v]));
    for (let i = 0; i < nesting; i++) {
      text = `{"outer":[1,${text}]}`;
      expected = { outer: [1, expected] };
    }
    const names = members.map(([n]) => n);
    return { text, expected: JSON.stringify(expected), duplicate: new Set(names).size < names.length };
  });

/** A valid HS256 token of our test issuer, then perhaps one mutation. */
const mutatedToken = fc
  .tuple(
    fc.record({
      iss: fc.constantFrom('https://issuer.test', 'https://evil.test'),
      aud: fc.constantFrom('api://test', ['api://test', 'x'], 'api://other'),
      sub: fc.string({ maxLength: 10 }),
      exp: fc.integer({ min: NOW_SECONDS - 100, max: NOW_SECONDS + 600 }),
      iat: fc.integer({ min: NOW_SECONDS - 600, max: NOW_SECONDS + 10 }),
    }),
    jsonObject,
    fc.constantFrom('HS256', 'HS512'),
    fc.oneof(
      fc.constant({ kind: 'none' as const }),
      fc.record({
        kind: fc.constant('replace' as const),
        at: fc.nat(),
        with: fc.constantFrom(...`${B64URL}=.+/ `),
      }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
      fc.record({
        kind: fc.constant('segment' as const),
        at: fc.integer({ min: 0, max: 2 }),
        with: noisyB64,
      }),
    ),
  )
  .map(([registered, extra, alg, mutation]) => {
    const token = forge({ alg, typ: 'JWT' }, { ...extra, ...registered }, SECRET, alg);
    if (mutation.kind === 'none') return token;
    if (mutation.kind === 'segment') {
      const parts = token.split('.');
      parts[mutation.at] = mutation.with;
      return parts.join('.');
    }
    const at = mutation.at % token.length;
    return mutation.kind === 'cut'
      ? token.slice(0, at) + token.slice(at + 1)
      : token.slice(0, at) + mutation.with + token.slice(at + 1);
  });

/** Codes with which we may refuse a token jose accepts: our documented stricter rules (see differential.test.ts). */
const STRICTER_CODES = new Set([
  'ERR_TOKEN_MALFORMED',
  'ERR_HEADER_UNSUPPORTED',
  'ERR_TOKEN_ISSUED_IN_FUTURE',
  'ERR_CLAIM_INVALID',
]);

const verifier = createVerifier({
  providers: {
    p: { issuer: 'https://issuer.test', audiences: ['api://test'], algorithms: ['HS256'], secret: SECRET },
  },
  now: () => NOW_MS,
});

export const tokenParserSuite: PropertySuite = {
  name: 'token parser',
  properties: [
    defineProperty({
      name: 'parseToken: any string is parsed or refused with a JwtGateError, never another exception',
      arbitrary: tokenish,
      testRuns: 600,
      check(token) {
        const cache = new HeaderCache();
        const r = expectOnly(() => parseToken(token, MAX_BYTES, cache), isJwtGateError);
        if ('error' in r) return;
        const [h, p, s] = token.split('.');
        assert.equal(r.value.signingInput, `${h}.${p}`);
        assert.equal(r.value.signature, s);
        assert.ok(isCanonicalBase64url(s as string));
        assert.ok(ALGORITHM_NAMES.includes(r.value.header.alg));
      },
    }),
    defineProperty({
      name: 'parseToken: header and claims round trip through canonical base64url',
      arbitrary: fc.tuple(header, jsonObject, fc.uint8Array({ maxLength: 64 })),
      check([h, claims, signature]) {
        const headerText = JSON.stringify(h);
        const claimsText = JSON.stringify(claims);
        const token = `${enc(headerText)}.${enc(claimsText)}.${enc(signature)}`;
        const r = expectOnly(() => parseToken(token, 1 << 20, new HeaderCache()), isJwtGateError);
        if ('error' in r) {
          // Refused only where V8's JSON.parse itself decodes an escaped member name to another
          // one (nodejs/node#63785): the parser sees the names differ and refuses, as it must.
          const reparsed = [headerText, claimsText].some((t) => JSON.stringify(JSON.parse(t)) !== t);
          assert.ok(reparsed, `refused: ${String(r.error)}`);
          return;
        }
        assert.equal(JSON.stringify(r.value.header), headerText);
        assert.equal(JSON.stringify(r.value.claims), claimsText);
        assert.deepEqual(decodeBase64url(r.value.signature), Buffer.from(signature));
      },
    }),
    defineProperty({
      name: 'base64url: bytes round trip, and only the canonical encoding of any bytes decodes',
      arbitrary: fc.tuple(fc.uint8Array({ maxLength: 48 }), noisyB64),
      testRuns: 1000,
      check([bytes, text]) {
        const encoded = Buffer.from(bytes).toString('base64url');
        assert.ok(isCanonicalBase64url(encoded));
        assert.deepEqual(decodeBase64url(encoded), Buffer.from(bytes));
        const decoded = decodeBase64url(text);
        if (decoded !== undefined) assert.equal(decoded.toString('base64url'), text);
        // A trailing character changed to another of the same value bits is never also accepted.
        for (const variant of [`${encoded}=`, `${encoded}A`, encoded.replace(/.$/, 'B')]) {
          if (variant === encoded) continue;
          const other = decodeBase64url(variant);
          if (other !== undefined) assert.notDeepEqual(other, Buffer.from(bytes), variant);
        }
      },
    }),
    defineProperty({
      name: 'strict JSON: duplicate member names (plain or escaped, at any depth) are refused, others parse',
      arbitrary: membersText,
      testRuns: 800,
      check({ text, expected, duplicate }) {
        const parsed = expectOnly(
          () => parseJsonObject(text),
          () => false,
        );
        assert.ok('value' in parsed);
        if (duplicate) {
          assert.equal(parsed.value, undefined, text);
          return;
        }
        if (parsed.value !== undefined) {
          assert.equal(JSON.stringify(parsed.value), expected, text);
          return;
        }
        // Refused without a duplicate: allowed only where V8's JSON.parse itself decoded an
        // escaped name to another one (nodejs/node#63785), which the parser detects and refuses.
        assert.notEqual(JSON.stringify(JSON.parse(text)), expected, `refused without a duplicate: ${text}`);
      },
    }),
    defineProperty({
      name: 'strict JSON: any text gives an object or undefined, never an exception',
      arbitrary: fc.oneof(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.json({ maxDepth: 4 }),
        fc
          .tuple(fc.json(), fc.nat(), fc.constantFrom('{', '}', '"', ':', ',', '\\', '['))
          .map(([t, at, c]) => t.slice(0, at % (t.length + 1)) + c + t.slice(at % (t.length + 1))),
        // Rare but present: nesting deep enough to overflow a recursive walk.
        fc
          .nat({ max: 100 })
          .map((n) => (n < 97 ? '{}' : `${'{"a":['.repeat(n * 200)}1${']}'.repeat(n * 200)}`)),
      ),
      check(text) {
        const r = expectOnly(
          () => parseJsonObject(text),
          () => false,
        );
        assert.ok('value' in r);
        if (r.value !== undefined) assert.equal(typeof r.value, 'object');
      },
    }),
    defineProperty({
      name: 'differential: what jose rejects we reject; what we accept jose accepts identically',
      arbitrary: mutatedToken,
      check: async (token) => {
        const ours = await expectOnlyAsync(() => verifier.verify(token), isJwtGateError);
        let theirs: { ok: true; claims: unknown; header: unknown } | { ok: false };
        try {
          const r = await jwtVerify(token, secretBytes(), {
            algorithms: ['HS256'],
            issuer: 'https://issuer.test',
            audience: 'api://test',
            currentDate: new Date(NOW_MS),
            requiredClaims: ['exp'],
          });
          theirs = { ok: true, claims: r.payload, header: r.protectedHeader };
        } catch {
          theirs = { ok: false };
        }
        if (!theirs.ok) {
          assert.ok('error' in ours, `jose rejected, we accepted ${token}`);
          return;
        }
        if ('value' in ours) {
          assert.deepEqual(ours.value.claims, theirs.claims);
          assert.deepEqual({ ...ours.value.header }, theirs.header);
          return;
        }
        const code = (ours.error as JwtGateError).code;
        assert.ok(STRICTER_CODES.has(code), `we rejected with ${code}, jose accepted ${token}`);
      },
    }),
  ],
};
