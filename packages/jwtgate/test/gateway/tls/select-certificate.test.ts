import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { certificateNames, compileCertificateSelector } from '../../../src/gateway/tls/select-certificate.ts';
import { makeCa, makeCert } from '../helpers/certs.ts';
import { tempDir } from '../helpers/config.ts';

describe('compileCertificateSelector', () => {
  const pick = compileCertificateSelector(
    [
      { context: 'api', names: ['api.example.com'] },
      { context: 'wild', names: ['*.example.com', 'example.org'] },
      // Later certificates never take a name an earlier one claimed.
      { context: 'late', names: ['API.example.com', '*.example.com', 'late.test'] },
    ],
    'first',
  );

  test('an exact name wins over a wildcard that also covers it', () => {
    assert.equal(pick('api.example.com'), 'api');
    assert.equal(pick('API.Example.COM'), 'api');
  });

  test('a wildcard covers one label only (RFC 6125 6.4.3), not the bare domain', () => {
    assert.equal(pick('shop.example.com'), 'wild');
    assert.equal(pick('a.shop.example.com'), 'first');
    assert.equal(pick('example.com'), 'first');
    assert.equal(pick('.example.com'), 'first');
  });

  test('the first certificate to claim a name keeps it; other names of later ones still count', () => {
    assert.equal(pick('late.test'), 'late');
    assert.equal(pick('example.org'), 'wild');
  });

  test('no SNI, or a name no certificate carries: the fallback', () => {
    assert.equal(pick(undefined), 'first');
    assert.equal(pick(''), 'first');
    assert.equal(pick('other.test'), 'first');
  });
});

describe('certificateNames', () => {
  const dir = tempDir('names');
  after(() => dir.remove());

  test('the DNS names of subjectAltName, lower-cased; IP addresses and the CN are not names', () => {
    const ca = makeCa(dir.dir);
    const c = makeCert(ca, 'n', { dns: ['A.test', '*.b.test'], cn: 'not-a-name.test' });
    assert.deepEqual(certificateNames(new X509Certificate(readFileSync(c.cert))), ['a.test', '*.b.test']);
  });
});
