import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  renderDeviceConfirmPage,
  renderDeviceDonePage,
  renderUserCodePage,
} from '../../../src/issuer/login/device-pages.ts';

describe('device flow pages', () => {
  test('the code page: a labelled field, the CSRF value, an error announced and tied to the field', () => {
    const html = renderUserCodePage({
      action: '/device',
      xsrf: 'x"y',
      userCode: '<b>',
      error: 'Wrong & bad',
    });
    assert.match(html, /<form method="post" action="\/device">/);
    assert.match(html, /<input type="hidden" name="xsrf" value="x&quot;y">/);
    assert.match(html, /<label for="user_code">Code<\/label>/);
    assert.match(html, /value="&lt;b&gt;"/);
    assert.match(html, /<p class="error" role="alert" id="code-error">Wrong &amp; bad<\/p>/);
    assert.match(html, /aria-describedby="code-hint code-error"/);
    assert.doesNotMatch(html, /<script/);
  });

  test('cancelled: no form any more', () => {
    const html = renderUserCodePage({ action: '/device', xsrf: 'x', cancelled: true });
    assert.match(html, /Sign-in cancelled/);
    assert.doesNotMatch(html, /<form/);
  });

  test('the confirm page names the application and the code, escaped, and keeps oidc-provider’s form', () => {
    const html = renderDeviceConfirmPage({
      form: '<form id="op.deviceConfirmForm"></form>',
      clientName: 'Evil <App>',
      userCode: 'BCDF-GHJK',
    });
    assert.match(html, /<strong>Evil &lt;App&gt;<\/strong>/);
    assert.match(html, /<code id="user-code" class="user-code">BCDF-GHJK<\/code>/);
    assert.match(html, /<form id="op.deviceConfirmForm"><\/form>/);
    assert.match(html, /form="op.deviceConfirmForm" name="abort" value="yes"/);
  });

  test('done', () => {
    assert.match(renderDeviceDonePage('TV <1>'), /TV &lt;1&gt; is signed in on your device/);
  });
});
