import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  escapeHtml,
  pageHeaders,
  renderLoginPage,
  renderMessagePage,
} from '../../../src/issuer/login/login-page.ts';

describe('login pages', () => {
  test('what comes from a request is escaped', () => {
    const html = renderLoginPage({
      action: '/interaction/abc',
      csrf: 'tok"en',
      clientName: '<script>alert(1)</script>',
      username: '"><img src=x>',
      error: '<b>',
    });
    assert.doesNotMatch(html, /<script>|<img|<b>/);
    assert.match(html, /value="&quot;&gt;&lt;img src=x&gt;"/);
    assert.match(html, /value="tok&quot;en"/);
    assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
  });

  test('the error is announced and tied to the fields; the form has labels and autocomplete hints', () => {
    const html = renderLoginPage({
      action: '/interaction/a',
      csrf: 't',
      clientName: 'App',
      error: 'Invalid username or password.',
    });
    assert.match(html, /role="alert" id="login-error"/);
    assert.match(html, /aria-describedby="login-error"/);
    assert.match(html, /<label for="password">/);
    assert.match(html, /autocomplete="current-password"/);
    assert.doesNotMatch(renderLoginPage({ action: '/a', csrf: 't', clientName: 'App' }), /role="alert"/);
  });

  test('headers: no store, no frames, a CSP with the stylesheet hash and the form targets', () => {
    const h = pageHeaders(['https://app.example/cb?x=1', 'javascript:alert(1)', 'not a url']);
    assert.equal(h['cache-control'], 'no-store');
    assert.equal(h['x-frame-options'], 'DENY');
    const csp = h['content-security-policy'] as string;
    assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'/);
    assert.match(csp, /form-action 'self' https:\/\/app\.example;/);
    assert.doesNotMatch(csp, /javascript|unsafe/);
    assert.match(renderMessagePage('T', '<x>'), /&lt;x&gt;/);
  });
});
