import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import type { CompiledGateway } from '../../../src/gateway/config/compile-gateway.ts';
import { checkFraming } from '../../../src/gateway/pipeline/check-framing.ts';
import { RequestState } from '../../../src/gateway/pipeline/request-state.ts';

function state(req: Partial<IncomingMessage>): RequestState {
  const full = {
    url: '/x',
    method: 'GET',
    headers: {},
    rawHeaders: [],
    httpVersionMajor: 1,
    httpVersionMinor: 1,
    ...req,
  };
  return new RequestState(full as IncomingMessage, null, null, {} as CompiledGateway, Date.now, 'rid');
}

describe('checkFraming', () => {
  test('a plain HTTP/1.1 and HTTP/1.0 request passes', () => {
    assert.equal(checkFraming(state({ rawHeaders: ['Host', 'gw'] })), undefined);
    assert.equal(checkFraming(state({ httpVersionMinor: 0 })), undefined);
  });

  test('an HTTP/0.9 request line is ERR_REQUEST_MALFORMED, and the connection is closed', () => {
    const d = checkFraming(state({ httpVersionMajor: 0, httpVersionMinor: 9 }));
    assert.equal(d?.status, 400);
    assert.equal(d?.reason, 'ERR_REQUEST_MALFORMED');
    assert.equal(d?.headers.connection, 'close');
  });

  test('two Host fields, in any case, are refused (RFC 9112 3.2); one is fine', () => {
    for (const raw of [
      ['Host', 'a', 'Host', 'b'],
      ['host', 'a', 'HOST', 'a'],
      ['Host', 'a', 'Accept', '*/*', 'hOsT', 'b'],
    ])
      assert.equal(checkFraming(state({ rawHeaders: raw }))?.reason, 'ERR_REQUEST_MALFORMED', raw.join(' '));
    assert.equal(
      checkFraming(state({ rawHeaders: ['Host', 'a', 'X-Host', 'b', 'Hostname', 'c'] })),
      undefined,
    );
  });

  test('Transfer-Encoding in an HTTP/1.0 request is refused (RFC 9112 6.1), not in HTTP/1.1', () => {
    const te = { headers: { 'transfer-encoding': 'chunked' } };
    assert.equal(checkFraming(state({ ...te, httpVersionMinor: 0 }))?.reason, 'ERR_REQUEST_MALFORMED');
    assert.equal(checkFraming(state(te)), undefined);
  });
});
