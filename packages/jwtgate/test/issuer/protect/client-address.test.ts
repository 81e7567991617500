import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, test } from 'node:test';
import { resolveIssuerOptions } from '../../../src/issuer/issuer-options.ts';
import {
  clientAddress,
  tagClientAddress,
  trustedProxies,
} from '../../../src/issuer/protect/client-address.ts';
import { postForm, startTestIssuer } from '../helpers.ts';

const request = (peer: string, forwarded?: string | string[]) =>
  ({
    socket: { remoteAddress: peer },
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
  }) as unknown as IncomingMessage;

function seen(peer: string, forwarded: string | string[] | undefined, trusted: string[]): string {
  const req = request(peer, forwarded);
  tagClientAddress(req, trustedProxies(trusted));
  return clientAddress(req);
}

describe('client address', () => {
  test('without trusted proxies the peer is the client, whatever X-Forwarded-For says', () => {
    assert.equal(seen('192.0.2.7', '203.0.113.9', []), '192.0.2.7');
    assert.equal(seen('::ffff:192.0.2.7', undefined, []), '192.0.2.7');
    assert.equal(clientAddress(request('198.51.100.1')), '198.51.100.1', 'untagged: the peer');
  });

  test('a trusted peer: the nearest hop that is not a trusted proxy, walked from the right', () => {
    assert.equal(seen('10.0.0.2', '203.0.113.9', ['10.0.0.0/8']), '203.0.113.9');
    // The client wrote its own header first: the hop the proxy appended wins.
    assert.equal(seen('10.0.0.2', '1.2.3.4, 203.0.113.9', ['10.0.0.0/8']), '203.0.113.9');
    // Two proxies in a row, both trusted.
    assert.equal(seen('10.0.0.2', '203.0.113.9, 10.0.0.5', ['10.0.0.0/8']), '203.0.113.9');
    assert.equal(seen('10.0.0.2', ['203.0.113.9', '10.0.0.5'], ['10.0.0.0/8']), '203.0.113.9');
    assert.equal(seen('::1', '2001:db8::1', ['::1']), '2001:db8::1');
  });

  test('an untrusted peer is the client even with a header; garbage hops stop the walk', () => {
    assert.equal(seen('192.0.2.7', '203.0.113.9', ['10.0.0.0/8']), '192.0.2.7');
    assert.equal(seen('10.0.0.2', 'not-an-ip', ['10.0.0.0/8']), '10.0.0.2');
    assert.equal(seen('10.0.0.2', '203.0.113.9, junk', ['10.0.0.0/8']), '10.0.0.2');
    assert.equal(seen('10.0.0.2', undefined, ['10.0.0.0/8']), '10.0.0.2');
  });

  test('bad entries are refused when the options are read', () => {
    assert.throws(() => trustedProxies(['10.0.0.0/x']), /CIDR/);
    assert.throws(() => trustedProxies(['proxy.internal']), /IP address/);
    assert.throws(() => resolveIssuerOptions({ trustedProxies: ['nope'] }), /trusted proxy/);
    assert.deepEqual(resolveIssuerOptions({ trustedProxies: ['10.0.0.0/8', '::1'] }).trustedProxies, [
      '10.0.0.0/8',
      '::1',
    ]);
  });
});

describe('the issuer behind a trusted proxy', () => {
  test('the token endpoint throttles each forwarded client on its own, and ignores the header otherwise', async () => {
    const limited = { perClient: null, perAddress: { rate: 0.001, burst: 2 } };
    const call = (url: string, client: string) =>
      postForm(`${url}/token`, { grant_type: 'client_credentials' }, undefined, {
        'x-forwarded-for': client,
      });
    const behind = await startTestIssuer({ trustedProxies: ['127.0.0.1'], rateLimit: limited });
    try {
      const a = [];
      for (let i = 0; i < 3; i++) a.push((await call(behind.url, '203.0.113.1')).status);
      assert.deepEqual(
        a.map((s) => s === 429),
        [false, false, true],
      );
      assert.notEqual(
        (await call(behind.url, '203.0.113.2')).status,
        429,
        'another client has its own budget',
      );
    } finally {
      await behind.close();
    }
    const direct = await startTestIssuer({ rateLimit: limited });
    try {
      const b = [];
      for (let i = 0; i < 3; i++) b.push((await call(direct.url, `203.0.113.${i + 10}`)).status);
      assert.equal(b[2], 429, 'without --trust-proxy the header does not open new budgets');
    } finally {
      await direct.close();
    }
  });
});
