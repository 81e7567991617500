import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { JWTPayload } from 'jose';
import { createVerifier, type RevocationSubject, type VerifierOptions } from '../src/create-verifier.ts';
import { JwtGateError } from '../src/errors.ts';
import type { FetchEvent } from '../src/keys/remote-jwks.ts';
import type { ProviderOptions } from '../src/provider.ts';
import {
  type JwksServer,
  makeKeyPair,
  NOW_MS,
  NOW_SECONDS,
  SECRET,
  secretBytes,
  signToken,
  startJwksServer,
  type TestKeyPair,
} from './helpers/keys.ts';

const ISS_A = 'https://a.example';
const ISS_B = 'https://b.example';
const AUD = 'api://test';
const SECRET_B = 'another-secret-for-provider-b-that-is-long-enough-0123456789abcdef-xyz';

let nowMs = NOW_MS;
const now = () => nowMs;
const servers: JwksServer[] = [];
let tmp: string;
let es: TestKeyPair;
let es2: TestKeyPair;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'jwtgate-verifier-'));
  es = await makeKeyPair('ES256', 'es-1');
  es2 = await makeKeyPair('ES256', 'es-2');
});

after(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await Promise.all(servers.map((s) => s.close()));
});

/** Provider A (HS256 with SECRET); `extra` may hold deliberately wrong options. */
const providerA = (extra: Record<string, unknown> = {}): ProviderOptions =>
  ({
    issuer: ISS_A,
    audiences: [AUD],
    algorithms: ['HS256'],
    secret: SECRET,
    ...extra,
  }) as ProviderOptions;

