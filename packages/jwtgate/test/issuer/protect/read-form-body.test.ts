import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, request } from 'node:http';
import { describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { claimedClientId, type PeekResult, peekBody } from '../../../src/issuer/protect/read-form-body.ts';

function fakeRequest(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

/** Sends `body` to a server that peeks, then reads the whole body again as a parser would. */
async function roundTrip(body: string, limit: number, headers: Record<string, string | number> = {}) {
  let seen: { peek: PeekResult; reread: string } | undefined;
  const server = createServer(async (req, res) => {
    const peek = await peekBody(req, limit);
    let reread = '';
    if (peek.ok) for await (const c of req) reread += c;
    seen = { peek, reread };
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve, reject) => {
    const req = request(
      {
        port,
        host: '127.0.0.1',
        method: 'POST',
        headers: { 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  await new Promise((r) => server.close(r));
  return seen as { peek: PeekResult; reread: string };
}

describe('peekBody', () => {
  test('reads the body and puts it back: the parser after it sees the same bytes', async () => {
    const body = `grant_type=client_credentials&scope=${'a'.repeat(5000)}`;
    const { peek, reread } = await roundTrip(body, 16_384);
    assert.equal(peek.ok, true);
    assert.equal((peek as { body: Buffer }).body.toString(), body);
    assert.equal(reread, body);
  });

  test('a body over the limit is refused from its Content-Length (413)', async () => {
    const { peek } = await roundTrip('x'.repeat(2000), 1024);
    assert.deepEqual(peek, { ok: false, status: 413 });
  });

  test('chunked bodies of unknown length need a Content-Length (411); no body is fine', async () => {
    assert.deepEqual(await peekBody(fakeRequest({ 'transfer-encoding': 'chunked' }), 10), {
      ok: false,
      status: 411,
    });
    const none = await peekBody(fakeRequest({}), 10);
    assert.equal(none.ok, true);
    assert.deepEqual(await peekBody(fakeRequest({ 'content-length': '-1' }), 10), { ok: false, status: 400 });
  });
});

describe('claimedClientId', () => {
  const basic = (s: string) => fakeRequest({ authorization: `Basic ${Buffer.from(s).toString('base64')}` });

  test('from HTTP Basic, form-decoded (RFC 6749 2.3.1)', () => {
    assert.equal(claimedClientId(basic('svc%3Aone:secret'), Buffer.alloc(0)), 'svc:one');
    assert.equal(claimedClientId(basic('plain'), Buffer.alloc(0)), 'plain');
  });

  test('from client_id in the body, or the sub of a client assertion', async () => {
    assert.equal(claimedClientId(fakeRequest({}), Buffer.from('client_id=abc&client_secret=x')), 'abc');
    const assertion = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('jwt-svc')
      .sign(new Uint8Array(32));
    assert.equal(claimedClientId(fakeRequest({}), Buffer.from(`client_assertion=${assertion}`)), 'jwt-svc');
    assert.equal(claimedClientId(fakeRequest({}), Buffer.from('client_assertion=garbage')), undefined);
    assert.equal(claimedClientId(fakeRequest({}), Buffer.from('grant_type=client_credentials')), undefined);
  });

  test('bounded length', () => {
    assert.equal(claimedClientId(fakeRequest({}), Buffer.from(`client_id=${'a'.repeat(1000)}`))?.length, 256);
  });
});
