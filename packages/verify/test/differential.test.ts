// Differential test: the hot path verifies with node:crypto directly; jose (WebCrypto) is the
// reference. Over a seeded corpus of valid, invalid and mutated tokens per algorithm:
//   (1) every token jose rejects, we reject;
//   (2) every token we accept, jose accepts with the identical header and payload;
//   (3) where we reject and jose accepts, the reason is one of our documented stricter rules,
//       found independently from the token text, and our error code is the one for that rule;
//   (4) a token breaking one of those rules is never accepted by us.
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { describe, test } from 'node:test';
import { type CryptoKey, jwtVerify } from 'jose';
import type { Algorithm } from '../src/algorithms.ts';
import { createVerifier, type Verifier } from '../src/create-verifier.ts';
import { JwtGateError } from '../src/errors.ts';
import { enc, forge, prng, setTrailingBits, signSegments } from './helpers/forge.ts';
import { makeKeyPair, NOW_MS, NOW_SECONDS, SECRET, secretBytes, signToken } from './helpers/keys.ts';

const ISS = 'https://issuer.test';
const AUD = 'api://test';
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const NOISE = `${ALPHABET}=+/. \n`;

/** Our stricter rules, and the code each one must produce. */
const STRICTER_RULES = {
  'non-canonical base64url': 'ERR_TOKEN_MALFORMED',
  'duplicate member names': 'ERR_TOKEN_MALFORMED',
  'invalid UTF-8': 'ERR_TOKEN_MALFORMED',
  'crit/b64 header': 'ERR_HEADER_UNSUPPORTED',
  'iat in the future': 'ERR_TOKEN_ISSUED_IN_FUTURE',
  'non-finite NumericDate': 'ERR_CLAIM_INVALID',
} as const;
type Rule = keyof typeof STRICTER_RULES;
/** The exact set of codes allowed when we reject a token jose accepts. */
const ALLOWED_DISAGREEMENT_CODES = new Set([
  'ERR_TOKEN_MALFORMED',
  'ERR_HEADER_UNSUPPORTED',
  'ERR_TOKEN_ISSUED_IN_FUTURE',
  'ERR_CLAIM_INVALID',
]);

/** True when some object in valid JSON text repeats a member name (independent of src). */
function repeatsName(text: string): boolean {
  let i = 0;
  let repeat = false;
  const ws = () => {
    while (' \t\r\n'.includes(text.charAt(i)) && i < text.length) i++;
  };
  const str = (): string => {
    const start = i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      const seen = new Set<string>();
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          ws();
          const name = str();
          if (seen.has(name)) repeat = true;
          seen.add(name);
          ws();
          i++; // ':'
        }
        value();
        ws();
        if (text[i++] === close) return;
      }
    } else if (c === '"') str();
    else while (i < text.length && !',]} \t\r\n'.includes(text.charAt(i))) i++;
  };
  value();
  return repeat;
}

const canonical = (segment: string) =>
  /^[A-Za-z0-9_-]*$/.test(segment) && Buffer.from(segment, 'base64url').toString('base64url') === segment;

/** Which stricter rules a token breaks, judged from its text alone. */
function stricterRulesBroken(token: string): Set<Rule> {
  const rules = new Set<Rule>();
  const segments = token.split('.');
  if (segments.length !== 3) return rules;
  if (!segments.every(canonical)) rules.add('non-canonical base64url');
  const [header, payload] = segments.slice(0, 2).map((s) =>
    Buffer.from(
      s.replace(/[-_]/g, (c) => (c === '-' ? '+' : '/')),
      'base64',
    ),
  );
  for (const bytes of [header, payload] as Buffer[]) {
    if (!isUtf8(bytes)) {
      rules.add('invalid UTF-8');
      continue;
    }
    const text = bytes.toString('utf8');
    try {
      JSON.parse(text); // the scan below assumes valid JSON
    } catch {
      continue;
    }
    if (repeatsName(text)) rules.add('duplicate member names');
  }
  try {
    const h = JSON.parse((header as Buffer).toString('utf8'));
    if (h.crit !== undefined || h.b64 !== undefined) rules.add('crit/b64 header');
  } catch {}
  try {
    const p = JSON.parse((payload as Buffer).toString('utf8'));
    for (const name of ['exp', 'nbf', 'iat']) {
      if (typeof p[name] === 'number' && !Number.isFinite(p[name])) rules.add('non-finite NumericDate');
    }
    if (typeof p.iat === 'number' && p.iat > NOW_SECONDS) rules.add('iat in the future');
  } catch {}
  return rules;
}

