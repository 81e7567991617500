import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileSubjectMatcher, formatSubject } from '../../../src/gateway/tls/client-subject.ts';

describe('client certificate subjects', () => {
  const subject = { CN: 'svc-a', O: 'Example', OU: ['payments', 'ops'] };

  test('a bare name is the common name', () => {
    assert.equal(compileSubjectMatcher('svc-a')(subject), true);
    assert.equal(compileSubjectMatcher('svc-b')(subject), false);
    assert.equal(compileSubjectMatcher('Example')(subject), false);
  });

  test('attributes given must all match, in any order; a repeated attribute matches any of its values', () => {
    assert.equal(compileSubjectMatcher('CN=svc-a,O=Example')(subject), true);
    assert.equal(compileSubjectMatcher('O=Example, CN=svc-a')(subject), true);
    assert.equal(compileSubjectMatcher('CN=svc-a,O=Other')(subject), false);
    assert.equal(compileSubjectMatcher('OU=ops')(subject), true);
    assert.equal(compileSubjectMatcher('OU=dev')(subject), false);
    // An attribute the certificate lacks never matches.
    assert.equal(compileSubjectMatcher('CN=svc-a,L=Paris')(subject), false);
  });

  test('the subject header value lists attributes in the certificate order', () => {
    assert.equal(formatSubject(subject), 'CN=svc-a,O=Example,OU=payments,OU=ops');
  });
});
