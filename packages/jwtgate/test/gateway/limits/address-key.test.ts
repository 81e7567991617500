import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressKey } from '../../../src/gateway/limits/address-key.ts';

describe('addressKey', () => {
  test('IPv4, mapped or not, is the address', () => {
    assert.equal(addressKey('192.0.2.7'), '192.0.2.7');
    assert.equal(addressKey('::ffff:192.0.2.7'), '192.0.2.7');
  });

  test('IPv6 addresses of one /64 share a key; another /64 does not', () => {
    const a = addressKey('2001:db8:1:2::1');
    assert.equal(a, '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), a);
    assert.equal(addressKey('2001:db8:1:2:0:0:0:9%eth0'), a);
    assert.notEqual(addressKey('2001:db8:1:3::1'), a);
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
  });

  test('anything else is itself', () => {
    assert.equal(addressKey(undefined), '');
    assert.equal(addressKey('not an address'), 'not an address');
  });
});
