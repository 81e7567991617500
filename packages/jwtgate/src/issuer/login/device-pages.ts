import { escapeHtml, renderPage } from './login-page.ts';

// The pages of the device flow (RFC 8628 3.3) on the issuer: the user enters the code shown on
// the device, confirms that the device and application are the ones they are using, signs in
// with the usual login page, and is told they may go back to the device. oidc-provider runs the
// flow and its forms' CSRF check (a random `xsrf` value bound to the browser session); these only
// lay the pages out. No script, like every page of the issuer.

export interface UserCodePageInput {
  /** Where the form posts: the verification URI. */
  readonly action: string;
  /** oidc-provider's CSRF value for this browser session. */
  readonly xsrf: string;
  /** What the user typed, shown again after an error. */
  readonly userCode?: string;
  readonly error?: string;
  /** The sign-in was cancelled (on the confirm or the login page): nothing to enter any more. */
  readonly cancelled?: boolean;
}

/** Step 1: enter the code the device shows. */
export function renderUserCodePage(input: UserCodePageInput): string {
  if (input.cancelled)
    return renderPage(
      'Sign-in cancelled',
      '<h1>Sign-in cancelled</h1>\n<p role="status">The device was not signed in. You can close this page.</p>',
    );
  const error =
    input.error === undefined
      ? ''
      : `<p class="error" role="alert" id="code-error">${escapeHtml(input.error)}</p>`;
  const described =
    input.error === undefined ? ' aria-describedby="code-hint"' : ' aria-describedby="code-hint code-error"';
  return renderPage(
    'Connect a device',
    `<h1>Connect a device</h1>
${error}<form method="post" action="${escapeHtml(input.action)}">
<input type="hidden" name="xsrf" value="${escapeHtml(input.xsrf)}">
<label for="user_code">Code</label>
<p id="code-hint">Enter the code your device or command line shows, e.g. BDWP-HQPK.</p>
<input id="user_code" name="user_code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required maxlength="64" value="${escapeHtml(input.userCode ?? '')}"${described} autofocus>
<button type="submit">Continue</button>
</form>`,
  );
}

export interface ConfirmPageInput {
  /** oidc-provider's hidden confirm form (`op.deviceConfirmForm`: xsrf, user_code, confirm=yes). */
  readonly form: string;
  readonly clientName: string;
  /** The code as the device shows it. */
  readonly userCode: string;
}

/**
 * Step 2: confirm. RFC 8628 5.4 (remote phishing): someone may have sent the user a code of
 * their own device, so the page names the application and the code and asks to continue only
 * when that is what the user's own device shows.
 */
export function renderDeviceConfirmPage(input: ConfirmPageInput): string {
  return renderPage(
    'Confirm the device',
    `<h1>Confirm the device</h1>
<p><strong>${escapeHtml(input.clientName)}</strong> asks to sign in as you on a device showing the code</p>
<p><code id="user-code" class="user-code">${escapeHtml(input.userCode)}</code></p>
<p>Continue only if you started this sign-in yourself and your device shows exactly this code.</p>
${input.form}
<button type="submit" form="op.deviceConfirmForm" autofocus>Continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes" class="secondary">Cancel</button>`,
  );
}

/** Step 4, after the login: done. */
export function renderDeviceDonePage(clientName: string): string {
  return renderPage(
    'Device connected',
    `<h1>Device connected</h1>\n<p role="status">${escapeHtml(clientName)} is signed in on your device. You can close this page and return to it.</p>`,
  );
}