/** HS256 token of provider A (or any issuer), valid at NOW_SECONDS. */
function hsToken(
  claims: JWTPayload = {},
  options: { iss?: string; secret?: string; exp?: number | null } = {},
) {
  return signToken(secretBytes(options.secret ?? SECRET), {
    alg: 'HS256',
    iss: options.iss ?? ISS_A,
    aud: AUD,
    claims,
    ...(options.exp === undefined ? {} : { exp: options.exp }),
  });
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<JwtGateError> {
  let caught: unknown;
  await assert.rejects(promise, (err) => {
    caught = err;
    return err instanceof JwtGateError && err.code === code;
  });
  return caught as JwtGateError;
}

/** createVerifier must throw ERR_OPTIONS_INVALID with a message matching `message`. */
function invalid(options: unknown, message: RegExp): void {
  assert.throws(
    () => createVerifier(options as VerifierOptions),
    (err: unknown) => {
      assert.ok(err instanceof JwtGateError, `not a JwtGateError: ${String(err)}`);
      assert.equal(err.code, 'ERR_OPTIONS_INVALID');
      assert.match(err.message, message);
      return true;
    },
  );
}

const one = (provider: object, top: object = {}): VerifierOptions =>
  ({ providers: { a: provider }, ...top }) as VerifierOptions;

describe('option validation at creation', () => {
  test('options and providers must be objects; at least one provider', () => {
    invalid(undefined, /options: expected an object, got nothing/);
    invalid(null, /options: expected an object, got null/);
    invalid({}, /options\.providers: expected an object, got nothing/);
    invalid({ providers: [] }, /options\.providers: expected an object, got an array/);
    invalid({ providers: {} }, /options\.providers: expected at least one provider/);
    invalid({ providers: { a: 'x' } }, /options\.providers\.a: expected an object, got "x"/);
  });

  test('unknown options are refused, naming the path and the known names', () => {
    invalid(
      { ...one(providerA()), cahce: {} },
      /options\.cahce: unknown option \(expected one of providers, .*cache/,
    );
    invalid(one({ ...providerA(), audience: AUD }), /options\.providers\.a\.audience: unknown option/);
    invalid(
      one(providerA({ remote: { retries: 3 } })),
      /options\.providers\.a\.remote\.retries: unknown option/,
    );
    invalid({ ...one(providerA()), cache: { size: 10 } }, /options\.cache\.size: unknown option/);
  });

  test('issuer and audiences are required', () => {
    invalid(
      one({ ...providerA(), issuer: undefined }),
      /options\.providers\.a\.issuer: expected a non-empty string/,
    );
    invalid(
      one({ ...providerA(), issuer: '' }),
      /options\.providers\.a\.issuer: expected a non-empty string/,
    );
    invalid(
      one(providerA({ audiences: [] })),
      /options\.providers\.a\.audiences: expected at least one entry/,
    );
    invalid(
      one({ ...providerA(), audiences: AUD }),
      /options\.providers\.a\.audiences: expected a list of strings/,
    );
    invalid(one({ ...providerA(), audiences: [AUD, 7] }), /options\.providers\.a\.audiences\[1\]: expected/);
  });

  test('algorithms: non-empty, known, never none', () => {
    invalid(
      one(providerA({ algorithms: [] })),
      /options\.providers\.a\.algorithms: expected at least one entry/,
    );
    for (const none of ['none', 'None', 'NONE']) {
      invalid(
        one({ ...providerA(), algorithms: [none] }),
        new RegExp(`options\\.providers\\.a\\.algorithms\\[0\\]: expected one of HS256, .*got "${none}"`),
      );
    }
    invalid(one({ ...providerA(), algorithms: ['HS256', 'HS257'] }), /algorithms\[1\]: .*got "HS257"/);
  });

  test('HS algorithms need a secret, and a secret only verifies HS algorithms', () => {
    invalid(
      one({ issuer: ISS_A, audiences: [AUD], algorithms: ['HS256'], jwksUri: 'https://a.example/jwks' }),
      /options\.providers\.a\.algorithms: HS256 needs a shared secret \(option secret\)/,
    );
    invalid(
      one({ issuer: ISS_A, audiences: [AUD], algorithms: ['ES256', 'HS512'] }),
      /options\.providers\.a\.algorithms: HS512 needs a shared secret/,
    );
    invalid(
      one(providerA({ algorithms: ['RS256'] })),
      /options\.providers\.a\.algorithms: a secret verifies only HS256, HS384 or HS512/,
    );
    invalid(
      one(providerA({ algorithms: ['HS256', 'RS256'] })),
      /a secret verifies only HS256, HS384 or HS512/,
    );
  });

  test('an empty secret is refused with a message saying how to set one', () => {
    invalid(
      one(providerA({ secret: '' })),
      /options\.providers\.a\.secret: the secret from value is empty; use at least 32 random bytes, for example: export SECRET_KEY="\$\(openssl rand -base64 48\)"/,
    );
    invalid(
      one(providerA({ secret: { env: 'JWT_SECRET' } }), { env: {} }),
      /options\.providers\.a\.secret: the secret from environment variable JWT_SECRET is empty; .*openssl rand/,
    );
  });

  test('a secret shorter than the hash is refused: 32 bytes for HS256, 64 for HS512', () => {
    invalid(
      one(providerA({ secret: 'x'.repeat(31) })),
      /secret: the secret from value has 31 bytes; HS256 needs at least 32/,
    );
    assert.doesNotThrow(() => createVerifier(one(providerA({ secret: 'x'.repeat(32) }))));
    invalid(
      one(providerA({ algorithms: ['HS512'], secret: 'x'.repeat(63) })),
      /has 63 bytes; HS512 needs at least 64/,
    );
    assert.doesNotThrow(() =>
      createVerifier(one(providerA({ algorithms: ['HS512'], secret: 'x'.repeat(64) }))),
    );
    invalid(
      one(providerA({ algorithms: ['HS256', 'HS512'], secret: 'x'.repeat(40) })),
      /has 40 bytes; HS256\/HS512 needs at least 64/,
    );
    // Bytes are counted after decoding: 32 base64 characters are only 24 bytes.
    invalid(one(providerA({ secret: { value: 'A'.repeat(32), encoding: 'base64' } })), /has 24 bytes/);
  });

  test('a secret that looks like a key is refused', () => {
    invalid(
      one(providerA({ secret: `-----BEGIN PUBLIC KEY-----\n${'A'.repeat(64)}\n-----END PUBLIC KEY-----` })),
      /secret: the secret from value looks like a key/,
    );
  });

  test('a malformed secret option is a named error, not a crash', () => {
    invalid(
      one({ ...providerA(), secret: null }),
      /options\.providers\.a\.secret: expected an object, got null/,
    );
    invalid(one({ ...providerA(), secret: 42 }), /options\.providers\.a\.secret: expected an object/);
    invalid(
      one({ ...providerA(), secret: { value: 12345 } }),
      /options\.providers\.a\.secret\.value: expected a string/,
    );
    invalid(
      one({ ...providerA(), secret: { value: SECRET, encoding: 'latin9' } }),
      /options\.providers\.a\.secret\.encoding: expected one of utf8, base64, base64url, hex/,
    );
    invalid(
      one({ ...providerA(), secret: { vaule: SECRET } }),
      /options\.providers\.a\.secret\.vaule: unknown option/,
    );
    invalid(
      one(providerA({ secret: { value: SECRET, env: 'X' } })),
      /secret: give exactly one of value, env or file/,
    );
    invalid(one(providerA({ secret: {} })), /secret: give exactly one of value, env or file/);
  });

  test('a secret from the environment verifies tokens', async () => {
    const verifier = createVerifier({
      providers: { a: providerA({ secret: { env: 'MY_JWT_SECRET' } }) },
      env: { MY_JWT_SECRET: SECRET },
      now,
    });
    nowMs = NOW_MS;
    assert.equal((await verifier.verify(await hsToken())).provider, 'a');
    await rejectsWith(verifier.verify(await hsToken({}, { secret: SECRET_B })), 'ERR_SIGNATURE_INVALID');
  });

  test('a secret from a file (trailing newline dropped) verifies tokens; a missing file is named', async () => {
    const file = join(tmp, 'secret.txt');
    writeFileSync(file, `${SECRET}\n`);
    const verifier = createVerifier({ providers: { a: providerA({ secret: { file } }) }, now });
    nowMs = NOW_MS;
    assert.equal((await verifier.verify(await hsToken())).provider, 'a');
    invalid(
      one(providerA({ secret: { file: join(tmp, 'missing.txt') } })),
      /options\.providers\.a\.secret: cannot read secret file .*missing\.txt \(ENOENT\)/,
    );
  });

  test('a base64 secret is decoded before use', async () => {
    const raw = Buffer.from(SECRET).toString('base64');
    const verifier = createVerifier({
      providers: { a: providerA({ secret: { value: raw, encoding: 'base64' } }) },
      now,
    });
    nowMs = NOW_MS;
    assert.equal((await verifier.verify(await hsToken())).provider, 'a');
  });

  test('two key sources at once are refused', () => {
    invalid(
      one(providerA({ jwksUri: 'https://a.example/jwks' })),
      /options\.providers\.a: give only one key source, not secret and jwksUri/,
    );
    invalid(
      one({
        issuer: ISS_A,
        audiences: [AUD],
        algorithms: ['ES256'],
        keys: { jwks: { keys: [] } },
        jwksUri: 'https://a.example/jwks',
      }),
      /give only one key source, not keys and jwksUri/,
    );
  });

  test('two providers with the same issuer are refused', () => {
    invalid(
      { providers: { a: providerA(), b: providerA({ secret: SECRET_B }) } },
      /options\.providers\.b\.issuer: issuer already used by provider a/,
    );
  });

  test('a bad jwksUri is refused with the reason', () => {
    const jwks = (jwksUri: unknown, remote = {}) =>
      one({ issuer: ISS_A, audiences: [AUD], algorithms: ['ES256'], jwksUri, remote });
    invalid(jwks('not a url'), /options\.providers\.a\.jwksUri: is not a valid URL/);
    invalid(jwks(''), /options\.providers\.a\.jwksUri: expected a non-empty string/);
    invalid(jwks(42), /options\.providers\.a\.jwksUri: expected a non-empty string/);
    invalid(
      jwks('http://keys.example.com/jwks'),
      /jwksUri: uses plain http to a non-loopback host \(set allowHttp/,
    );
    invalid(jwks('https://user:pw@keys.example.com/jwks'), /jwksUri: must not contain credentials/);
    invalid(jwks('ftp://keys.example.com/jwks'), /jwksUri: must be an https URL/);
    assert.doesNotThrow(() => createVerifier(jwks('http://keys.example.com/jwks', { allowHttp: true })));
    assert.doesNotThrow(() => createVerifier(jwks('http://127.0.0.1:9/jwks')));
  });

  test('numeric and boolean options are range- and type-checked', () => {
    invalid(
      { ...one(providerA()), maxTokenBytes: 8 },
      /options\.maxTokenBytes: expected a number >= 16, got number/,
    );
    invalid(
      { ...one(providerA()), cache: { maxEntries: 0 } },
      /options\.cache\.maxEntries: expected a number >= 1/,
    );
    invalid(
      { ...one(providerA()), cache: { maxBytes: 100 } },
      /options\.cache\.maxBytes: expected a number >= 1024/,
    );
    invalid({ ...one(providerA()), cache: 'yes' }, /options\.cache: expected an object, got "yes"/);
    invalid(
      one(providerA({ remote: { timeoutMs: 0 } })),
      /options\.providers\.a\.remote\.timeoutMs: expected a number >= 1/,
    );
    invalid(
      one({ ...providerA(), remote: { allowHttp: 'yes' } }),
      /remote\.allowHttp: expected true or false/,
    );
    invalid(
      one({ ...providerA(), leewaySeconds: -1 }),
      /options\.providers\.a\.leewaySeconds: expected a number >= 0/,
    );
    invalid(one({ ...providerA(), leewaySeconds: Number.NaN }), /leewaySeconds: expected a number >= 0/);
    invalid(
      one({ ...providerA(), requireExp: 'no' }),
      /options\.providers\.a\.requireExp: expected true or false/,
    );
    invalid(
      one({ ...providerA(), audienceMode: 'some' }),
      /audienceMode: expected one of any, all, got "some"/,
    );
  });

  test('hooks must be functions', () => {
    invalid({ ...one(providerA()), now: 1_800_000_000_000 }, /options\.now: expected a function, got number/);
    invalid({ ...one(providerA()), isRevoked: true }, /options\.isRevoked: expected a function/);
    invalid({ ...one(providerA()), fetch: 'fetch' }, /options\.fetch: expected a function/);
    invalid({ ...one(providerA()), onKeyFetch: {} }, /options\.onKeyFetch: expected a function/);
    invalid({ ...one(providerA()), env: 'PROD' }, /options\.env: expected an object/);
  });

  test('an invalid rolesClaim is refused', () => {
    invalid(
      one(providerA({ rolesClaim: 'realm_access..roles' })),
      /options\.providers\.a\.rolesClaim: invalid claim path/,
    );
    invalid(one(providerA({ rolesClaim: [] })), /options\.providers\.a\.rolesClaim: invalid claim path/);
  });
});

describe('provider selection', () => {
  const verifier = () =>
    createVerifier({
      providers: {
        a: providerA(),
        b: providerA({ issuer: ISS_B, secret: SECRET_B, algorithms: ['HS256', 'HS512'] }),
      },
      now,
    });

  test('the token iss picks the provider and its keys', async () => {
    nowMs = NOW_MS;
    const v = verifier();
    assert.deepEqual(v.providers, ['a', 'b']);
    assert.ok(Object.isFrozen(v.providers));
    assert.equal((await v.verify(await hsToken())).provider, 'a');
    const b = await v.verify(await hsToken({}, { iss: ISS_B, secret: SECRET_B }));
    assert.equal(b.provider, 'b');
    assert.equal(b.alg, 'HS256');
  });

  test('an unknown, missing or non-string iss is ERR_ISSUER_MISMATCH', async () => {
    nowMs = NOW_MS;
    const v = verifier();
    await rejectsWith(v.verify(await hsToken({}, { iss: 'https://c.example' })), 'ERR_ISSUER_MISMATCH');
    await rejectsWith(v.verify(await hsToken({}, { iss: `${ISS_A}/` })), 'ERR_ISSUER_MISMATCH');
    await rejectsWith(
      v.verify(await hsToken({ iss: ['https://a.example'] } as never)),
      'ERR_ISSUER_MISMATCH',
    );
  });

  test('keys never cross providers: A-issued token signed with B secret fails', async () => {
    nowMs = NOW_MS;
    await rejectsWith(verifier().verify(await hsToken({}, { secret: SECRET_B })), 'ERR_SIGNATURE_INVALID');
  });

  test('the providers call option restricts who may accept a token', async () => {
    nowMs = NOW_MS;
    const v = verifier();
    const tokenA = await hsToken();
    await rejectsWith(v.verify(tokenA, { providers: ['b'] }), 'ERR_ISSUER_MISMATCH');
    await rejectsWith(v.verify(tokenA, { providers: [] }), 'ERR_ISSUER_MISMATCH');
    assert.equal((await v.verify(tokenA, { providers: ['a'] })).provider, 'a');
    assert.equal((await v.verify(tokenA, { providers: ['b', 'a'] })).provider, 'a');
  });

  test('the algorithm must be one the provider allows', async () => {
    nowMs = NOW_MS;
    const token = await signToken(secretBytes(), { alg: 'HS512', iss: ISS_A, aud: AUD });
    await rejectsWith(verifier().verify(token), 'ERR_ALG_NOT_ALLOWED');
  });

  test('verify never throws synchronously', async () => {
    const v = verifier();
    let promise: Promise<unknown> | undefined;
    assert.doesNotThrow(() => {
      promise = v.verify(42 as never);
    });
    await rejectsWith(promise as Promise<unknown>, 'ERR_TOKEN_MALFORMED');
    await rejectsWith(v.verify('a.b'), 'ERR_TOKEN_MALFORMED');
  });
});

describe('compileRequirement per provider', () => {
  const v = () =>
    createVerifier({
      providers: {
        kc: providerA({ rolesClaim: 'realm_access.roles' }),
        plain: providerA({ issuer: ISS_B, secret: SECRET_B }),
        ns: providerA({ issuer: 'https://ns.example', rolesClaim: 'https://example.com/roles' }),
      },
      now,
    });
  const claims = {
    realm_access: { roles: ['admin'] },
    roles: ['viewer'],
    'https://example.com/roles': ['auditor'],
    scope: 'read write',
  };

  test('reads roles where each provider keeps them', () => {
    const verifier = v();
    verifier.compileRequirement('kc', { rolesAny: ['admin'] })(claims);
    assert.throws(() => verifier.compileRequirement('kc', { rolesAny: ['viewer'] })(claims), {
      code: 'ERR_INSUFFICIENT_ROLE',
    });
    verifier.compileRequirement('plain', { rolesAny: ['viewer'] })(claims);
    assert.throws(() => verifier.compileRequirement('plain', { rolesAny: ['admin'] })(claims), {
      code: 'ERR_INSUFFICIENT_ROLE',
    });
    verifier.compileRequirement('ns', { rolesAll: ['auditor'], scopesAll: ['read'] })(claims);
    assert.throws(() => verifier.compileRequirement('ns', { scopesAny: ['delete'] })(claims), {
      code: 'ERR_INSUFFICIENT_SCOPE',
      status: 403,
    });
  });

  test('works on the claims of a verified token', async () => {
    nowMs = NOW_MS;
    const verifier = v();
    const { claims: verified } = await verifier.verify(await hsToken({ realm_access: { roles: ['admin'] } }));
    verifier.compileRequirement('kc', { rolesAll: ['admin'] })(verified);
    assert.throws(() => verifier.compileRequirement('kc', { rolesAll: ['admin', 'root'] })(verified), {
      code: 'ERR_INSUFFICIENT_ROLE',
    });
  });

  test('an unknown provider name is an options error', () => {
    assert.throws(
      () => v().compileRequirement('nope', { rolesAny: ['x'] }),
      (err: JwtGateError) => {
        assert.equal(err.code, 'ERR_OPTIONS_INVALID');
        assert.match(err.message, /provider: unknown provider nope/);
        return true;
      },
    );
  });
});

describe('verified-token cache', () => {
  const cached = (extra: Partial<VerifierOptions> = {}, provider: Partial<ProviderOptions> = {}) =>
    createVerifier({ providers: { a: providerA(provider) }, now, cache: {}, ...extra });

  test('a hit returns the same frozen result without verifying again; no cache means fresh results', async () => {
    nowMs = NOW_MS;
    let clockReads = 0;
    const verifier = cached({
      now: () => {
        clockReads++;
        return nowMs;
      },
    });
    const token = await hsToken({ sub: 'alice' });
    const first = await verifier.verify(token);
    const second = await verifier.verify(token);
    assert.equal(second, first);
    assert.ok(Object.isFrozen(first));
    assert.ok(Object.isFrozen(first.claims));
    // The hit read the clock once (expiry check), the miss also for the claim checks.
    const readsAfterTwo = clockReads;
    await verifier.verify(token);
    assert.equal(clockReads - readsAfterTwo, 1);

    const uncached = createVerifier({ providers: { a: providerA() }, now });
    const u1 = await uncached.verify(token);
    const u2 = await uncached.verify(token);
    assert.notEqual(u1, u2);
    assert.deepEqual(u1, u2);
  });

  test('a tampered copy of a cached token is not a hit', async () => {
    nowMs = NOW_MS;
    const verifier = cached();
    const token = await hsToken();
    await verifier.verify(token);
    const [h, p, s] = token.split('.');
    const flipped = `${s?.[0] === 'A' ? 'B' : 'A'}${s?.slice(1)}`;
    await rejectsWith(verifier.verify(`${h}.${p}.${flipped}`), 'ERR_SIGNATURE_INVALID');
  });

  test('bounded by maxEntries, oldest first', async () => {
    nowMs = NOW_MS;
    const verifier = cached({ cache: { maxEntries: 2 } });
    const [t1, t2, t3] = await Promise.all([1, 2, 3].map((i) => hsToken({ sub: `user-${i}` })));
    const r1 = await verifier.verify(t1 as string);
    const r2 = await verifier.verify(t2 as string);
    const r3 = await verifier.verify(t3 as string);
    assert.equal(await verifier.verify(t3 as string), r3);
    assert.equal(await verifier.verify(t2 as string), r2);
    assert.notEqual(await verifier.verify(t1 as string), r1, 't1 should have been evicted');
  });

  test('bounded by maxBytes', async () => {
    nowMs = NOW_MS;
    const [t1, t2, t3] = (await Promise.all([1, 2, 3].map((i) => hsToken({ sub: `user-${i}` })))) as string[];
    assert.equal(t1?.length, t3?.length);
    const entryBytes = (t1 as string).length * 3 + 256;
    const verifier = cached({ cache: { maxBytes: Math.max(1024, 2 * entryBytes) } });
    const r1 = await verifier.verify(t1 as string);
    const r2 = await verifier.verify(t2 as string);
    const r3 = await verifier.verify(t3 as string);
    assert.equal(await verifier.verify(t3 as string), r3);
    assert.equal(await verifier.verify(t2 as string), r2);
    assert.notEqual(await verifier.verify(t1 as string), r1, 't1 should have been evicted by size');

    // A token too big for the whole cache still verifies; it is just never cached.
    const tiny = cached({ cache: { maxBytes: 1024 } });
    const big = await hsToken({ pad: 'p'.repeat(400) });
    const b1 = await tiny.verify(big);
    assert.notEqual(await tiny.verify(big), b1);
  });

  test('an entry never outlives the token exp (nor its leeway)', async () => {
    nowMs = NOW_MS;
    const exp = NOW_SECONDS + 300;
    const verifier = cached();
    const token = await hsToken({}, { exp });
    const first = await verifier.verify(token);
    nowMs = exp * 1000 - 1;
    assert.equal(await verifier.verify(token), first);
    nowMs = exp * 1000;
    await rejectsWith(verifier.verify(token), 'ERR_TOKEN_EXPIRED');

    nowMs = NOW_MS;
    const lenient = cached({}, { leewaySeconds: 5 });
    const again = await lenient.verify(token);
    nowMs = (exp + 5) * 1000 - 1;
    assert.equal(await lenient.verify(token), again);
    nowMs = (exp + 5) * 1000;
    await rejectsWith(lenient.verify(token), 'ERR_TOKEN_EXPIRED');
  });

  test('an entry never outlives maxTokenAgeSeconds, also with a fractional iat', async () => {
    for (const iat of [NOW_SECONDS - 10, NOW_SECONDS - 0.5]) {
      nowMs = NOW_MS;
      const verifier = cached({}, { maxTokenAgeSeconds: 100 });
      const fresh = createVerifier({ providers: { a: providerA({ maxTokenAgeSeconds: 100 }) }, now });
      const token = await hsToken({ iat });
      await verifier.verify(token);
      // Walk the clock in 100 ms steps: the cached verifier must agree with an uncached one.
      for (let t = NOW_MS + 85_000; t <= NOW_MS + 102_000; t += 100) {
        nowMs = t;
        const expected = await fresh.verify(token).then(
          () => 'ok',
          (err: JwtGateError) => err.code,
        );
        const actual = await verifier.verify(token).then(
          () => 'ok',
          (err: JwtGateError) => err.code,
        );
        assert.equal(actual, expected, `iat ${iat}, at +${t - NOW_MS} ms`);
      }
      await rejectsWith(verifier.verify(token), 'ERR_TOKEN_TOO_OLD');
    }
  });

  test('a token without exp (requireExp false) is verified every time, never cached', async () => {
    nowMs = NOW_MS;
    const verifier = cached({}, { requireExp: false });
    const token = await hsToken({}, { exp: null });
    const first = await verifier.verify(token);
    assert.notEqual(await verifier.verify(token), first);
  });

  test('the providers call option applies to cache hits too', async () => {
    nowMs = NOW_MS;
    const verifier = createVerifier({
      providers: { a: providerA(), b: providerA({ issuer: ISS_B, secret: SECRET_B }) },
      cache: {},
      now,
    });
    const token = await hsToken();
    const first = await verifier.verify(token);
    await rejectsWith(verifier.verify(token, { providers: ['b'] }), 'ERR_ISSUER_MISMATCH');
    assert.equal(await verifier.verify(token, { providers: ['a'] }), first);
  });

  test('isRevoked denies with ERR_TOKEN_REVOKED on the fresh and the cached path', async () => {
    nowMs = NOW_MS;
    const revoked = new Set<string>();
    const seen: RevocationSubject[] = [];
    const verifier = cached({
      isRevoked: (claims) => {
        seen.push(claims);
        return typeof claims.jti === 'string' && revoked.has(claims.jti);
      },
    });
    // Fresh path.
    revoked.add('j-fresh');
    const freshErr = await rejectsWith(
      verifier.verify(await hsToken({ jti: 'j-fresh' })),
      'ERR_TOKEN_REVOKED',
    );
    assert.equal(freshErr.status, 401);

    // Cached path: cache it, revoke, deny; un-revoke and the very same cached result comes back,
    // so the entry was there while it was denied.
    const token = await hsToken({ jti: 'j-1', sub: 'bob', client_id: 'cli' });
    const first = await verifier.verify(token);
    assert.equal(await verifier.verify(token), first);
    revoked.add('j-1');
    await rejectsWith(verifier.verify(token), 'ERR_TOKEN_REVOKED');
    await rejectsWith(verifier.verify(token), 'ERR_TOKEN_REVOKED');
    revoked.delete('j-1');
    assert.equal(await verifier.verify(token), first);
    const last = seen.at(-1);
    assert.equal(last?.jti, 'j-1');
    assert.equal(last?.sub, 'bob');
    assert.equal(last?.client_id, 'cli');
  });

  test('forgetJti drops the cached entries of that token id', async () => {
    nowMs = NOW_MS;
    const verifier = cached();
    const token = await hsToken({ jti: 'j-forget' });
    const other = await hsToken({ jti: 'j-keep' });
    const first = await verifier.verify(token);
    const kept = await verifier.verify(other);
    verifier.forgetJti('j-unknown');
    assert.equal(await verifier.verify(token), first);
    verifier.forgetJti('j-forget');
    const again = await verifier.verify(token);
    assert.notEqual(again, first);
    assert.deepEqual(again, first);
    assert.equal(await verifier.verify(other), kept);
  });

  test('forgetJti drops every token sharing the jti (e.g. two issuers)', async () => {
    nowMs = NOW_MS;
    const verifier = createVerifier({
      providers: { a: providerA(), b: providerA({ issuer: ISS_B, secret: SECRET_B }) },
      cache: {},
      now,
    });
    const tokenA = await hsToken({ jti: 'shared' });
    const tokenB = await hsToken({ jti: 'shared' }, { iss: ISS_B, secret: SECRET_B });
    const ra = await verifier.verify(tokenA);
    const rb = await verifier.verify(tokenB);
    verifier.forgetJti('shared');
    assert.notEqual(await verifier.verify(tokenA), ra);
    assert.notEqual(await verifier.verify(tokenB), rb);
  });

  test('an entry is dropped when its key leaves the JWKS', async () => {
    nowMs = NOW_MS;
    const server = await startJwksServer([es.publicJwk], { 'cache-control': 'max-age=60' });
    servers.push(server);
    const events: FetchEvent[] = [];
    let onFetch: (() => void) | undefined;
    const refetched = () =>
      new Promise<void>((resolve) => {
        onFetch = resolve;
      });
    const verifier = createVerifier({
      providers: {
        r: { issuer: ISS_A, audiences: [AUD], algorithms: ['ES256'], jwksUri: server.jwksUri },
      },
      cache: {},
      now,
      onKeyFetch: (_provider, event) => {
        events.push(event);
        onFetch?.();
      },
    });
    const token = await signToken(es.privateKey, { alg: 'ES256', kid: es.kid, iss: ISS_A, aud: AUD });
    const first = await verifier.verify(token);
    assert.equal(await verifier.verify(token), first);

    // Re-published unchanged alongside a new key: the cached entry stays valid.
    server.jwks = {
      body: { keys: [es.publicJwk, es2.publicJwk] },
      headers: { 'cache-control': 'max-age=60' },
    };
    nowMs += 60_000;
    let done = refetched();
    assert.equal(await verifier.verify(token), first);
    await done;
    assert.equal(verifier.status().r?.keys, 2);
    assert.equal(await verifier.verify(token), first);

    // Rotated out: after the refetch the cached token is rejected.
    server.jwks = { body: { keys: [es2.publicJwk] }, headers: { 'cache-control': 'max-age=60' } };
    nowMs += 60_000;
    done = refetched();
    await verifier.verify(token); // served from the still-current set; kicks off the refetch
    await done;
    assert.equal(events.length, 3);
    assert.ok(events.every((e) => e.ok));
    await rejectsWith(verifier.verify(token), 'ERR_KEY_NOT_FOUND');
    await rejectsWith(verifier.verify(token), 'ERR_KEY_NOT_FOUND');
  });
});

describe('load() and status()', () => {
  test('report each provider readiness; status() never fetches, load() waits', async () => {
    nowMs = NOW_MS;
    const server = await startJwksServer([es.publicJwk, es2.publicJwk]);
    servers.push(server);
    const verifier = createVerifier({
      providers: {
        sec: providerA(),
        fixed: {
          issuer: ISS_B,
          audiences: [AUD],
          algorithms: ['ES256'],
          keys: { jwks: { keys: [es.publicJwk] } },
        },
        remote: {
          issuer: 'https://r.example',
          audiences: [AUD],
          algorithms: ['ES256'],
          jwksUri: server.jwksUri,
        },
      },
      now,
    });
    assert.deepEqual(verifier.status(), {
      sec: { kind: 'secret', ready: true, keys: 1 },
      fixed: { kind: 'static', ready: true, keys: 1 },
      remote: { kind: 'jwks_uri', ready: false, keys: 0 },
    });
    assert.equal(server.jwksRequests, 0);
    const loaded = await verifier.load();
    assert.deepEqual(loaded.remote, { kind: 'jwks_uri', ready: true, keys: 2, lastFetchAt: NOW_MS });
    assert.deepEqual(verifier.status(), loaded);
    assert.equal(server.jwksRequests, 1);
    await verifier.load();
    assert.equal(server.jwksRequests, 1);
  });

  test('load() resolves (never rejects) when a source fails, with the error in its state', async () => {
    nowMs = NOW_MS;
    const server = await startJwksServer([es.publicJwk]);
    servers.push(server);
    server.jwks = { status: 502, body: 'bad gateway' };
    const verifier = createVerifier({
      providers: {
        sec: providerA(),
        remote: {
          issuer: 'https://r.example',
          audiences: [AUD],
          algorithms: ['ES256'],
          jwksUri: server.jwksUri,
        },
      },
      now,
    });
    const states = await verifier.load();
    assert.equal(states.sec?.ready, true);
    assert.equal(states.remote?.ready, false);
    assert.equal(states.remote?.lastError, 'answered HTTP 502');
    assert.equal(states.remote?.lastFetchAt, undefined);
  });
});

describe('verifyNow: the same checks without a promise when none is needed', () => {
  const cached = () => createVerifier({ providers: { a: providerA() }, now, cache: {} });
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return (err as JwtGateError).code;
    }
    return 'ok';
  };

  test('keys at hand: the result itself; a cache hit the same frozen result as verify()', async () => {
    nowMs = NOW_MS;
    const verifier = cached();
    const token = await hsToken({ sub: 'now-user' });
    const first = verifier.verifyNow(token);
    assert.ok(!(first instanceof Promise));
    assert.equal((first as { claims: JWTPayload }).claims.sub, 'now-user');
    assert.equal(verifier.verifyNow(token), await verifier.verify(token));
    assert.deepEqual(verifier.stats(), { hits: 2, misses: 1, entries: 1 });
  });

  test('refusals are thrown synchronously with the code verify() rejects with', async () => {
    nowMs = NOW_MS;
    const verifier = cached();
    assert.equal(
      codeOf(() => verifier.verifyNow('not.a.token')),
      'ERR_TOKEN_MALFORMED',
    );
    const forged = await hsToken({}, { secret: SECRET_B });
    assert.equal(
      codeOf(() => verifier.verifyNow(forged)),
      'ERR_SIGNATURE_INVALID',
    );
    await rejectsWith(verifier.verify(forged), 'ERR_SIGNATURE_INVALID');
  });

  test('a cached token is re-checked on every hit: expiry and revocation', async () => {
    nowMs = NOW_MS;
    const revoked = new Set<string>();
    const verifier = createVerifier({
      providers: { a: providerA() },
      now,
      cache: {},
      isRevoked: (c) => typeof c.jti === 'string' && revoked.has(c.jti),
    });
    const exp = NOW_SECONDS + 60;
    const token = await hsToken({ jti: 'now-1' }, { exp });
    assert.equal(
      codeOf(() => verifier.verifyNow(token)),
      'ok',
    );
    assert.equal(
      codeOf(() => verifier.verifyNow(token)),
      'ok',
    );
    revoked.add('now-1');
    assert.equal(
      codeOf(() => verifier.verifyNow(token)),
      'ERR_TOKEN_REVOKED',
    );
    revoked.delete('now-1');
    nowMs = exp * 1000;
    assert.equal(
      codeOf(() => verifier.verifyNow(token)),
      'ERR_TOKEN_EXPIRED',
    );
    nowMs = NOW_MS;
  });
});