interface Fixture {
  readonly alg: Algorithm;
  readonly sign: (claims: Record<string, unknown>, header?: Record<string, unknown>) => Promise<string>;
  readonly signOther: (claims: Record<string, unknown>) => Promise<string>;
  readonly signConfused: (claims: Record<string, unknown>) => string;
  /** Signs raw header and payload segments as they are (for hand-built stricter-rule tokens). */
  readonly signRawSegments: (header: string, payload: string) => string;
  readonly ours: Verifier;
  readonly joseKey: CryptoKey | Uint8Array;
}

async function fixture(alg: Algorithm): Promise<Fixture> {
  const provider = { issuer: ISS, audiences: [AUD], algorithms: [alg] };
  if (alg === 'HS256') {
    const other = secretBytes(`${SECRET}-other`);
    return {
      alg,
      sign: async (claims, header = {}) => forge({ alg, typ: 'JWT', ...header }, claims, SECRET),
      signOther: (claims) => signToken(other, { alg, claims }),
      signConfused: (claims) => forge({ alg: 'HS512', typ: 'JWT' }, claims, SECRET),
      signRawSegments: (h, p) => signSegments(h, p, alg, SECRET),
      ours: createVerifier({ providers: { p: { ...provider, secret: SECRET } }, now: () => NOW_MS }),
      joseKey: secretBytes(),
    };
  }
  const pair = await makeKeyPair(alg, 'k1');
  const other = await makeKeyPair(alg, 'k1');
  let flip = false;
  return {
    alg,
    // Half the tokens come from jose's SignJWT, half from node:crypto: both producers must pass.
    // (Odd headers such as crit are always built by hand: SignJWT refuses some of them.)
    sign: async (claims, header) => {
      flip = !flip;
      return flip && header === undefined
        ? signToken(pair.privateKey, { alg, kid: 'k1', claims, exp: null })
        : forge({ alg, kid: 'k1', ...header }, claims, pair.privateKey);
    },
    signOther: (claims) => signToken(other.privateKey, { alg, kid: 'k1', claims, exp: null }),
    signConfused: (claims) =>
      forge({ alg: 'HS256', kid: 'k1' }, claims, Buffer.from(JSON.stringify(pair.publicJwk))),
    signRawSegments: (h, p) => signSegments(h, p, alg, pair.privateKey),
    ours: createVerifier({
      providers: { p: { ...provider, keys: { jwks: { keys: [pair.publicJwk] } } } },
      now: () => NOW_MS,
    }),
    joseKey: pair.publicKey,
  };
}

