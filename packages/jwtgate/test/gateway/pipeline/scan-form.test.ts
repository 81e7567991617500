import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { FormScan, formTypeOf, scanForm } from '../../../src/gateway/pipeline/scan-form.ts';

const URLENCODED = 'application/x-www-form-urlencoded';
const part = (name: string, value: string, extra = '') =>
  `--B\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n${value}\r\n`;

describe('formTypeOf', () => {
  test('urlencoded and every multipart/* body are forms; a POST without Content-Type is one to Rack', () => {
    assert.equal(
      formTypeOf('POST', 'application/x-www-form-urlencoded; charset=utf-8'),
      'application/x-www-form-urlencoded; charset=utf-8',
    );
    assert.equal(formTypeOf('PUT', 'multipart/mixed; boundary=B'), 'multipart/form-data; boundary=B');
    assert.equal(formTypeOf('POST', undefined), URLENCODED);
    assert.equal(formTypeOf('PUT', undefined), null);
    assert.equal(formTypeOf('POST', 'application/json'), null);
  });
});

describe('scanForm', () => {
  test('a _method field is ERR_METHOD_OVERRIDE, in urlencoded and multipart bodies, file parts too', async () => {
    for (const body of ['_method=DELETE', 'a=1&_method=PUT', '%5Fmethod=x', 'a=1&.method=DELETE'])
      assert.equal((await scanForm(URLENCODED, Buffer.from(body)))?.code, 'ERR_METHOD_OVERRIDE', body);
    const mp = (s: string) => scanForm('multipart/form-data; boundary=B', Buffer.from(`${s}--B--\r\n`));
    assert.equal((await mp(part('title', 'x') + part('_method', 'DELETE')))?.code, 'ERR_METHOD_OVERRIDE');
    assert.equal((await mp(part('_method', 'DELETE', '; filename="a.txt"')))?.code, 'ERR_METHOD_OVERRIDE');
  });

  test('forms without it pass, whatever their values say', async () => {
    assert.equal(await scanForm(URLENCODED, Buffer.from('title=_method%3DDELETE&x=1')), null);
    assert.equal(
      await scanForm('multipart/form-data; boundary=B', Buffer.from(`${part('t', '_method')}--B--\r\n`)),
      null,
    );
  });

  test('a multipart body that cannot be read is ERR_FORM_MALFORMED', async () => {
    assert.equal(
      (await scanForm('multipart/form-data', Buffer.from(part('a', 'b'))))?.code,
      'ERR_FORM_MALFORMED',
    );
    assert.equal(
      (
        await scanForm(
          'multipart/form-data; boundary=B',
          Buffer.from('--B\r\nContent-Disposition: form-data; name="a"\r\n\r\ncut'),
        )
      )?.code,
      'ERR_FORM_MALFORMED',
    );
  });
});

describe('FormScan', () => {
  async function stream(body: string, size = 3): Promise<{ passed: string; error?: string }> {
    const chunks = (body.match(new RegExp(`[^]{1,${size}}`, 'g')) ?? []).map((c) => Buffer.from(c));
    const passed: Buffer[] = [];
    try {
      await pipeline(Readable.from(chunks), new FormScan(URLENCODED), async (src: AsyncIterable<Buffer>) => {
        for await (const c of src) passed.push(c);
      });
      return { passed: Buffer.concat(passed).toString() };
    } catch (err) {
      return { passed: Buffer.concat(passed).toString(), error: (err as { code?: string }).code };
    }
  }

  test('a clean body streams through whole', async () => {
    assert.deepEqual(await stream('a=1&b=2&title=hello'), { passed: 'a=1&b=2&title=hello' });
  });

  test('a body ending in _method fails, and its end never passes (the upstream has no complete body)', async () => {
    const body = 'a=1&b=2&_method=DELETE';
    const out = await stream(body);
    assert.equal(out.error, 'ERR_METHOD_OVERRIDE');
    assert.ok(out.passed.length < body.length, `passed ${out.passed}`);
  });
});
