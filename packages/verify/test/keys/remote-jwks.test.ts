import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createVerifier, type Verifier, type VerifierOptions } from '../../src/create-verifier.ts';
import { JwtGateError } from '../../src/errors.ts';
import { toErrorResponse } from '../../src/http-response.ts';
import type { FetchFunction } from '../../src/keys/fetch-json.ts';
import type { RemoteOptions } from '../../src/keys/remote-jwks.ts';
import { type FetchEvent, REMOTE_DEFAULTS, RemoteJwksSource, readJwks } from '../../src/keys/remote-jwks.ts';
import {
  b64,
  type JwksServer,
  makeKeyPair,
  NOW_MS,
  NOW_SECONDS,
  signToken,
  startJwksServer,
  type TestKeyPair,
} from '../helpers/keys.ts';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'api://test';
const LONG_CACHE = { 'cache-control': 'max-age=3600' };

let nowMs = NOW_MS;
const servers: JwksServer[] = [];
let k1: TestKeyPair;
let k2: TestKeyPair;
let stranger: TestKeyPair;
let rsa: TestKeyPair;

before(async () => {
  k1 = await makeKeyPair('ES256', 'k1');
  k2 = await makeKeyPair('ES256', 'k2');
  stranger = await makeKeyPair('ES256', 'stranger');
  rsa = await makeKeyPair('RS256', 'rsa1');
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(keys: unknown[], headers: Record<string, string> = LONG_CACHE): Promise<JwksServer> {
  const server = await startJwksServer(keys as never[], headers);
  servers.push(server);
  return server;
}

/** Records onKeyFetch events; `next()` resolves with the next one (call it before triggering). */
function fetchRecorder() {
  const events: { provider: string; event: FetchEvent }[] = [];
  let waiting: ((event: FetchEvent) => void)[] = [];
  return {
    events,
    onKeyFetch(provider: string, event: FetchEvent) {
      events.push({ provider, event });
      const resolvers = waiting;
      waiting = [];
      for (const resolve of resolvers) resolve(event);
    },
    next(): Promise<FetchEvent> {
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

function makeVerifier(
  server: JwksServer,
  remote: Partial<RemoteOptions> = {},
  extra: Partial<VerifierOptions> = {},
): Verifier {
  return createVerifier({
    providers: {
      idp: {
        issuer: ISSUER,
        audiences: [AUDIENCE],
        algorithms: ['ES256', 'RS256'],
        jwksUri: server.jwksUri,
        remote,
      },
    },
    now: () => nowMs,
    ...extra,
  });
}

const tokenFor = (key: TestKeyPair, kid = key.kid) => signToken(key.privateKey, { alg: key.alg, kid });

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<JwtGateError> {
  let caught: unknown;
  await assert.rejects(promise, (err) => {
    caught = err;
    return err instanceof JwtGateError && err.code === code;
  });
  return caught as JwtGateError;
}

describe('readJwks', () => {
  test('keeps signing keys and skips enc keys, short RSA, unsupported kty and bad members', () => {
    const shortRsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    const x25519 = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
    const { keys, index } = readJwks(
      {
        keys: [
          { ...k1.publicJwk, use: 'enc', kid: 'enc' },
          { ...shortRsa, kid: 'short' },
          { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'oct' },
          { kty: 'XYZ', kid: 'weird' },
          { ...x25519, kid: 'x25519' },
          { ...k2.publicJwk, key_ops: ['encrypt'], kid: 'ops' },
          { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA', kid: 'bad-point' },
          { ...k1.publicJwk, kid: 42 },
          'not-an-object',
          null,
          k1.publicJwk,
          rsa.publicJwk,
        ],
      },
      new Map(),
    );
    assert.deepEqual(
      keys.map((k) => k.kid),
      ['k1', 'rsa1'],
    );
    assert.equal(index.size, 2);
  });

  test('a JWKS without a usable key, or without a keys array, is a failure', () => {
    assert.throws(
      () => readJwks({ keys: [{ ...k1.publicJwk, use: 'enc' }] }, new Map()),
      /no usable signing key/,
    );
    assert.throws(() => readJwks({ keys: [] }, new Map()), /no usable signing key/);
    assert.throws(() => readJwks({ keys: 'nope' }, new Map()), /not a JWKS/);
    assert.throws(() => readJwks([k1.publicJwk], new Map()), /not a JWKS/);
    assert.throws(() => readJwks(null, new Map()), /not a JWKS/);
  });

  test('an unchanged JWK keeps its TrustedKey object; duplicates count once', () => {
    const first = readJwks({ keys: [k1.publicJwk, k1.publicJwk, k2.publicJwk] }, new Map());
    assert.equal(first.keys.length, 2);
    const second = readJwks({ keys: [k2.publicJwk, rsa.publicJwk] }, first.index);
    const oldK2 = first.keys.find((k) => k.kid === 'k2');
    assert.ok(oldK2);
    assert.equal(
      second.keys.find((k) => k.kid === 'k2'),
      oldK2,
    );
    assert.equal(second.index.size, 2);
  });
});

describe('RemoteJwksSource directly', () => {
  test('concurrent load() calls share one fetch; describe() reports the state', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk, k2.publicJwk]);
    const source = new RemoteJwksSource(async () => server.jwksUri, 'jwks_uri', REMOTE_DEFAULTS, {
      now: () => nowMs,
      fetch: (input, init) => fetch(input, init),
    });
    assert.equal(source.current(), undefined);
    assert.deepEqual(source.describe(), { kind: 'jwks_uri', ready: false, keys: 0 });
    const sets = await Promise.all(Array.from({ length: 50 }, () => source.load()));
    assert.equal(server.jwksRequests, 1);
    assert.ok(sets.every((s) => s === sets[0]));
    assert.equal(source.current(), sets[0]);
    assert.deepEqual(source.describe(), { kind: 'jwks_uri', ready: true, keys: 2, lastFetchAt: NOW_MS });
  });

  test('refreshForUnknownKid refetches once, is refused within the cooldown, and coalesces after it', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk]);
    const source = new RemoteJwksSource(
      async () => server.jwksUri,
      'jwks_uri',
      { ...REMOTE_DEFAULTS, cooldownMs: 10_000 },
      { now: () => nowMs, fetch: (input, init) => fetch(input, init) },
    );
    const first = await source.load();
    // The initial load does not start the cooldown: the first unknown kid may refetch at once.
    const again = await source.refreshForUnknownKid();
    assert.ok(again !== undefined);
    assert.equal(server.jwksRequests, 2);
    nowMs += 9_999;
    assert.equal(await source.refreshForUnknownKid(), undefined);
    assert.equal(server.jwksRequests, 2);
    nowMs += 1;
    server.jwks = { body: { keys: [k1.publicJwk, k2.publicJwk] }, headers: LONG_CACHE };
    const fresh = await Promise.all(Array.from({ length: 20 }, () => source.refreshForUnknownKid()));
    assert.equal(server.jwksRequests, 3);
    assert.ok(fresh[0] && fresh[0] !== first);
    assert.ok(fresh.every((s) => s === fresh[0]));
    assert.equal(fresh[0]?.size, 2);
  });

  test('a failed refetch for an unknown kid is ERR_KEY_SOURCE_UNAVAILABLE, and keys past maxStaleMs are not trusted', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk]);
    const source = new RemoteJwksSource(
      async () => server.jwksUri,
      'jwks_uri',
      { ...REMOTE_DEFAULTS, maxStaleMs: 60_000 },
      { now: () => nowMs, fetch: (input, init) => fetch(input, init) },
    );
    const keys = await source.load();
    server.jwks = { status: 500 };
    await assert.rejects(source.refreshForUnknownKid(), { code: 'ERR_KEY_SOURCE_UNAVAILABLE' });
    nowMs += 59_000;
    assert.equal(source.current(), keys, 'within maxStaleMs the last good keys serve');
    nowMs += 5_000;
    assert.equal(source.current(), undefined, 'past maxStaleMs they do not');
    await assert.rejects(source.load(), { code: 'ERR_KEY_SOURCE_UNAVAILABLE' });
  });

  test('a throwing onFetch hook does not turn a successful fetch into a failure', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk]);
    let calls = 0;
    const source = new RemoteJwksSource(async () => server.jwksUri, 'jwks_uri', REMOTE_DEFAULTS, {
      now: () => nowMs,
      fetch: (input, init) => fetch(input, init),
      onFetch: () => {
        calls++;
        throw new Error('metrics exploded');
      },
    });
    const keys = await source.load();
    assert.equal(keys.size, 1);
    assert.equal(calls, 1);
    assert.equal(source.describe().lastError, undefined);
  });
});

