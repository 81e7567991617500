import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createVerifier, type Verifier } from '../../src/create-verifier.ts';
import { JwtGateError } from '../../src/errors.ts';
import { discoverJwksUri } from '../../src/keys/discovery.ts';
import type { FetchFunction } from '../../src/keys/fetch-json.ts';
import {
  makeKeyPair,
  NOW_MS,
  signToken,
  startTestServer,
  type TestKeyPair,
  type TestServer,
} from '../helpers/keys.ts';

const AUDIENCE = 'api://test';
let nowMs = NOW_MS;
const servers: TestServer[] = [];
let key: TestKeyPair;
let key2: TestKeyPair;

before(async () => {
  key = await makeKeyPair('ES256', 'disc-1');
  key2 = await makeKeyPair('ES256', 'disc-2');
});

after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function server(): Promise<TestServer> {
  const s = await startTestServer();
  servers.push(s);
  return s;
}

/** A fetch that records every URL asked for, then really fetches it. */
function recordingFetch(): { urls: string[]; fetch: FetchFunction } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (input, init) => {
      urls.push(input);
      return fetch(input, init);
    },
  };
}

function discoveringVerifier(issuer: string, fetchImpl?: FetchFunction, remote = {}): Verifier {
  return createVerifier({
    providers: { x: { issuer, audiences: [AUDIENCE], algorithms: ['ES256'], remote } },
    now: () => nowMs,
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
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

describe('discovery through createVerifier and a local issuer', () => {
  test('OpenID Connect Discovery: the issuer URL alone finds the jwks_uri and a token verifies', async () => {
    nowMs = NOW_MS;
    const s = await server();
    const issuer = s.origin;
    s.routes.set('/.well-known/openid-configuration', {
      body: { issuer, jwks_uri: `${issuer}/protocol/certs`, token_endpoint: `${issuer}/token` },
    });
    s.routes.set('/protocol/certs', { body: { keys: [key.publicJwk] } });
    const verifier = discoveringVerifier(issuer);
    assert.deepEqual(verifier.status().x, { kind: 'discovery', ready: false, keys: 0 });

    const token = await signToken(key.privateKey, { alg: 'ES256', kid: key.kid, iss: issuer, aud: AUDIENCE });
    const result = await verifier.verify(token);
    assert.equal(result.provider, 'x');
    assert.equal(result.claims.iss, issuer);
    assert.equal(s.count('/.well-known/openid-configuration'), 1);
    assert.equal(s.count('/protocol/certs'), 1);
    assert.equal(verifier.status().x?.ready, true);
  });

  test('the metadata is read once; later JWKS refetches reuse the discovered jwks_uri', async () => {
    nowMs = NOW_MS;
    const s = await server();
    const issuer = s.origin;
    s.routes.set('/.well-known/openid-configuration', { body: { issuer, jwks_uri: `${issuer}/jwks` } });
    s.routes.set('/jwks', { body: { keys: [key.publicJwk] } });
    const verifier = discoveringVerifier(issuer);
    await verifier.load();
    s.routes.set('/jwks', { body: { keys: [key.publicJwk, key2.publicJwk] } });
    nowMs += 31_000;
    const token2 = await signToken(key2.privateKey, {
      alg: 'ES256',
      kid: key2.kid,
      iss: issuer,
      aud: AUDIENCE,
    });
    assert.equal((await verifier.verify(token2)).kid, 'disc-2');
    assert.equal(s.count('/jwks'), 2);
    assert.equal(s.count('/.well-known/openid-configuration'), 1);
  });

  test('an issuer with a path: OIDC location under the path (Keycloak style)', async () => {
    nowMs = NOW_MS;
    const s = await server();
    const issuer = `${s.origin}/realms/demo`;
    s.routes.set('/realms/demo/.well-known/openid-configuration', {
      body: { issuer, jwks_uri: `${issuer}/protocol/openid-connect/certs` },
    });
    s.routes.set('/realms/demo/protocol/openid-connect/certs', { body: { keys: [key.publicJwk] } });
    const verifier = discoveringVerifier(issuer);
    const token = await signToken(key.privateKey, { alg: 'ES256', kid: key.kid, iss: issuer, aud: AUDIENCE });
    assert.equal((await verifier.verify(token)).claims.iss, issuer);
    assert.equal(s.count('/.well-known/oauth-authorization-server/realms/demo'), 0);
  });

  test('RFC 8414: an issuer with a path served only at /.well-known/oauth-authorization-server/<path>', async () => {
    nowMs = NOW_MS;
    const s = await server();
    const issuer = `${s.origin}/tenant-a`;
    s.routes.set('/.well-known/oauth-authorization-server/tenant-a', {
      body: { issuer, jwks_uri: `${s.origin}/tenant-a/keys` },
    });
    s.routes.set('/tenant-a/keys', { body: { keys: [key.publicJwk] } });
    const verifier = discoveringVerifier(issuer);
    const token = await signToken(key.privateKey, { alg: 'ES256', kid: key.kid, iss: issuer, aud: AUDIENCE });
    assert.equal((await verifier.verify(token)).claims.iss, issuer);
    assert.deepEqual(s.requests, [
      '/tenant-a/.well-known/openid-configuration',
      '/.well-known/oauth-authorization-server/tenant-a',
      '/tenant-a/keys',
    ]);
  });

  test('metadata naming another issuer, even by a trailing slash, is refused', async () => {
    nowMs = NOW_MS;
    const s = await server();
    s.routes.set('/jwks', { body: { keys: [key.publicJwk] } });
    s.routes.set('/.well-known/openid-configuration', {
      body: { issuer: `${s.origin}/`, jwks_uri: `${s.origin}/jwks` },
    });
    const verifier = discoveringVerifier(s.origin);
    const token = await signToken(key.privateKey, {
      alg: 'ES256',
      kid: key.kid,
      iss: s.origin,
      aud: AUDIENCE,
    });
    const err = await rejectsWith(verifier.verify(token), 'ERR_KEY_SOURCE_UNAVAILABLE');
    assert.match(String(err.detail), /names issuer .*, not /);
    assert.equal(s.count('/jwks'), 0, 'keys were fetched from an unverified jwks_uri');
    assert.match(String(verifier.status().x?.lastError), /names issuer/);
  });

  test('a configured issuer with a trailing slash does not accept metadata without it', async () => {
    nowMs = NOW_MS;
    const s = await server();
    const configured = `${s.origin}/`;
    s.routes.set('/jwks', { body: { keys: [key.publicJwk] } });
    s.routes.set('/.well-known/openid-configuration', {
      body: { issuer: s.origin, jwks_uri: `${s.origin}/jwks` },
    });
    const verifier = discoveringVerifier(configured);
    const token = await signToken(key.privateKey, {
      alg: 'ES256',
      kid: key.kid,
      iss: configured,
      aud: AUDIENCE,
    });
    await rejectsWith(verifier.verify(token), 'ERR_KEY_SOURCE_UNAVAILABLE');
    assert.equal(s.count('/jwks'), 0);
  });

  test('a discovered jwks_uri over plain http to a non-loopback host is refused and never fetched', async () => {
    nowMs = NOW_MS;
    const s = await server();
    s.routes.set('/.well-known/openid-configuration', {
      body: { issuer: s.origin, jwks_uri: 'http://keys.example.com/jwks' },
    });
    const recorder = recordingFetch();
    const verifier = discoveringVerifier(s.origin, recorder.fetch);
    const token = await signToken(key.privateKey, {
      alg: 'ES256',
      kid: key.kid,
      iss: s.origin,
      aud: AUDIENCE,
    });
    const err = await rejectsWith(verifier.verify(token), 'ERR_KEY_SOURCE_UNAVAILABLE');
    assert.match(String(err.detail), /discovered jwks_uri uses plain http to a non-loopback host/);
    assert.deepEqual(recorder.urls, [`${s.origin}/.well-known/openid-configuration`]);
  });

  test('no metadata anywhere: unavailable, both locations named; retried after the backoff', async () => {
    nowMs = NOW_MS;
    const s = await server();
    const issuer = `${s.origin}/t`;
    const verifier = discoveringVerifier(issuer, undefined, { failureBackoffMs: 1000 });
    const token = await signToken(key.privateKey, { alg: 'ES256', kid: key.kid, iss: issuer, aud: AUDIENCE });
    const err = await rejectsWith(verifier.verify(token), 'ERR_KEY_SOURCE_UNAVAILABLE');
    assert.match(String(err.detail), /no issuer metadata found/);
    assert.match(String(err.detail), /\/t\/\.well-known\/openid-configuration answered HTTP 404/);
    assert.match(String(err.detail), /\/\.well-known\/oauth-authorization-server\/t answered HTTP 404/);
    assert.equal(s.requests.length, 2);

    // The issuer comes up: after the backoff discovery is attempted again and succeeds.
    s.routes.set('/t/.well-known/openid-configuration', { body: { issuer, jwks_uri: `${issuer}/jwks` } });
    s.routes.set('/t/jwks', { body: { keys: [key.publicJwk] } });
    await rejectsWith(verifier.verify(token), 'ERR_KEY_SOURCE_UNAVAILABLE');
    assert.equal(s.requests.length, 2);
    nowMs += 1000;
    assert.equal((await verifier.verify(token)).kid, key.kid);
  });
});

describe('discoverJwksUri', () => {
  const stub =
    (documents: Record<string, unknown>): FetchFunction =>
    async (input) =>
      input in documents
        ? new Response(JSON.stringify(documents[input]), { status: 200 })
        : new Response('not found', { status: 404 });
  const opts = (fetchImpl: FetchFunction, allowHttp = false) => ({
    timeoutMs: 1000,
    maxBytes: 10_000,
    allowHttp,
    fetch: fetchImpl,
  });

  test('returns the jwks_uri of matching metadata', async () => {
    const f = stub({
      'https://id.example/.well-known/openid-configuration': {
        issuer: 'https://id.example',
        jwks_uri: 'https://id.example/keys',
      },
    });
    assert.equal(await discoverJwksUri('https://id.example', opts(f)), 'https://id.example/keys');
  });

  test('refuses metadata without a string jwks_uri', async () => {
    const f = stub({
      'https://id.example/.well-known/openid-configuration': { issuer: 'https://id.example' },
    });
    await assert.rejects(discoverJwksUri('https://id.example', opts(f)), /has no jwks_uri/);
  });

  test('refuses a jwks_uri with credentials or another scheme', async () => {
    const meta = (jwks_uri: string) =>
      stub({
        'https://id.example/.well-known/openid-configuration': { issuer: 'https://id.example', jwks_uri },
      });
    await assert.rejects(
      discoverJwksUri('https://id.example', opts(meta('https://u:p@id.example/keys'))),
      /discovered jwks_uri must not contain credentials/,
    );
    await assert.rejects(
      discoverJwksUri('https://id.example', opts(meta('file:///etc/keys.json'), true)),
      /discovered jwks_uri must be an https URL/,
    );
  });

  test('plain http to a remote host is accepted only with allowHttp', async () => {
    const f = stub({
      'https://id.example/.well-known/openid-configuration': {
        issuer: 'https://id.example',
        jwks_uri: 'http://keys.example/jwks',
      },
    });
    await assert.rejects(discoverJwksUri('https://id.example', opts(f)), /plain http/);
    assert.equal(await discoverJwksUri('https://id.example', opts(f, true)), 'http://keys.example/jwks');
  });

  test('a metadata document that is not an object names issuer undefined and is refused', async () => {
    const f = stub({ 'https://id.example/.well-known/openid-configuration': [1, 2, 3] });
    await assert.rejects(discoverJwksUri('https://id.example', opts(f)), /names issuer undefined/);
  });
});

describe('discovery options at creation', () => {
  const make =
    (issuer: string, remote = {}) =>
    () =>
      createVerifier({ providers: { x: { issuer, audiences: [AUDIENCE], algorithms: ['ES256'], remote } } });

  test('an issuer over plain http to a remote host cannot be used for discovery', () => {
    assert.throws(make('http://id.example.com'), (err: JwtGateError) => {
      assert.equal(err.code, 'ERR_OPTIONS_INVALID');
      assert.match(err.message, /options\.providers\.x\.issuer: .*discovery.*plain http/);
      return true;
    });
    assert.doesNotThrow(make('http://id.example.com', { allowHttp: true }));
  });

  test('an issuer that is not a URL cannot be used for discovery', () => {
    assert.throws(make('jwtgo.io'), /options\.providers\.x\.issuer: .*is not a valid URL/);
  });
});
