import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { readUrlencodedForm } from '../../../src/issuer/protect/read-urlencoded-form.ts';

describe('readUrlencodedForm', () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer(async (req, res) => {
      const read = await readUrlencodedForm(req, 64);
      res.end(JSON.stringify(read.ok ? { form: Object.fromEntries(read.form) } : { status: read.status }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  /** Sends `body` in pieces; chunked (no Content-Length) unless `length` is given. */
  function post(type: string, body: string, length?: number): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { 'content-type': type };
      if (length !== undefined) headers['content-length'] = String(length);
      const req = request({ port, method: 'POST', headers }, (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve(JSON.parse(text)));
      });
      req.on('error', reject);
      for (let i = 0; i < body.length; i += 16) req.write(body.slice(i, i + 16));
      req.end();
    });
  }

  test('a form within the limit is parsed, whatever the charset parameter', async () => {
    assert.deepEqual(await post('application/x-www-form-urlencoded; charset=utf-8', 'a=1&b=%C3%A9'), {
      form: { a: '1', b: 'é' },
    });
  });

  test('another content type is 415; a body over the limit is 413, declared or streamed', async () => {
    assert.deepEqual(await post('application/json', '{"a":1}'), { status: 415 });
    assert.deepEqual(await post('multipart/form-data; boundary=x', 'a=1'), { status: 415 });
    const big = `a=${'x'.repeat(100)}`;
    assert.deepEqual(await post('application/x-www-form-urlencoded', big, big.length), { status: 413 });
    assert.deepEqual(await post('application/x-www-form-urlencoded', big), { status: 413 });
  });
});
