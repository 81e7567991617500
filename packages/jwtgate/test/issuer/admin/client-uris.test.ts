import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isIssuerUrl,
  isNativeRedirectUri,
  isWebOrigin,
  isWebRedirectUri,
} from '../../../src/issuer/admin/client-uris.ts';

describe('client URIs', () => {
  test('web redirects: https, or http to loopback; no fragment', () => {
    for (const ok of [
      'https://app.example/cb',
      'http://localhost:3000/cb',
      'http://127.0.0.1/cb',
      'http://[::1]/cb',
    ])
      assert.equal(isWebRedirectUri(ok), true, ok);
    for (const bad of [
      'http://app.example/cb',
      'https://app.example/cb#x',
      'com.example.app:/cb',
      'not a uri',
    ])
      assert.equal(isWebRedirectUri(bad), false, bad);
  });

  test('native redirects (RFC 8252 7.1-7.3)', () => {
    for (const ok of [
      'http://127.0.0.1/cb',
      'http://[::1]:65000/cb',
      'com.example.app:/cb',
      'https://app.example/cb',
    ])
      assert.equal(isNativeRedirectUri(ok), true, ok);
    for (const bad of [
      'http://localhost/cb',
      'http://10.0.0.1/cb',
      'myapp:/cb',
      'javascript:alert(1)',
      'blob:https://x/y',
      'https://localhost/cb',
      'https://[::1]/cb',
    ])
      assert.equal(isNativeRedirectUri(bad), false, bad);
  });

  test('web origins are exactly what browsers send in Origin', () => {
    for (const ok of [
      'https://app.example',
      'https://app.example:8443',
      'http://127.0.0.1:5173',
      'http://localhost:3000',
    ])
      assert.equal(isWebOrigin(ok), true, ok);
    for (const bad of [
      'https://app.example/',
      'https://app.example:443',
      'https://APP.example',
      'https://user@app.example',
      'http://app.example',
      'null',
      '*',
    ])
      assert.equal(isWebOrigin(bad), false, bad);
  });

  test('issuer URLs', () => {
    assert.equal(isIssuerUrl('https://id.example'), true);
    assert.equal(isIssuerUrl('https://id.example/realms/x'), true);
    assert.equal(isIssuerUrl('http://127.0.0.1:8080'), true);
    assert.equal(isIssuerUrl('http://id.example'), false);
    assert.equal(isIssuerUrl('https://id.example?x=1'), false);
  });
});
