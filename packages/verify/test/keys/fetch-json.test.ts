import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { checkFetchableUrl, type FetchFunction, fetchJson } from '../../src/keys/fetch-json.ts';
import { startTestServer, type TestServer } from '../helpers/keys.ts';

const seenHeaders: Record<string, string | string[] | undefined>[] = [];
const fetchImpl: FetchFunction = (input, init) => fetch(input, init);
const options = (extra: { timeoutMs?: number; maxBytes?: number } = {}) => ({
  timeoutMs: extra.timeoutMs ?? 2000,
  maxBytes: extra.maxBytes ?? 1024,
  fetch: fetchImpl,
});

let server: TestServer;

before(async () => {
  server = await startTestServer({
    '/ok': (req) => {
      seenHeaders.push(req.headers);
      return { body: { hello: 'world' } };
    },
    // Accepts the request and never answers.
    '/hang': () => undefined,
    // Sends headers and half a body, then stalls.
    '/stall-body': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"keys":');
      return undefined;
    },
    '/declared-large': (_req, res) => {
      const body = JSON.stringify({ pad: 'x'.repeat(5000) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.end(body);
      return undefined;
    },
    // No content-length: chunked transfer, 10 x 500 bytes.
    '/chunked-large': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"pad":"');
      for (let i = 0; i < 10; i++) res.write('y'.repeat(500));
      res.end('"}');
      return undefined;
    },
    '/chunked-small': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":');
      res.write('[1,2,');
      res.end('3]}');
      return undefined;
    },
    '/exactly-limit': { body: `{"p":"${'z'.repeat(1024 - 8)}"}` },
    '/server-error': { status: 500, body: { error: 'boom' } },
    '/created': { status: 201, body: { keys: [] } },
    '/html': { headers: { 'content-type': 'text/html' }, body: '<html>not json</html>' },
    '/empty': { body: '' },
    '/redirect': { status: 302, headers: { location: '/ok' }, body: '' },
    '/redirect-301': { status: 301, headers: { location: '/ok' }, body: '' },
  });
});

after(async () => {
  await server.close();
});

describe('fetchJson', () => {
  test('returns the parsed JSON of a 200 answer and sends a JSON accept header', async () => {
    const { json, maxAgeSeconds } = await fetchJson(`${server.origin}/ok`, options());
    assert.deepEqual(json, { hello: 'world' });
    assert.equal(maxAgeSeconds, undefined);
    assert.match(String(seenHeaders.at(-1)?.accept), /application\/json/);
  });

  test('a server that never answers fails quickly with a timeout', async () => {
    const started = Date.now();
    await assert.rejects(
      fetchJson(`${server.origin}/hang`, options({ timeoutMs: 100 })),
      /timed out after 100 ms/,
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 90, `gave up after ${elapsed} ms, before the deadline`);
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  });

  test('a body that stalls midway also hits the deadline', async () => {
    const started = Date.now();
    await assert.rejects(
      fetchJson(`${server.origin}/stall-body`, options({ timeoutMs: 100 })),
      /timed out after 100 ms/,
    );
    assert.ok(Date.now() - started < 2000);
  });

  test('a declared content-length over the limit is refused', async () => {
    await assert.rejects(
      fetchJson(`${server.origin}/declared-large`, options({ maxBytes: 1024 })),
      /response larger than 1024 bytes/,
    );
  });

  test('a chunked body growing over the limit is refused while reading', async () => {
    await assert.rejects(
      fetchJson(`${server.origin}/chunked-large`, options({ maxBytes: 1024 })),
      /response larger than 1024 bytes/,
    );
  });

  test('a chunked body under the limit is assembled', async () => {
    const { json } = await fetchJson(`${server.origin}/chunked-small`, options());
    assert.deepEqual(json, { a: [1, 2, 3] });
  });

  test('a body of exactly maxBytes is accepted, one byte less of limit is not', async () => {
    const { json } = await fetchJson(`${server.origin}/exactly-limit`, options({ maxBytes: 1024 }));
    assert.equal((json as { p: string }).p.length, 1016);
    await assert.rejects(
      fetchJson(`${server.origin}/exactly-limit`, options({ maxBytes: 1023 })),
      /response larger than 1023 bytes/,
    );
  });

  test('any status other than 200 is refused with the status', async () => {
    await assert.rejects(fetchJson(`${server.origin}/server-error`, options()), /answered HTTP 500/);
    await assert.rejects(fetchJson(`${server.origin}/created`, options()), /answered HTTP 201/);
    await assert.rejects(fetchJson(`${server.origin}/nowhere`, options()), /answered HTTP 404/);
  });

  test('a body that is not JSON is refused', async () => {
    await assert.rejects(fetchJson(`${server.origin}/html`, options()), /response is not JSON/);
    await assert.rejects(fetchJson(`${server.origin}/empty`, options()), /response is not JSON/);
  });

  test('redirects are refused and never followed', async () => {
    const before = server.count('/ok');
    await assert.rejects(fetchJson(`${server.origin}/redirect`, options()), /redirect/);
    await assert.rejects(fetchJson(`${server.origin}/redirect-301`, options()), /redirect/);
    assert.equal(server.count('/ok'), before, 'the redirect target was requested');
  });

  test('a refused connection is reported as such', async () => {
    const closed = await startTestServer();
    const origin = closed.origin;
    await closed.close();
    await assert.rejects(fetchJson(`${origin}/ok`, options()), /could not connect \(ECONNREFUSED\)/);
  });

  test('passes the configured fetch the URL, a deadline signal and redirect: error', async () => {
    const calls: { input: string; init: RequestInit }[] = [];
    const recording: FetchFunction = async (input, init) => {
      calls.push({ input, init });
      return new Response('{"x":1}', { status: 200 });
    };
    const { json } = await fetchJson('https://keys.example/jwks', {
      timeoutMs: 50,
      maxBytes: 100,
      fetch: recording,
    });
    assert.deepEqual(json, { x: 1 });
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.input, 'https://keys.example/jwks');
    assert.equal(calls[0]?.init.redirect, 'error');
    assert.ok(calls[0]?.init.signal instanceof AbortSignal);
  });
});