/** A seeded corpus: valid tokens, invalid ones, stricter-rule ones, and mutations of them all. */
async function corpus(f: Fixture, seed: number): Promise<{ token: string; kind: string }[]> {
  const random = prng(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]) => list[int(list.length)] as T;
  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: ISS,
    aud: pick([AUD, [AUD], ['other', AUD], [AUD, 7]]),
    sub: `user-${int(1000)}`,
    iat: NOW_SECONDS - int(3600),
    exp: NOW_SECONDS + 1 + int(3600) + pick([0, 0, 0.5]),
    ...(random() < 0.3 ? { nbf: NOW_SECONDS - int(100) } : {}),
    ...(random() < 0.3 ? { scope: 'read write', roles: ['a', 'b'], n: { deep: [1, { x: 'é😀' }] } } : {}),
    ...extra,
  });
  const out: { token: string; kind: string }[] = [];
  const valid: string[] = [];
  for (let i = 0; i < 40; i++) {
    const token = await f.sign(claims());
    valid.push(token);
    out.push({ token, kind: 'valid' });
  }
  const invalid: [string, () => Promise<string>][] = [
    ['wrong key', () => f.signOther(claims())],
    [
      'wrong aud',
      () =>
        f.sign(claims({ aud: pick(['api://other', 'API://TEST', 'api://test/', ['x', 'y'], 'api://tes']) })),
    ],
    ['missing aud', () => f.sign({ ...claims(), aud: undefined })],
    [
      'wrong iss',
      () =>
        f.sign(claims({ iss: pick(['https://evil.test', 'https://issuer.test/', 'HTTPS://ISSUER.TEST']) })),
    ],
    ['expired', () => f.sign(claims({ exp: NOW_SECONDS - int(3) - pick([0, 0.5]) }))],
    ['exp now', () => f.sign(claims({ exp: NOW_SECONDS }))],
    ['nbf future', () => f.sign(claims({ nbf: NOW_SECONDS + 1 + int(100) }))],
    ['missing exp', () => f.sign({ ...claims(), exp: undefined })],
    ['exp string', () => f.sign(claims({ exp: String(NOW_SECONDS + 600) }))],
    // HS256 fixture: HS512 is not allowed. Others: HS256 keyed with the public JWK (key confusion).
    ['alg confusion', async () => f.signConfused(claims())],
  ];
  for (let i = 0; i < 60; i++) {
    const [kind, make] = invalid[i % invalid.length] as [string, () => Promise<string>];
    out.push({ token: await make(), kind });
  }
  // Validly signed, but breaking one of our stricter rules.
  const headerJson = JSON.stringify(
    f.alg === 'HS256' ? { alg: f.alg, typ: 'JWT' } : { alg: f.alg, kid: 'k1' },
  );
  const body = `"aud":"${AUD}","sub":"s","exp":${NOW_SECONDS + 600}`;
  const strict: [string, () => Promise<string> | string][] = [
    ['iat future', () => f.sign(claims({ iat: NOW_SECONDS + 1 + int(600) }))],
    [
      'exp 1e400',
      () =>
        f.signRawSegments(
          enc(headerJson),
          enc(`{"iss":"${ISS}",${body.replace(/"exp":\d+/, '"exp":1e400')}}`),
        ),
    ],
    ['nbf -1e400', () => f.signRawSegments(enc(headerJson), enc(`{"iss":"${ISS}",${body},"nbf":-1e400}`))],
    ['duplicate iss', () => f.signRawSegments(enc(headerJson), enc(`{"iss":"evil",${body},"iss":"${ISS}"}`))],
    [
      'duplicate escaped iss',
      () => f.signRawSegments(enc(headerJson), enc(`{"iss":"evil",${body},"\\u0069ss":"${ISS}"}`)),
    ],
    [
      'duplicate header',
      () =>
        f.signRawSegments(
          enc(headerJson.replace('{', '{"typ":"x","typ":"JWT",')),
          enc(`{"iss":"${ISS}",${body}}`),
        ),
    ],
    ['b64 true with crit', () => f.sign(claims(), { b64: true, crit: ['b64'] })],
    ['b64 true without crit', () => f.sign(claims(), { b64: true })],
    ['b64 false without crit', () => f.sign(claims(), { b64: false })],
    ['crit unknown', () => f.sign(claims(), { crit: ['x-ext'], 'x-ext': 1 })],
    ['padded payload', () => f.signRawSegments(enc(headerJson), `${enc(`{"iss":"${ISS}",${body}}`)}==`)],
    [
      'standard alphabet',
      () =>
        f.signRawSegments(
          enc(headerJson),
          Buffer.from(`{"iss":"${ISS}",${body},"q":"??>>~~"}`).toString('base64').replace(/=+$/, ''),
        ),
    ],
    [
      'invalid UTF-8',
      () =>
        f.signRawSegments(
          enc(headerJson),
          Buffer.concat([
            Buffer.from(`{"iss":"${ISS}",${body},"x":"`),
            Buffer.from([0xff, 0xfe]),
            Buffer.from('"}'),
          ]).toString('base64url'),
        ),
    ],
  ];
  for (const [kind, make] of strict) {
    for (let i = 0; i < 3; i++) out.push({ token: await make(), kind: `strict: ${kind}` });
  }
  // Mutations of everything so far.
  const pool = out.map((entry) => entry.token);
  const mutate = (token: string): [string, string] => {
    const segments = token.split('.');
    const s = int(segments.length);
    const segment = segments[s] as string;
    switch (int(8)) {
      case 0: {
        if (segment.length === 0) return [token, 'none'];
        const at = int(segment.length);
        const c = pick([...ALPHABET.replace(segment.charAt(at), '')]);
        segments[s] = segment.slice(0, at) + c + segment.slice(at + 1);
        return [segments.join('.'), 'char replaced'];
      }
      case 1: {
        const bytes = Buffer.from(segment, 'base64url');
        if (bytes.length === 0) return [token, 'none'];
        const at = int(bytes.length);
        bytes[at] = (bytes[at] as number) ^ (1 << int(8));
        segments[s] = bytes.toString('base64url');
        return [segments.join('.'), 'bit flipped'];
      }
      case 2:
        return [token.slice(0, int(token.length)), 'truncated'];
      case 3: {
        const other = pick(pool).split('.');
        segments[s] = other[s] ?? '';
        return [segments.join('.'), 'segment swapped'];
      }
      case 4: {
        const at = int(token.length);
        return [token.slice(0, at) + token.slice(at + 1), 'char deleted'];
      }
      case 5: {
        const at = int(token.length + 1);
        return [token.slice(0, at) + pick([...NOISE]) + token.slice(at), 'char inserted'];
      }
      case 6: {
        // Same bytes, non-canonical last character: a lenient decoder reads the same thing.
        const target = segments.length === 3 && canonical(segments[2] as string) ? 2 : s;
        const text = segments[target] as string;
        if (text.length % 4 < 2 || !canonical(text)) return [token, 'none'];
        segments[target] = setTrailingBits(text);
        return [segments.join('.'), 'trailing bits'];
      }
      default: {
        const cut = int(3);
        segments[cut] = '';
        return [segments.join('.'), 'segment emptied'];
      }
    }
  };
  for (const token of pool) {
    for (let m = 0; m < 4; m++) {
      const [mutated, kind] = mutate(token);
      out.push({ token: mutated, kind: `mutation: ${kind}` });
    }
  }
  return out;
}

