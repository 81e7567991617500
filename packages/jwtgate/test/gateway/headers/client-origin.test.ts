import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientOrigin, describeScheme } from '../../../src/gateway/headers/client-origin.ts';

const req = (headers: Record<string, string>, encrypted = false) => ({ headers, socket: { encrypted } });

describe('clientOrigin', () => {
  test('the listener scheme and the Host header; https on a TLS connection; :authority in HTTP/2', () => {
    assert.equal(clientOrigin(req({ host: 'api.example:9001' }), false), 'http://api.example:9001');
    assert.equal(clientOrigin(req({ host: 'api.example' }, true), false), 'https://api.example');
    assert.equal(clientOrigin(req({ ':authority': 'h2.example' }, true), false), 'https://h2.example');
  });

  test('forwarded headers only when trusted, the first (outermost) value, and only sane ones', () => {
    const h = { host: 'gw:9001', 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'api.example, gw' };
    assert.equal(clientOrigin(req(h), false), 'http://gw:9001');
    assert.equal(clientOrigin(req(h), true), 'https://api.example');
    assert.equal(
      clientOrigin(req({ host: 'gw', 'x-forwarded-proto': 'gopher', 'x-forwarded-host': 'a b/c' }), true),
      'http://gw',
    );
  });

  test('a decision: the scheme the trusted proxy described wins over the plain decision listener', () => {
    const asked = req({ host: 'api.example' });
    assert.equal(clientOrigin(asked, false), 'http://api.example');
    describeScheme(asked, 'HTTPS');
    assert.equal(clientOrigin(asked, false), 'https://api.example');
    const plain = req({ host: 'api.example' }, true);
    describeScheme(plain, 'http');
    assert.equal(clientOrigin(plain, false), 'http://api.example');
    const odd = req({ host: 'api.example' });
    describeScheme(odd, 'gopher');
    describeScheme(odd, undefined);
    assert.equal(clientOrigin(odd, false), 'http://api.example');
  });
});