describe('Cache-Control max-age', () => {
  async function maxAgeFor(cacheControl: string | undefined): Promise<number | undefined> {
    const headers = cacheControl === undefined ? undefined : { 'cache-control': cacheControl };
    const stub: FetchFunction = async () => new Response('{}', { status: 200, headers });
    return (await fetchJson('https://keys.example/jwks', { timeoutMs: 1000, maxBytes: 100, fetch: stub }))
      .maxAgeSeconds;
  }

  test('reads max-age among other directives, case-insensitively', async () => {
    assert.equal(await maxAgeFor('max-age=120'), 120);
    assert.equal(await maxAgeFor('public, max-age=3600, must-revalidate'), 3600);
    assert.equal(await maxAgeFor('MAX-AGE=60'), 60);
    assert.equal(await maxAgeFor('max-age=0'), 0);
  });

  test('no-store and no-cache mean 0', async () => {
    assert.equal(await maxAgeFor('no-store'), 0);
    assert.equal(await maxAgeFor('no-cache'), 0);
    assert.equal(await maxAgeFor('max-age=600, no-cache'), 0);
  });

  test('absent, s-maxage only or malformed max-age mean undefined', async () => {
    assert.equal(await maxAgeFor(undefined), undefined);
    assert.equal(await maxAgeFor('public'), undefined);
    assert.equal(await maxAgeFor('s-maxage=300'), undefined);
    assert.equal(await maxAgeFor('max-age=abc'), undefined);
    assert.equal(await maxAgeFor('max-age=-5'), undefined);
  });

  test('is read from a real server response', async () => {
    server.routes.set('/cached', { headers: { 'cache-control': 'public, max-age=90' }, body: { keys: [] } });
    const { maxAgeSeconds } = await fetchJson(`${server.origin}/cached`, options());
    assert.equal(maxAgeSeconds, 90);
  });
});

describe('checkFetchableUrl', () => {
  test('https is accepted anywhere', () => {
    assert.equal(checkFetchableUrl('https://id.example.com/.well-known/jwks.json', false), undefined);
    assert.equal(checkFetchableUrl('https://10.0.0.1:8443/keys', false), undefined);
  });

  test('plain http to loopback is accepted', () => {
    assert.equal(checkFetchableUrl('http://127.0.0.1:8080/jwks', false), undefined);
    assert.equal(checkFetchableUrl('http://127.1.2.3/jwks', false), undefined);
    assert.equal(checkFetchableUrl('http://localhost:3000/jwks', false), undefined);
    assert.equal(checkFetchableUrl('http://LOCALHOST/jwks', false), undefined);
    assert.equal(checkFetchableUrl('http://[::1]:3000/jwks', false), undefined);
  });

  test('plain http to any other host is refused unless allowHttp', () => {
    for (const url of [
      'http://id.example.com/jwks',
      'http://10.0.0.1/jwks',
      'http://localhost.evil.example/jwks',
      'http://127.0.0.1.nip.io/jwks',
      'http://[::2]/jwks',
    ]) {
      assert.match(
        String(checkFetchableUrl(url, false)),
        /plain http to a non-loopback host.*allowHttp/,
        url,
      );
      assert.equal(checkFetchableUrl(url, true), undefined, url);
    }
  });

  test('credentials in the URL are refused, even over https or with allowHttp', () => {
    assert.equal(
      checkFetchableUrl('https://user:pass@id.example.com/jwks', false),
      'must not contain credentials',
    );
    assert.equal(
      checkFetchableUrl('https://user@id.example.com/jwks', false),
      'must not contain credentials',
    );
    assert.equal(checkFetchableUrl('http://u:p@127.0.0.1/jwks', true), 'must not contain credentials');
  });

  test('other schemes and non-URLs are refused', () => {
    assert.equal(checkFetchableUrl('ftp://id.example.com/jwks', true), 'must be an https URL');
    assert.equal(checkFetchableUrl('file:///etc/passwd', true), 'must be an https URL');
    assert.equal(checkFetchableUrl('not a url', false), 'is not a valid URL');
    assert.equal(checkFetchableUrl('/relative/jwks', false), 'is not a valid URL');
  });
});