type Outcome = { ok: true; header: unknown; claims: unknown } | { ok: false; code: string };

async function ours(f: Fixture, token: string): Promise<Outcome> {
  try {
    const result = await f.ours.verify(token);
    return { ok: true, header: { ...result.header }, claims: result.claims };
  } catch (err) {
    assert.ok(err instanceof JwtGateError, `not a JwtGateError for ${JSON.stringify(token)}: ${String(err)}`);
    return { ok: false, code: err.code };
  }
}

async function jose(f: Fixture, token: string): Promise<Outcome> {
  try {
    const result = await jwtVerify(token, f.joseKey, {
      algorithms: [f.alg],
      issuer: ISS,
      audience: AUD,
      currentDate: new Date(NOW_MS),
      requiredClaims: ['exp'], // our providers require exp by default
    });
    return { ok: true, header: result.protectedHeader, claims: result.payload };
  } catch (err) {
    return { ok: false, code: (err as { code?: string }).code ?? String(err) };
  }
}

describe('differential: node:crypto hot path vs jose', () => {
  const algorithms: Algorithm[] = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'];
  for (const [index, alg] of algorithms.entries()) {
    test(`${alg}: agrees with jose on a seeded corpus`, async (t) => {
      const f = await fixture(alg);
      const tokens = await corpus(f, 1000 + index);
      assert.ok(tokens.length >= 300, `only ${tokens.length} tokens`);
      const tally = { bothAccept: 0, bothReject: 0, weAreStricter: 0 };
      const byRule = new Map<string, number>();
      for (const { token, kind } of tokens) {
        const [a, b] = await Promise.all([ours(f, token), jose(f, token)]);
        const where = `${kind}: ${JSON.stringify(token)}`;
        const broken = [...stricterRulesBroken(token)];
        // (4) a token that breaks a stricter rule is never accepted, whatever jose says.
        assert.ok(
          !(a.ok && broken.length > 0),
          `we accepted a token breaking ${broken.join(', ')}: ${where}`,
        );
        if (!b.ok) {
          // (1) jose rejects: so do we.
          assert.equal(a.ok, false, `jose rejected (${b.code}) but we accepted ${where}`);
          tally.bothReject++;
          continue;
        }
        if (a.ok) {
          // (2) both accept: the same header and payload.
          assert.deepEqual(a.claims, b.claims, `payload differs for ${where}`);
          assert.deepEqual(a.header, b.header, `header differs for ${where}`);
          tally.bothAccept++;
          continue;
        }
        // (3) only jose accepts: a documented stricter rule, found independently, with its code.
        assert.ok(
          ALLOWED_DISAGREEMENT_CODES.has(a.code),
          `we rejected with ${a.code}, jose accepted: ${where}`,
        );
        assert.ok(
          broken.length > 0,
          `we rejected with ${a.code} but the token breaks no stricter rule: ${where}`,
        );
        assert.ok(
          broken.some((rule) => STRICTER_RULES[rule] === a.code),
          `code ${a.code} does not match the rules broken (${broken.join(', ')}): ${where}`,
        );
        for (const rule of broken) byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
        tally.weAreStricter++;
        t.diagnostic(`stricter (${a.code}; ${broken.join(', ')}) [${kind}]`);
      }
      t.diagnostic(
        `${tokens.length} tokens: ${tally.bothAccept} accepted by both, ${tally.bothReject} rejected by both, ` +
          `${tally.weAreStricter} rejected only by us (${[...byRule].map(([r, n]) => `${r}: ${n}`).join('; ')})`,
      );
      // The corpus must exercise all three outcomes, or the assertions above prove little.
      assert.ok(tally.bothAccept >= 40, `only ${tally.bothAccept} tokens accepted by both`);
      assert.ok(tally.bothReject >= 200, `only ${tally.bothReject} tokens rejected by both`);
      assert.ok(tally.weAreStricter >= 10, `only ${tally.weAreStricter} stricter rejections`);
      for (const rule of [
        'non-canonical base64url',
        'duplicate member names',
        'crit/b64 header',
        'iat in the future',
        'non-finite NumericDate',
      ] as Rule[]) {
        assert.ok((byRule.get(rule) ?? 0) > 0, `no token exercised "${rule}"`);
      }
    });
  }
});