describe('remote JWKS through createVerifier and a local server', () => {
  test('(a) a rotated-in key is picked up by the first token naming its kid, with one extra fetch', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk]);
    const verifier = makeVerifier(server, { cooldownMs: 30_000 });
    assert.equal((await verifier.verify(await tokenFor(k1))).kid, 'k1');
    assert.equal(server.jwksRequests, 1);

    server.jwks = { body: { keys: [k1.publicJwk, k2.publicJwk] }, headers: LONG_CACHE };
    const token2 = await tokenFor(k2);
    // The first token naming the new kid refetches at once, even right after the initial load.
    nowMs += 1;
    const result = await verifier.verify(token2);
    assert.equal(result.kid, 'k2');
    assert.equal(result.claims.iss, ISSUER);
    assert.equal(server.jwksRequests, 2);

    // Both keys now verify without further fetches.
    await verifier.verify(token2);
    await verifier.verify(await tokenFor(k1));
    assert.equal(server.jwksRequests, 2);
    assert.equal(verifier.status().idp?.keys, 2);
  });

  test('(a) a key removed from the JWKS stops verifying once the set is refetched', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk, k2.publicJwk]);
    const verifier = makeVerifier(server);
    const token1 = await tokenFor(k1);
    await verifier.verify(token1);
    server.jwks = { body: { keys: [k2.publicJwk, rsa.publicJwk] }, headers: LONG_CACHE };
    nowMs += 31_000;
    // An RS256 token with the new kid triggers the refetch; afterwards k1 is gone.
    assert.equal((await verifier.verify(await tokenFor(rsa))).kid, 'rsa1');
    assert.equal(server.jwksRequests, 2);
    await rejectsWith(verifier.verify(token1), 'ERR_KEY_NOT_FOUND');
  });

  test('(b) 1,000 concurrent tokens with random unknown kids cause at most one fetch per cooldown', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk]);
    const verifier = makeVerifier(server, { cooldownMs: 30_000 });
    await verifier.load();
    assert.equal(server.jwksRequests, 1);

    const unknown = await Promise.all(
      Array.from({ length: 1000 }, () => tokenFor(stranger, randomBytes(8).toString('hex'))),
    );
    const good = await tokenFor(k1);
    const storm = async () => {
      const results = await Promise.allSettled([
        ...unknown.map((t) => verifier.verify(t)),
        verifier.verify(good),
      ]);
      const rejected = results.slice(0, -1);
      assert.ok(
        rejected.every(
          (r) => r.status === 'rejected' && (r.reason as JwtGateError).code === 'ERR_KEY_NOT_FOUND',
        ),
      );
      assert.equal(results.at(-1)?.status, 'fulfilled', 'a good token failed during the storm');
    };

    // Right after the initial load: the whole storm shares exactly one refetch.
    await storm();
    assert.equal(server.jwksRequests, 2);

    // Within the cooldown of that refetch: no fetch at all.
    nowMs += 15_000;
    await storm();
    assert.equal(server.jwksRequests, 2);

    // Past the cooldown: again exactly one.
    nowMs += 15_000;
    await storm();
    assert.equal(server.jwksRequests, 3);

    // And storms fetch nothing until that cooldown has passed too.
    nowMs += 29_999;
    await storm();
    assert.equal(server.jwksRequests, 3);

    nowMs += 1;
    await storm();
    assert.equal(server.jwksRequests, 4);
  });

  test('(c) a failing endpoint leaves cached keys working, also after max-age (stale served)', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk], { 'cache-control': 'max-age=60' });
    const recorder = fetchRecorder();
    const verifier = makeVerifier(server, { failureBackoffMs: 2000 }, { onKeyFetch: recorder.onKeyFetch });
    const token = await tokenFor(k1);
    await verifier.verify(token);
    assert.equal(server.jwksRequests, 1);

    server.jwks = { status: 500, body: { error: 'down' } };
    nowMs += 60_000;
    let failed = recorder.next();
    assert.equal((await verifier.verify(token)).kid, 'k1', 'stale keys were not served');
    let event = await failed;
    assert.equal(event.ok, false);
    assert.match(String(event.error), /HTTP 500/);
    assert.equal(server.jwksRequests, 2);

    await verifier.verify(token);
    const state = verifier.status().idp;
    assert.equal(state?.ready, true);
    assert.equal(state?.keys, 1);
    assert.match(String(state?.lastError), /HTTP 500/);
    assert.equal(state?.lastFetchAt, NOW_MS);

    // Within the failure backoff, no new attempt.
    nowMs += 1999;
    await verifier.verify(token);
    assert.equal(server.jwksRequests, 2);

    // A JWKS with no usable key is a failure too: the old keys stay.
    server.jwks = { body: { keys: [{ ...k1.publicJwk, use: 'enc' }] } };
    nowMs += 1;
    failed = recorder.next();
    await verifier.verify(token);
    event = await failed;
    assert.equal(event.error, 'JWKS holds no usable signing key');
    assert.equal(server.jwksRequests, 3);

    // The endpoint disappears altogether.
    await server.close();
    nowMs += 2000;
    failed = recorder.next();
    await verifier.verify(token);
    event = await failed;
    assert.match(String(event.error), /could not connect/);
    assert.equal((await verifier.verify(token)).kid, 'k1');
    assert.equal(verifier.status().idp?.ready, true);
  });

  test('(d) never-fetched keys and a failing endpoint: ERR_KEY_SOURCE_UNAVAILABLE (503), no fetch storm', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk]);
    server.jwks = { status: 500, body: { error: 'down' } };
    const verifier = makeVerifier(server, { failureBackoffMs: 2000 });
    const token = await tokenFor(k1);

    const first = await Promise.allSettled(Array.from({ length: 200 }, () => verifier.verify(token)));
    assert.equal(server.jwksRequests, 1);
    for (const r of first) {
      assert.equal(r.status, 'rejected');
      assert.equal((r as PromiseRejectedResult).reason.code, 'ERR_KEY_SOURCE_UNAVAILABLE');
    }
    const err = (first[0] as PromiseRejectedResult).reason as JwtGateError;
    assert.match(String(err.detail), /HTTP 500/);
    const response = toErrorResponse(err);
    assert.equal(response.status, 503);
    assert.equal(response.body.error, 'ERR_KEY_SOURCE_UNAVAILABLE');
    assert.equal(response.headers['retry-after'], '5');
    assert.equal(response.headers['www-authenticate'], undefined);

    // Inside the backoff: rejected at once, no request.
    const second = await Promise.allSettled(Array.from({ length: 200 }, () => verifier.verify(token)));
    assert.ok(second.every((r) => r.status === 'rejected' && r.reason.code === 'ERR_KEY_SOURCE_UNAVAILABLE'));
    nowMs += 1999;
    await rejectsWith(verifier.verify(token), 'ERR_KEY_SOURCE_UNAVAILABLE');
    assert.deepEqual(verifier.status().idp?.ready, false);
    assert.equal((await verifier.load()).idp?.ready, false);
    assert.equal(server.jwksRequests, 1);

    // After the backoff: one more attempt.
    nowMs += 1;
    await rejectsWith(verifier.verify(token), 'ERR_KEY_SOURCE_UNAVAILABLE');
    assert.equal(server.jwksRequests, 2);

    // The endpoint recovers: the next attempt after the backoff succeeds.
    server.jwks = { body: { keys: [k1.publicJwk] }, headers: LONG_CACHE };
    nowMs += 2000;
    assert.equal((await verifier.verify(token)).kid, 'k1');
    assert.equal(server.jwksRequests, 3);
    assert.equal(verifier.status().idp?.ready, true);
    assert.equal(verifier.status().idp?.lastError, undefined);
  });

  test('(d) a closed endpoint before any fetch is ERR_KEY_SOURCE_UNAVAILABLE too', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk]);
    await server.close();
    const verifier = makeVerifier(server);
    const err = await rejectsWith(verifier.verify(await tokenFor(k1)), 'ERR_KEY_SOURCE_UNAVAILABLE');
    assert.match(String(err.detail), /could not connect/);
    assert.equal(toErrorResponse(err).status, 503);
  });

  test('(e) max-age is honoured: no refetch within it, one background refetch after it', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk], { 'cache-control': 'public, max-age=120' });
    const recorder = fetchRecorder();
    const verifier = makeVerifier(server, {}, { onKeyFetch: recorder.onKeyFetch });
    const token = await tokenFor(k1);
    await verifier.verify(token);
    nowMs = NOW_MS + 119_999;
    for (let i = 0; i < 5; i++) await verifier.verify(token);
    assert.equal(server.jwksRequests, 1);

    nowMs = NOW_MS + 120_000;
    const refetched = recorder.next();
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
    assert.ok(results.every((r) => r.kid === 'k1'));
    assert.equal((await refetched).ok, true);
    assert.equal(server.jwksRequests, 2);

    // Fresh again for another 120 s from the refetch.
    nowMs = NOW_MS + 239_999;
    await verifier.verify(token);
    assert.equal(server.jwksRequests, 2);
  });

  for (const [label, headers, freshMs] of [
    ['max-age below minAgeMs is raised to it', { 'cache-control': 'max-age=1' }, 5_000],
    ['no-store counts as minAgeMs', { 'cache-control': 'no-store' }, 5_000],
    ['max-age above maxAgeMs is capped', { 'cache-control': 'max-age=999999' }, 60_000],
    ['no Cache-Control uses cacheMaxAgeMs', {}, 20_000],
    ['max-age within bounds is used', { 'cache-control': 'max-age=7' }, 7_000],
  ] as const) {
    test(`(e) ${label}`, async () => {
      nowMs = NOW_MS;
      const server = await serve([k1.publicJwk], headers);
      const recorder = fetchRecorder();
      const verifier = makeVerifier(
        server,
        { minAgeMs: 5_000, maxAgeMs: 60_000, cacheMaxAgeMs: 20_000 },
        { onKeyFetch: recorder.onKeyFetch },
      );
      const token = await tokenFor(k1);
      await verifier.verify(token);
      nowMs = NOW_MS + freshMs - 1;
      await verifier.verify(token);
      assert.equal(server.jwksRequests, 1);
      nowMs = NOW_MS + freshMs;
      const refetched = recorder.next();
      await verifier.verify(token);
      await refetched;
      assert.equal(server.jwksRequests, 2);
    });
  }

  test('(f) unusable keys in the served JWKS are skipped; tokens naming them are refused', async () => {
    nowMs = NOW_MS;
    const shortPair = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const server = await serve([
      { ...stranger.publicJwk, use: 'enc' },
      { ...shortPair.publicKey.export({ format: 'jwk' }), kid: 'short' },
      { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'oct' },
      { kty: 'XYZ', kid: 'weird' },
      k1.publicJwk,
    ]);
    const verifier = makeVerifier(server);
    await verifier.load();
    assert.equal(verifier.status().idp?.keys, 1);
    assert.equal((await verifier.verify(await tokenFor(k1))).kid, 'k1');

    // Signed by the key the server marked use=enc.
    await rejectsWith(verifier.verify(await tokenFor(stranger)), 'ERR_KEY_NOT_FOUND');

    // RS256 by the 1024-bit key (jose refuses to sign with it, so sign by hand).
    const header = b64({ alg: 'RS256', kid: 'short' });
    const payload = b64({ iss: ISSUER, aud: AUDIENCE, exp: NOW_SECONDS + 300 });
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), shortPair.privateKey);
    await rejectsWith(
      verifier.verify(`${header}.${payload}.${signature.toString('base64url')}`),
      'ERR_KEY_NOT_FOUND',
    );
  });

  test('(f) a served JWKS with no usable key is a failure', async () => {
    nowMs = NOW_MS;
    const server = await serve([
      { ...k1.publicJwk, use: 'enc' },
      { kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'oct' },
    ]);
    const verifier = makeVerifier(server);
    const err = await rejectsWith(verifier.verify(await tokenFor(k1)), 'ERR_KEY_SOURCE_UNAVAILABLE');
    assert.match(String(err.detail), /no usable signing key/);
    assert.equal(verifier.status().idp?.ready, false);
    assert.match(String(verifier.status().idp?.lastError), /no usable signing key/);
  });

  test('(f) a served document that is not a JWKS, or too large, is a failure', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk]);
    server.jwks = { body: { issuer: ISSUER } };
    const verifier = makeVerifier(server, { failureBackoffMs: 0, maxBytes: 2048 });
    const token = await tokenFor(k1);
    assert.match(
      String((await rejectsWith(verifier.verify(token), 'ERR_KEY_SOURCE_UNAVAILABLE')).detail),
      /not a JWKS/,
    );
    server.jwks = { body: { keys: [k1.publicJwk], pad: 'x'.repeat(4096) } };
    assert.match(
      String((await rejectsWith(verifier.verify(token), 'ERR_KEY_SOURCE_UNAVAILABLE')).detail),
      /larger than 2048 bytes/,
    );
    server.jwks = { body: { keys: [k1.publicJwk] } };
    assert.equal((await verifier.verify(token)).kid, 'k1');
  });

  test('(g) onKeyFetch reports every fetch with provider, url, outcome, key count and duration', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk, rsa.publicJwk]);
    const recorder = fetchRecorder();
    const clockDuringFetch: FetchFunction = async (input, init) => {
      nowMs += 25; // the injected clock moves while the request is under way
      return fetch(input, init);
    };
    const verifier = makeVerifier(
      server,
      { failureBackoffMs: 1000 },
      {
        onKeyFetch: recorder.onKeyFetch,
        fetch: clockDuringFetch,
      },
    );
    await verifier.load();
    assert.deepEqual(recorder.events, [
      { provider: 'idp', event: { url: server.jwksUri, ok: true, keys: 2, durationMs: 25 } },
    ]);

    server.jwks = { status: 503, body: '' };
    nowMs += 31_000;
    // The refetch for the unknown kid failed: the kid may be valid, so this is unavailability (503).
    await rejectsWith(verifier.verify(await tokenFor(k2)), 'ERR_KEY_SOURCE_UNAVAILABLE');
    assert.equal(recorder.events.length, 2);
    assert.deepEqual(recorder.events[1], {
      provider: 'idp',
      event: { url: server.jwksUri, ok: false, error: 'answered HTTP 503', durationMs: 25 },
    });
  });
});

describe('verifyNow with remote keys', () => {
  test('a cached token whose key left the JWKS is verified afresh (and refused), not served from the cache', async () => {
    nowMs = NOW_MS;
    const server = await serve([k1.publicJwk, k2.publicJwk]);
    const verifier = makeVerifier(server, {}, { cache: {} });
    const token1 = await tokenFor(k1);
    await verifier.verify(token1);
    const hit = verifier.verifyNow(token1);
    assert.ok(!(hit instanceof Promise), 'a hit with its key still published needs no promise');
    assert.equal(hit.kid, 'k1');
    server.jwks = { body: { keys: [k2.publicJwk, rsa.publicJwk] }, headers: LONG_CACHE };
    nowMs += 31_000;
    assert.equal((await verifier.verify(await tokenFor(rsa))).kid, 'rsa1');
    await rejectsWith(
      Promise.resolve().then(() => verifier.verifyNow(token1)),
      'ERR_KEY_NOT_FOUND',
    );
  });
});
