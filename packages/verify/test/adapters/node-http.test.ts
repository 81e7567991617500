import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type AuthenticatedMessage, withJwt } from '../../src/adapters/node-http.ts';
import { JwtGateError } from '../../src/errors.ts';
import {
  assertDenied,
  baseUrl,
  call,
  closeServer,
  denials,
  expiredToken,
  fetched,
  forgedToken,
  goodToken,
  makeVerifier,
} from './fixtures.ts';

/** Sends raw HTTP/1.1 text (to repeat a header line, which fetch cannot) and returns the status line. */
function rawStatusLine(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      out += chunk;
    });
    socket.on('error', reject);
    socket.setTimeout(2000, () => socket.destroy(new Error('no response')));
    socket.on('end', () => resolve(out.split('\r\n')[0] ?? ''));
  });
}

describe('node:http withJwt', () => {
  const verifier = makeVerifier();
  const log = denials();
  let handled = 0;
  let server: Server;
  let url: string;

  function handler(req: AuthenticatedMessage, res: ServerResponse): void {
    handled++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ provider: req.auth.provider, kid: req.auth.kid ?? null, claims: req.auth.claims }),
    );
  }

  before(async () => {
    const onDenied = log.onDenied;
    const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
      '/me': withJwt({ verifier, onDenied }, handler),
      '/admin': withJwt(
        { verifier, onDenied, realm: 'admin', require: { rolesAll: ['admin', 'ops'] } },
        handler,
      ),
      '/tutorial': withJwt({ verifier, onDenied, tokenFrom: [{ header: 'Token' }] }, handler),
      '/either': withJwt({ verifier, onDenied, tokenFrom: [{ header: 'Token' }, { bearer: true }] }, handler),
      '/query': withJwt({ verifier, onDenied, tokenFrom: [{ query: 'access_token' }] }, handler),
      '/throwing-log': withJwt(
        {
          verifier,
          onDenied: () => {
            throw new Error('log sink down');
          },
        },
        handler,
      ),
    };
    server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      const route = routes[path];
      if (route) route(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = baseUrl(server);
  });

  after(() => closeServer(server));

  beforeEach(() => {
    handled = 0;
    log.seen.length = 0;
  });

  test('a valid token reaches the handler with req.auth', async () => {
    const a = await call(`${url}/me`, {
      headers: { authorization: `Bearer ${await goodToken({ tenant: 't1' })}` },
    });
    assert.equal(a.status, 200);
    const body = a.body as { provider: string; kid: null; claims: Record<string, unknown> };
    assert.equal(body.provider, 'test');
    assert.equal(body.kid, null);
    assert.equal(body.claims.sub, 'alice');
    assert.equal(body.claims.tenant, 't1');
    assert.equal(handled, 1);
    assert.equal(log.seen.length, 0);
  });

  test('no token: 401 with bare Bearer challenge and the JSON body; handler not called', async () => {
    const a = await call(`${url}/me`);
    assertDenied(fetched(a), 401, 'ERR_TOKEN_MISSING', 'Bearer');
    assert.deepEqual(a.body, { error: 'ERR_TOKEN_MISSING', message: 'No Authorization Token provided' });
    assert.equal(handled, 0);
  });

  test('another scheme (Basic) counts as no token', async () => {
    const a = await call(`${url}/me`, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assertDenied(fetched(a), 401, 'ERR_TOKEN_MISSING', 'Bearer');
  });

  test('bad tokens: 401 invalid_token with the code of the failure', async () => {
    const forged = await call(`${url}/me`, { headers: { authorization: `Bearer ${await forgedToken()}` } });
    assertDenied(fetched(forged), 401, 'ERR_SIGNATURE_INVALID', /^Bearer error="invalid_token"/);
    const expired = await call(`${url}/me`, { headers: { authorization: `Bearer ${await expiredToken()}` } });
    assertDenied(fetched(expired), 401, 'ERR_TOKEN_EXPIRED', /^Bearer error="invalid_token"/);
    assert.equal(handled, 0);
  });

  test('a malformed Authorization value: 400 invalid_request', async () => {
    const a = await call(`${url}/me`, { headers: { authorization: 'Bearer two words' } });
    assertDenied(fetched(a), 400, 'ERR_INVALID_REQUEST', /^Bearer error="invalid_request"/);
  });

  test('require rolesAll: 403 when one role is missing, 200 with both', async () => {
    const partial = await call(`${url}/admin`, {
      headers: { authorization: `Bearer ${await goodToken({ roles: ['admin'] })}` },
    });
    assertDenied(
      fetched(partial),
      403,
      'ERR_INSUFFICIENT_ROLE',
      /^Bearer realm="admin", error="insufficient_scope"/,
    );
    assert.doesNotMatch(partial.headers.get('www-authenticate') ?? '', /scope="/);
    assert.equal(handled, 0);
    const full = await call(`${url}/admin`, {
      headers: { authorization: `Bearer ${await goodToken({ roles: ['ops', 'admin'] })}` },
    });
    assert.equal(full.status, 200);
    assert.equal(handled, 1);
  });

  test('two tokens (Token header + Bearer): 400 invalid_request', async () => {
    const token = await goodToken();
    const a = await call(`${url}/either`, { headers: { Token: token, authorization: `Bearer ${token}` } });
    assertDenied(fetched(a), 400, 'ERR_INVALID_REQUEST', /error="invalid_request"/);
    assert.equal(handled, 0);
  });

  test('the tutorial Token header via tokenFrom, whatever the case of the header name', async () => {
    const token = await goodToken({ name: 'tutorial' });
    for (const name of ['Token', 'TOKEN', 'token']) {
      const a = await call(`${url}/tutorial`, { headers: { [name]: token } });
      assert.equal(a.status, 200, name);
      assert.equal((a.body as { claims: { name: string } }).claims.name, 'tutorial');
    }
    const bearer = await call(`${url}/tutorial`, { headers: { authorization: `Bearer ${token}` } });
    assertDenied(fetched(bearer), 401, 'ERR_TOKEN_MISSING', 'Bearer');
  });

  test('a query token is read only on the route configured for it', async () => {
    const token = await goodToken();
    assert.equal((await call(`${url}/query?access_token=${token}`)).status, 200);
    const ignored = await call(`${url}/me?access_token=${token}`);
    assertDenied(fetched(ignored), 401, 'ERR_TOKEN_MISSING', 'Bearer');
  });

  test('onDenied receives the JwtGateError and the request', async () => {
    await call(`${url}/me?trace=1`, { headers: { authorization: 'Bearer not-a-jwt' } });
    assert.equal(log.seen.length, 1);
    const [only] = log.seen;
    assert.ok(only?.error instanceof JwtGateError);
    assert.equal(only.error.code, 'ERR_TOKEN_MALFORMED');
    assert.equal(only.url, '/me?trace=1');
  });

  test('the denial body never contains the token', async () => {
    const token = await forgedToken();
    const a = await call(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(a.status, 401);
    const text = JSON.stringify(a.body) + (a.headers.get('www-authenticate') ?? '');
    for (const part of token.split('.')) assert.ok(!text.includes(part));
  });

  test('a Token header sent twice (node joins the lines) is 400 invalid_request', async () => {
    const token = await goodToken();
    const port = Number(new URL(url).port);
    const status = await rawStatusLine(
      port,
      `GET /tutorial HTTP/1.1\r\nHost: x\r\nToken: ${token}\r\nToken: ${token}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(status, 'HTTP/1.1 400 Bad Request');
    const once = await rawStatusLine(
      port,
      `GET /tutorial HTTP/1.1\r\nHost: x\r\nToken: ${token}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(once, 'HTTP/1.1 200 OK');
  });

  test('an onDenied hook that throws does not stop the denial from being sent', async () => {
    const a = await call(`${url}/throwing-log`, { signal: AbortSignal.timeout(2000) });
    assertDenied(fetched(a), 401, 'ERR_TOKEN_MISSING', 'Bearer');
    assert.equal(handled, 0);
  });
});
