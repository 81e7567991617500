import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileOriginMatcher, originProblem } from '../../../src/gateway/cors/match-origin.ts';

describe('originProblem', () => {
  test('exact origins as browsers send them, anchored patterns and * are accepted', () => {
    for (const ok of [
      'https://app.example.com',
      'http://localhost:5173',
      'https://*.example.com',
      'http://*.a.test:8080',
      '*',
    ])
      assert.equal(originProblem(ok), null, ok);
  });

  test('anything a browser never sends as Origin, or a pattern wider than one site, is refused', () => {
    for (const bad of [
      'https://app.example.com/',
      'https://app.example.com/path',
      'HTTPS://APP.example.com',
      'app.example.com',
      'ftp://files.example.com',
      'null',
      'https://*',
      'https://*.com',
      '*.example.com',
      'https://a.*.example.com',
      'https://*example.com',
      'https://*.example.com/',
    ])
      assert.notEqual(originProblem(bad), null, bad);
  });
});

describe('compileOriginMatcher', () => {
  const m = compileOriginMatcher([
    'https://app.example.com',
    'https://*.example.org',
    'http://*.dev.test:8080',
  ]);

  test('exact entries match only themselves', () => {
    assert.equal(m('https://app.example.com'), true);
    assert.equal(m('http://app.example.com'), false, 'another scheme');
    assert.equal(m('https://app.example.com:8443'), false, 'another port');
    assert.equal(m('https://xapp.example.com'), false);
  });

  test('a pattern matches one or more labels in front of its fixed ones, same scheme and port', () => {
    assert.equal(m('https://a.example.org'), true);
    assert.equal(m('https://a.b.example.org'), true);
    assert.equal(m('https://example.org'), false, 'the bare domain is not a subdomain');
    assert.equal(m('https://evilexample.org'), false, 'the dot is part of the anchor');
    assert.equal(m('https://a.example.org.evil.test'), false, 'anchored at the end');
    assert.equal(m('http://a.example.org'), false, 'the scheme is fixed');
    assert.equal(m('https://a.example.org:444'), false, 'the port is fixed');
    assert.equal(m('http://x.dev.test:8080'), true);
    assert.equal(m('http://x.dev.test'), false);
    assert.equal(m('http://x.devXtest:8080'), false, 'dots are literal');
  });

  test('* matches any origin', () => {
    assert.equal(compileOriginMatcher(['*'])('https://anything.test'), true);
  });
});
